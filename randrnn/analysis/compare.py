"""Two studies of the same graphs, compared graph by graph (a paired design).

Train one set of graphs two ways — bucketed vs shuffled batches, 5 vs 15 epochs, two data sets —
into two studies generated with the same seed, and ask: does the change move accuracy, and does it
change what the graph properties say? Pairing by graph removes the between-graph spread, so a
small shift is seen with few graphs.

- `paired_means`: per cell, the mean of each study, the mean paired difference d = B − A with
  its 95 % t interval (mean(d) ± t₀.₉₇₅,ₙ₋₁ · sd(d)/√n), the paired t-test p-value and the total
  training time of each (the sum of ``train_seconds`` over every run of the paired graphs,
  replicates included: each model's share of its pack's wall time).
- `sign_changes`: per cell and property, the Pearson r with the target in each study, and which
  properties flip sign while |r| exceeds a threshold in either study.

Graphs are paired by id; a pair whose stored graphs differ (generator, seed, nodes, edges) stops
the comparison with one line, since the studies then hold different graphs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from randrnn.analysis import table
from randrnn.errors import RandRNNError

IDENTITY = ("generator", "seed", "nodes", "edges")  # what must agree for two rows to be one graph
DEFAULT_MIN_R = 0.2  # a sign change counts when |r| exceeds this in either study


def paired(
    a: pd.DataFrame, b: pd.DataFrame, target: str = table.DEFAULT_TARGET, explain=None
) -> pd.DataFrame:
    """The rows of ``a`` and ``b`` joined on (graph_id, cell): ``target_a``, ``target_b`` and the
    shared graph columns; one error line if a shared graph id holds different graphs (a missing
    target: ``explain`` as in `table.check_target`)."""
    for name, df in (("A", a), ("B", b)):
        table.check_target(df, target, explain)
        if "graph_id" not in df.columns:
            raise RandRNNError(f"study {name} has no graph_id column: cannot pair graphs")
    keys = ["graph_id", "cell"]
    tasks = [t for t in (a, b) if "task" in t.columns]
    if len(tasks) == 2:
        keys.append("task")  # a task's runs are paired with the same task's only
    elif tasks:
        raise RandRNNError("one study has several tasks and the other not: compare like with like")
    both = a.merge(b, on=keys, suffixes=("_a", "_b"))
    if both.empty:
        raise RandRNNError("the two studies share no (graph, cell) pair with finished runs")
    for col in IDENTITY:
        if f"{col}_a" in both.columns and f"{col}_b" in both.columns:
            differs = both[f"{col}_a"].astype(str) != both[f"{col}_b"].astype(str)
            if differs.any():
                gid = int(both.loc[differs, "graph_id"].iloc[0])
                raise RandRNNError(
                    f"graph {gid} differs between the studies ({col}): generate both with the "
                    "same --n, --seed and generator options"
                )
    return both


def _interval(d: np.ndarray) -> tuple[float, float, float]:
    """95 % t interval of the mean of d and the paired t-test p-value (NaN if n < 2)."""
    n = len(d)
    if n < 2:
        return math.nan, math.nan, math.nan
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    p = stats.ttest_1samp(d, 0.0).pvalue if d.std(ddof=1) > 0 else math.nan
    return float(d.mean() - half), float(d.mean() + half), float(p)


def paired_means(both: pd.DataFrame, target: str = table.DEFAULT_TARGET) -> pd.DataFrame:
    """Per (task,) cell: n, mean of A and B, mean difference B − A with its 95 % CI and p, and
    the total training seconds of each study (NaN where ``train_seconds`` is missing)."""
    rows = []
    keys = [k for k in ("task", "cell") if k in both.columns]
    for key, group in both.groupby(keys, sort=False):
        task, cell = key if len(keys) == 2 else (None, key[0])
        a = group[f"{target}_a"].to_numpy(float)
        b = group[f"{target}_b"].to_numpy(float)
        lo, hi, p = _interval(b - a)
        rows.append(
            {
                **({"task": task} if task is not None else {}),
                "cell": cell,
                "graphs": len(group),
                "mean_a": a.mean(),
                "mean_b": b.mean(),
                "diff": (b - a).mean(),
                "ci_low": lo,
                "ci_high": hi,
                "p": p,
                "seconds_a": _seconds(group, "a"),
                "seconds_b": _seconds(group, "b"),
            }
        )
    rows.sort(key=lambda r: (str(r.get("task", "")), table._cell_order(r["cell"])))
    return pd.DataFrame(rows)


def _seconds(group: pd.DataFrame, side: str) -> float:
    """The total over every run: a row's ``train_seconds`` is its graph's mean over its
    ``replicates`` runs, so each row counts that many times."""
    column, runs = f"train_seconds_{side}", f"replicates_{side}"
    if column not in group.columns:
        return math.nan
    times = group[column].to_numpy(float)
    if runs in group.columns:
        times = times * group[runs].to_numpy(float)
    return float(times.sum())


def sign_changes(
    both: pd.DataFrame,
    target: str = table.DEFAULT_TARGET,
    min_r: float = DEFAULT_MIN_R,
) -> pd.DataFrame:
    """Per cell and property: Pearson r with the target in A and in B, and ``flips`` — True when
    the two signs differ and |r| > ``min_r`` in either study. Properties constant in a cell are
    left out (they have no correlation)."""
    rows = []
    properties = [p for p in table.PROPERTIES if f"{p}_a" in both.columns]
    keys = [k for k in ("task", "cell") if k in both.columns]
    for key, group in both.groupby(keys, sort=False):
        task, cell = key if len(keys) == 2 else (None, key[0])
        for prop in properties:
            # A property is the same number in both studies (same graph); use A's column.
            x = group[f"{prop}_a"].to_numpy(float)
            if len(x) < 3 or np.ptp(x) == 0:
                continue
            r = {}
            for side in ("a", "b"):
                y = group[f"{target}_{side}"].to_numpy(float)
                r[side] = float(stats.pearsonr(x, y).statistic) if np.ptp(y) > 0 else math.nan
            flips = (
                not math.isnan(r["a"])
                and not math.isnan(r["b"])
                and np.sign(r["a"]) != np.sign(r["b"])
                and max(abs(r["a"]), abs(r["b"])) > min_r
            )
            task_col = {"task": task} if task is not None else {}
            rows.append({**task_col, "cell": cell, "property": prop, "r_a": r["a"],
                         "r_b": r["b"], "flips": bool(flips)})  # fmt: skip
    columns = [*(["task"] if len(keys) == 2 else []), "cell", "property", "r_a", "r_b", "flips"]
    return pd.DataFrame(rows, columns=columns)


def compare_studies(
    study_a: str | Path,
    study_b: str | Path,
    *,
    target: str = table.DEFAULT_TARGET,
    config_a: str | None = None,
    config_b: str | None = None,
    min_r: float = DEFAULT_MIN_R,
    explain=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(paired means per cell, correlations per cell and property) of two studies of the same
    graphs, each reduced to one config per cell and to per-graph means over replicates."""
    a = table.load_study(study_a, config=config_a)
    b = table.load_study(study_b, config=config_b)
    both = paired(a, b, target, explain)
    return paired_means(both, target), sign_changes(both, target, min_r)
