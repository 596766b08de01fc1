"""Seed noise: how much of the accuracy spread between graphs the graph explains at all.

Training one graph twice with different initialisation and batch-order seeds gives two
accuracies. Per cell, from the per-run rows (``graph_id``, ``cell``, ``replicate``, target),
with graph i trained k_i times (y_ij, j = 1..k_i), n graphs with k_i ≥ 2 and N = Σ k_i runs:

- ``graphs``: n, the graphs with two or more runs (the only ones that carry information on the
  noise); ``runs``: all runs of the cell.
- ``within_sd``: the pooled between-replicate sd, √MS_w, MS_w = Σ_i Σ_j (y_ij − ȳ_i)² / (N − n).
- ``between_sd``: the sd (ddof 1) of the per-graph means ȳ_i.
- ``split_half_r``: the Pearson r over graphs of replicate a's against replicate b's accuracy; with
  more than two replicate labels, the mean of r over every pair (a, b) of labels (each pair over
  the graphs that have both). A check beside ``icc``: with unequal replicate counts the pairs of
  high labels hold few graphs, and their unweighted mean is noisier than ``icc``.
- ``icc``: the one-way ANOVA intraclass correlation ICC(1) = (MS_b − MS_w) / (MS_b + (k₀ − 1) MS_w),
  MS_b = Σ k_i (ȳ_i − ȳ)² / (n − 1), k₀ = (N − Σ k_i² / N) / (n − 1): the estimate of the
  single-run reliability ρ = σ_g² / (σ_g² + σ_e²) the ceilings use. It uses every run at once,
  weighs each graph by its runs and does not depend on which replicate carries which label.
  ``icc_low``, ``icc_high``: its 95 % interval from F = MS_b / MS_w on (n − 1, N − n) degrees of
  freedom (Shrout & Fleiss; McGraw & Wong, case 1): F_L = F / F₀.₉₇₅(n − 1, N − n),
  F_U = F · F₀.₉₇₅(N − n, n − 1), bound = (F_· − 1) / (F_· + k₀ − 1); exact for equal counts,
  approximate (k₀ for k) for unequal ones.
- ``replicates``: K, the number of runs per graph the per-graph mean averages; with unequal
  counts, their harmonic mean over all graphs of the cell (the mean of k_i runs has noise
  variance σ_e² / k_i, so the table's average noise variance is σ_e² · mean(1 / k_i)).
- ``reliability_mean``: the Spearman–Brown reliability of the mean of K runs,
  K·ρ / (1 + (K − 1)·ρ) with ρ = ``icc`` (NaN where ``icc`` < 0).
- ``ceiling_run`` = max(ρ, 0) and ``ceiling_mean`` = Spearman–Brown of max(ρ, 0) at K, ρ =
  ``icc``: the noise ceilings, the largest R² any predictor from graph structure can reach on
  one run's accuracy and on the per-graph mean over K runs; ``ceiling_mean_low``,
  ``ceiling_mean_high``: the latter's 95 % interval, the same transform of ``icc``'s.

Why r bounds R²: write a run's accuracy as y = g + e, g the graph's expected accuracy (variance
σ_g² over graphs) and e the seed's deviation (variance σ_e², independent of g). Anything computed
from the graph can at best predict g, which explains σ_g² / (σ_g² + σ_e²) of var(y), and two runs
of one graph correlate by exactly that amount. The mean of K runs has noise variance σ_e² / K,
hence the Spearman–Brown value. With unequal counts the per-graph means carry noise variance
σ_e² / k_i, on average σ_e² · mean(1 / k_i) = σ_e² / K over the graphs of the table, so the
ceiling on the means is σ_g² / (σ_g² + σ_e² / K) = K·ρ / (1 + (K − 1)·ρ) with K the harmonic
mean: with ANOVA's estimates σ_e² = MS_w and σ_g² = (MS_b − MS_w) / k₀ this is the
Spearman–Brown value of ICC(1) at K. A negative ρ means no graph effect is detectable: ceiling 0.
The ceiling is itself an estimate; a cross-validated R² can exceed it by chance.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from randrnn.analysis import table
from randrnn.errors import RandRNNError

GRAPH = "graph_id"
REPLICATE = "replicate"
MIN_GRAPHS = 3  # fewer graphs with both replicates give no correlation
NOISE_COLUMNS = ["cell", "graphs", "runs", "replicates", "within_sd", "between_sd",
                 "split_half_r", "icc", "reliability_mean", "ceiling_run",
                 "ceiling_mean", "icc_low", "icc_high", "ceiling_mean_low",
                 "ceiling_mean_high"]  # fmt: skip
LEVEL = 0.95  # of the intervals
HOW_TO_REPLICATE = (
    "No graph has more than one run, so the seed noise cannot be estimated: train every graph "
    "twice with randrnn train-all --replicates 2."
)


def spearman_brown(r: float | np.ndarray, k: float | np.ndarray) -> float | np.ndarray:
    """Reliability of the mean of ``k`` runs from the single-run reliability ``r``: kr/(1+(k−1)r).

    NaN where the denominator is not positive (r ≤ −1/(k−1)).
    """
    r, k = np.asarray(r, dtype=float), np.asarray(k, dtype=float)
    den = 1 + (k - 1) * r
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, k * r / den, np.nan)
    return float(out) if out.ndim == 0 else out


def ceiling(r: float, k: float = 1.0) -> float:
    """The noise ceiling for R² on the mean of ``k`` runs: Spearman–Brown of max(r, 0); NaN if r is."""
    if math.isnan(r):
        return math.nan
    return float(spearman_brown(max(r, 0.0), k))


def effective_replicates(counts: np.ndarray | pd.Series) -> float:
    """K of an unequal design: the harmonic mean of the runs per graph (equal counts: that count)."""
    counts = np.asarray(counts, dtype=float)
    if counts.size == 0 or (counts <= 0).any():
        return math.nan
    return float(1.0 / np.mean(1.0 / counts))


def check_runs(runs: pd.DataFrame, target: str) -> None:
    """Per-run rows need a graph id, a replicate and a numeric target; one error otherwise."""
    missing = [c for c in (GRAPH, REPLICATE) if c not in runs.columns]
    if missing:
        raise RandRNNError(
            f"{runs.attrs.get('source', 'table')} has no {' or '.join(missing)} column: "
            "the seed noise needs one row per run"
        )
    table.check_target(runs, target)


def wide(rows: pd.DataFrame, target: str) -> pd.DataFrame:
    """One cell's runs as a graph × replicate table of the target (NaN where a run is missing)."""
    data = rows[[GRAPH, REPLICATE, target]].dropna(subset=[target])
    if data.duplicated([GRAPH, REPLICATE]).any():
        dup = data[data.duplicated([GRAPH, REPLICATE], keep=False)].iloc[0]
        raise RandRNNError(
            f"graph {dup[GRAPH]} has two runs labelled replicate {dup[REPLICATE]} in one cell; "
            "choose one training config (--config)"
        )
    return data.pivot(index=GRAPH, columns=REPLICATE, values=target).sort_index(axis=1)


