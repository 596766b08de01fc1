"""Which graph properties go with accuracy? Correlation tables per cell type (docs/method.md §7).

For every cell (and optionally every generator) and every property: Pearson, Spearman and Kendall
coefficients with p-values, the p-values corrected across the group's properties
(Benjamini–Hochberg, column ``<method>_q``), seeded bootstrap 95% percentile intervals and n.
A constant property (or target) has no correlation: its row says so in ``note``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from randrnn.analysis import table, thesis
from randrnn.errors import RandRNNError, parse_names

METHODS: dict[str, Callable] = {
    "pearson": stats.pearsonr,
    "spearman": stats.spearmanr,
    "kendall": stats.kendalltau,
}
SYMBOLS = {"pearson": "r", "spearman": "ρ", "kendall": "τ"}
LEGEND = (
    "r Pearson, ρ Spearman, τ Kendall; q: p-value corrected across the properties "
    "(Benjamini–Hochberg); * q < 0.05; 95% CI: bootstrap interval of the first method"
)
CEILING_NOTE = (
    "Seed noise also caps the coefficients: a property's Pearson |r| with the target is at most "
    "√ceiling (the mean-of-K ceiling by default, the one-run ceiling with --per-run)."
)
MIN_N = 3  # fewer pairs than this give no coefficient


def parse_methods(text: str | Sequence[str]) -> list[str]:
    """'pearson,kendall' (or a list) → validated method names, in the given order."""
    return parse_names(text, METHODS, "method")


def bh(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN entries stay NaN and are not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def _rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of two (B, n) arrays; NaN where a row is constant."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=1) / den
    r[den <= 1e-300] = np.nan
    return r


def _weighted_kendall(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Kendall tau-b of each bootstrap resample ``(x[idx[b]], y[idx[b]])``, without resampling.

    A resample is a count vector w over the original pairs, so over its pairs
    sum(sign dx · sign dy) = wᵀ S w with S = sign(dx) ∘ sign(dy) of the originals (and the same
    for the untied-pair counts): three matrix products instead of a loop of 1000 ``kendalltau``.
    """
    n = len(x)
    w = np.zeros((len(idx), n))
    np.add.at(w, (np.arange(len(idx))[:, None], idx), 1.0)
    sx = np.sign(x[:, None] - x[None, :])
    sy = np.sign(y[:, None] - y[None, :])

    def quad(m: np.ndarray) -> np.ndarray:
        return ((w @ m) * w).sum(axis=1)

    den = np.sqrt(quad(np.abs(sx)) * quad(np.abs(sy)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, quad(sx * sy) / den, np.nan)


def bootstrap_ci(
    x: np.ndarray, y: np.ndarray, method: str, n_boot: int, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a coefficient: resample (x, y) pairs ``n_boot`` times."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    xs, ys = x[idx], y[idx]
    if method == "kendall":
        r = _weighted_kendall(x, y, idx)
    else:
        if method == "spearman":
            xs, ys = stats.rankdata(xs, axis=1), stats.rankdata(ys, axis=1)
        r = _rowwise_pearson(xs, ys)
    r = r[~np.isnan(r)]
    if r.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(r, [tail, 100 - tail])
    return float(lo), float(hi)


def _note(x: np.ndarray, y: np.ndarray) -> str:
    if len(x) < MIN_N:
        return f"n < {MIN_N}"
    if np.ptp(x) == 0:
        return "constant"
    if np.ptp(y) == 0:
        return "constant target"
    return ""


def correlate_group(
    rows: pd.DataFrame,
    target: str,
    features: Sequence[str],
    methods: Sequence[str] = tuple(METHODS),
    bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per property of one group: n, coefficient, p, BH q (and CI) per method, note."""
    records = []
    for prop in features:
        pair = rows[[prop, target]].dropna()
        x = pair[prop].to_numpy(dtype=float)
        y = pair[target].to_numpy(dtype=float)
        record: dict = {"property": prop, "n": len(pair)}
        note = _note(x, y)
        for m in methods:
            if note:
                record[m], record[f"{m}_p"] = math.nan, math.nan
            else:
                res = METHODS[m](x, y)
                record[m], record[f"{m}_p"] = float(res.statistic), float(res.pvalue)
            if bootstrap:
                lo, hi = (math.nan, math.nan) if note else bootstrap_ci(x, y, m, bootstrap, seed)
                record[f"{m}_lo"], record[f"{m}_hi"] = lo, hi
        record["note"] = note
        records.append(record)
    out = pd.DataFrame.from_records(records)
    for m in methods:
        out.insert(out.columns.get_loc(f"{m}_p") + 1, f"{m}_q", bh(out[f"{m}_p"]))
    # strongest first by the first method; constant columns (NaN) last
    key = out[methods[0]].abs().fillna(-1.0)
    return out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)


def correlate(
    df: pd.DataFrame,
    target: str = table.DEFAULT_TARGET,
    methods: Sequence[str] = tuple(METHODS),
    features: Sequence[str] | None = None,
    cell: str | None = None,
    by: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    with_thesis: bool = False,
) -> pd.DataFrame:
    """The correlation table: one row per (cell, [by value], property), strongest first.

    Columns: ``cell``, ``<by>`` if given, ``property``, ``n``, then per method ``<m>``,
    ``<m>_p``, ``<m>_q`` (BH across the group's properties) and, with ``bootstrap`` > 0,
    ``<m>_lo``/``<m>_hi``; ``thesis_pearson`` if ``with_thesis``; ``note``.
    """
    methods = parse_methods(methods)
    if bootstrap < 0:
        raise RandRNNError(f"--bootstrap must be 0 or more, got {bootstrap}")
    table.check_target(df, target)
    features = table.check_features(
        df, table.default_features(df, target) if features is None else features, target
    )
    parts = []
    for (cell_name, value), rows in table.groups(df, cell=cell, by=by):
        part = correlate_group(rows, target, features, methods, bootstrap, seed)
        part.insert(0, "cell", cell_name)
        if by is not None:
            part.insert(1, by, value)
        if with_thesis:
            part.insert(
                part.columns.get_loc("note"),
                "thesis_pearson",
                [thesis.pearson(p, cell_name) for p in part["property"]],
            )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def format_p(value: float) -> str:
    """A p-value as short text: 3 decimals, or 1 significant digit below 0.001."""
    if table.is_missing(value) or value >= 0.001:
        return table.fmt(value)
    return f"{value:.0e}"


def display(result: pd.DataFrame, by: str | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Readable text tables, one per group: (title, frame of strings).

    ``*`` marks q < 0.05; a note (e.g. constant) follows the property's name. The 95% interval is shown for the first method (the one rows are
    sorted by); the raw result (``--format csv``) has every method's interval.
    """
    methods = [c for c in result.columns if c in METHODS]
    keys = ["cell"] + ([by] if by else [])
    out = []
    for key, rows in result.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        title = table.cell_label(str(key[0])) + (f" · {by} {key[1]}" if by else "")
        title += f" (n={int(rows['n'].max())})"
        notes = rows["note"].fillna("")
        names = [f"{p} ({n})" if n else p for p, n in zip(rows["property"], notes)]
        frame = pd.DataFrame({"property": names})
        if rows["n"].nunique() > 1:  # else n is in the title only
            frame["n"] = rows["n"].astype(int).to_numpy()
        for i, m in enumerate(methods):
            stars = ["*" if q < 0.05 else "" for q in rows[f"{m}_q"].fillna(1.0)]
            frame[SYMBOLS[m]] = [table.fmt(v, 2) + s for v, s in zip(rows[m], stars)]
            if i == 0 and f"{m}_lo" in rows:
                frame["95% CI"] = [
                    f"[{table.fmt(lo, 2)}, {table.fmt(hi, 2)}]" if not np.isnan(lo) else ""
                    for lo, hi in zip(rows[f"{m}_lo"], rows[f"{m}_hi"])
                ]
            frame[f"q({SYMBOLS[m]})"] = [format_p(q) for q in rows[f"{m}_q"]]
            if m == "pearson" and "thesis_pearson" in rows:
                frame["thesis r"] = [table.fmt(v, 2) for v in rows["thesis_pearson"]]
        if "thesis_pearson" in rows and "pearson" not in methods:
            frame["thesis r"] = [table.fmt(v, 2) for v in rows["thesis_pearson"]]
        out.append((title, frame.reset_index(drop=True)))
    return out