def split_half_r(w: pd.DataFrame) -> float:
    """Mean over replicate-label pairs of the Pearson r across graphs that have both (NaN: none)."""
    rs = [
        r for a, b in itertools.combinations(w.columns, 2) if not math.isnan(r := pair_r(w, a, b))
    ]
    return float(np.mean(rs)) if rs else math.nan


def pair_r(w: pd.DataFrame, a: object, b: object) -> float:
    """Pearson r of replicate ``a`` against ``b`` over the graphs with both (NaN if undefined)."""
    both = w[[a, b]].dropna()
    if len(both) < MIN_GRAPHS:
        return math.nan
    x, y = both[a].to_numpy(), both[b].to_numpy()
    if _constant(x) or _constant(y):
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def _constant(values: np.ndarray) -> bool:
    """No spread beyond floating-point rounding (0.30000000000000004 beside 0.3 is constant:
    a correlation with such a column is rounding error, and changes with the target's scale)."""
    return bool(np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max())))


def anova(w: pd.DataFrame) -> dict[str, float]:
    """One-way ANOVA of the graphs with ≥ 2 runs: n, N, MS_b, MS_w, k₀, ICC(1) and its
    interval (``icc_low``, ``icc_high``)."""
    values = [row[~np.isnan(row)] for row in w.to_numpy(dtype=float)]
    values = [v for v in values if len(v) >= 2]
    n = len(values)
    k = np.array([len(v) for v in values], dtype=float)
    big_n = float(k.sum())
    out = {"n": n, "N": big_n, "ms_b": math.nan, "ms_w": math.nan, "k0": math.nan}
    out |= {"icc": math.nan, "icc_low": math.nan, "icc_high": math.nan}
    if n == 0:
        return out
    means = np.array([v.mean() for v in values])
    grand = float(np.concatenate(values).mean())
    out["ms_w"] = float(sum(((v - v.mean()) ** 2).sum() for v in values) / (big_n - n))
    if n < 2:
        return out
    out["ms_b"] = float((k * (means - grand) ** 2).sum() / (n - 1))
    out["k0"] = float((big_n - (k**2).sum() / big_n) / (n - 1))
    den = out["ms_b"] + (out["k0"] - 1) * out["ms_w"]
    if n >= MIN_GRAPHS and den > 0 and not _constant(np.concatenate(values)):
        out["icc"] = float((out["ms_b"] - out["ms_w"]) / den)
        out["icc_low"], out["icc_high"] = icc_interval(
            out["ms_b"], out["ms_w"], n, big_n, out["k0"]
        )
    return out


def icc_interval(ms_b: float, ms_w: float, n: int, big_n: float, k0: float) -> tuple[float, float]:
    """The ``LEVEL`` interval of ICC(1) from F = MS_b / MS_w (module docstring); NaN where F
    is not finite (no spread within graphs)."""
    from scipy import stats

    if ms_w <= 0:
        return math.nan, math.nan
    f, df_b, df_w = ms_b / ms_w, n - 1, big_n - n
    q = 1 - (1 - LEVEL) / 2
    f_low = f / stats.f.ppf(q, df_b, df_w)
    f_high = f * stats.f.ppf(q, df_w, df_b)
    return float((f_low - 1) / (f_low + k0 - 1)), float((f_high - 1) / (f_high + k0 - 1))


def noise_group(rows: pd.DataFrame, target: str) -> dict:
    """The seed-noise numbers of one cell's per-run rows (see the module docstring)."""
    w = wide(rows, target)
    counts = w.notna().sum(axis=1)
    replicated = w[counts >= 2]
    stats = anova(replicated)
    means = replicated.mean(axis=1)
    rho = stats["icc"]
    k = effective_replicates(counts[counts > 0])
    return {
        "graphs": int(stats["n"]),
        "runs": int(counts.sum()),
        "replicates": k,
        "within_sd": math.sqrt(stats["ms_w"]) if not math.isnan(stats["ms_w"]) else math.nan,
        "between_sd": float(means.std(ddof=1)) if len(means) >= 2 else math.nan,
        "split_half_r": split_half_r(replicated),
        "icc": rho,
        # A negative ICC is noise around 0: no reliability to extrapolate from it.
        "reliability_mean": math.nan if math.isnan(rho) or rho < 0 else spearman_brown(rho, k),
        "ceiling_run": ceiling(rho, 1.0),
        "ceiling_mean": ceiling(rho, k),
        "icc_low": stats["icc_low"],
        "icc_high": stats["icc_high"],
        "ceiling_mean_low": ceiling(stats["icc_low"], k),
        "ceiling_mean_high": ceiling(stats["icc_high"], k),
    }


def noise(
    runs: pd.DataFrame, target: str = table.DEFAULT_TARGET, cell: str | None = None
) -> pd.DataFrame:
    """One row per cell (only ``cell`` if given): ``NOISE_COLUMNS``, NaN where undefined."""
    check_runs(runs, target)
    return _noise(runs, target, cell)


def _noise(runs: pd.DataFrame, target: str, cell: str | None) -> pd.DataFrame:
    records = [
        {"cell": name} | noise_group(rows, target)
        for (name, _), rows in table.groups(runs, cell=cell)
    ]
    return pd.DataFrame.from_records(records, columns=NOISE_COLUMNS)


def of_runs(
    runs: pd.DataFrame, target: str = table.DEFAULT_TARGET, cell: str | None = None
) -> pd.DataFrame | None:
    """The ``noise`` table of per-run rows when some graph has two or more runs, else None.

    Tables without graph ids and replicates (a CSV of one run per graph) give None. The
    ``target`` was checked by the caller, at the edge (`table.check_target`), and is not again.
    """
    if GRAPH not in runs.columns or REPLICATE not in runs.columns:
        return None
    result = _noise(runs, target, cell)
    return result if has_replicates(result) else None


def has_replicates(result: pd.DataFrame) -> bool:
    """Whether any cell of a ``noise`` result has a graph with two or more runs."""
    return bool(len(result)) and bool((result["graphs"] > 0).any())


def ceilings(result: pd.DataFrame, per_run: bool) -> dict[str, tuple[float, str]]:
    """Per cell of a ``noise`` result, the ceiling of what is analysed and its name.

    ``per_run``: each run's accuracy is predicted, so the single-run ceiling; otherwise the
    per-graph mean over K runs, so the Spearman–Brown ceiling at K. Cells with no replicated
    graph are left out.
    """
    out = {}
    for row in result.itertuples(index=False):
        if row.graphs == 0 or math.isnan(row.ceiling_run):
            continue
        if per_run:
            out[row.cell] = (row.ceiling_run, "one run")
        else:
            out[row.cell] = (
                row.ceiling_mean,
                f"mean of {table.fmt(row.replicates, 2, whole=True)} runs",
            )
    return out


def replicate_pairs(
    runs: pd.DataFrame, target: str = table.DEFAULT_TARGET, cell: str | None = None
) -> pd.DataFrame:
    """Per cell, two replicates side by side: cell, graph_id, a, b, y_a, y_b, r.

    The frame the report plots (replicate a against b, one point per graph): the pair of
    replicate labels that most graphs share (the lowest labels on a tie, so 0 and 1 when every
    graph has them); ``r`` is that pair's Pearson r, repeated on each of the cell's rows.
    """
    check_runs(runs, target)
    parts = []
    for (name, _), rows in table.groups(runs, cell=cell):
        w = wide(rows, target)
        shared = {
            (a, b): int(w[[a, b]].notna().all(axis=1).sum())
            for a, b in itertools.combinations(w.columns, 2)
        }
        if not shared or max(shared.values()) == 0:
            continue
        a, b = max(shared, key=lambda pair: shared[pair])  # first maximum: lowest labels
        both = w[[a, b]].dropna()
        parts.append(pd.DataFrame({
            "cell": name,
            GRAPH: both.index,
            "a": a,
            "b": b,
            "y_a": both[a].to_numpy(),
            "y_b": both[b].to_numpy(),
            "r": pair_r(w, a, b),
        }))  # fmt: skip
    columns = ["cell", GRAPH, "a", "b", "y_a", "y_b", "r"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def display(result: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The ``noise`` result as one titled frame of strings."""
    f = table.fmt
    frame = pd.DataFrame({
        "cell": [table.cell_label(str(c)) for c in result["cell"]],
        "graphs ≥2 runs": result["graphs"].astype(int).astype(str),
        "K": [f(v, 2, whole=True) for v in result["replicates"]],
        "within-graph sd": [f(v, 4) for v in result["within_sd"]],
        "between-graph sd": [f(v, 4) for v in result["between_sd"]],
        "ICC(1)": [f(v) for v in result["icc"]],
        "ICC(1) 95% CI": _intervals(result["icc_low"], result["icc_high"]),
        "split-half r (check)": [f(v) for v in result["split_half_r"]],
        "Spearman–Brown (K)": [f(v) for v in result["reliability_mean"]],
        "ceiling, one run": [f(v) for v in result["ceiling_run"]],
        "ceiling, mean of K": [f(v) for v in result["ceiling_mean"]],
        "ceiling (K) 95% CI": _intervals(result["ceiling_mean_low"], result["ceiling_mean_high"]),
    })  # fmt: skip
    return [("seed noise: replicates of each graph (noise ceiling for R²)", frame)]


def _intervals(low: pd.Series, high: pd.Series) -> list[str]:
    f = table.fmt
    return [
        "" if math.isnan(a) or math.isnan(b) else f"[{f(a)}, {f(b)}]" for a, b in zip(low, high)
    ]


LEGEND = (
    "within-graph sd: between replicates of one graph; between-graph sd: of the per-graph means; "
    "ICC(1): the one-way ANOVA reliability ρ of one run, with its 95% interval; split-half r: "
    "Pearson r of replicate a vs b over graphs (mean over pairs when K > 2), a check on ρ; "
    "ceiling: the largest R² any predictor from graph structure can reach given the seed noise "
    "(one run: ρ; mean of K runs, K the harmonic mean of the runs per graph: Spearman–Brown "
    "Kρ/(1+(K−1)ρ), with the interval of ρ carried over)."
)
