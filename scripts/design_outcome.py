"""Did the design work? The designed graphs against the random control group of one study made
by `randrnn design --random K` and trained with `randrnn train-all`.

    python scripts/design_outcome.py DESIGNED_STUDY [--reference STUDY_OR_ATLAS] [--cell gru]
        [--task reber]

Per group: graphs, runs, the mean of the graph means (replicates averaged) and its sd; the
difference designed − random with its 95 % CI two ways (Welch's t over graph means, and a
seeded bootstrap of graph means, 10,000 resamples); Spearman between each graph's predicted
and its measured accuracy. With ``--reference`` (the study or atlas the predictor read), where
the designed graphs' means rank among the reference's graph means of the same cell and task
(percentile: the share of reference graphs below).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats

from randrnn.analysis import table
from randrnn.atlas import is_atlas, load


def graph_means(path: str, cell: str, task: str | None = None) -> pd.DataFrame:
    """One row per graph of ``cell`` (and ``task``, where the runs name one): its mean test
    accuracy over replicates and its params. ``path``: a study or an atlas."""
    if is_atlas(path):
        path = load(path).study_path()
    runs = table.load_study(path, per_run=True)
    runs = runs[runs["cell"] == cell]
    if task is not None and table.TASK in runs.columns:
        runs = runs[runs[table.TASK] == task]
    keep = [c for c in runs.columns if c.startswith("param_")] + ["generator", "nodes"]
    means = runs.groupby("graph_id").agg(test_acc=("test_acc", "mean"), runs=("test_acc", "size"))
    return means.join(runs.groupby("graph_id")[keep].first())


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Difference of means a − b, its 95 % Welch CI (low, high)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.975, dof) * se
    diff = a.mean() - b.mean()
    return diff, diff - half, diff + half


def bootstrap(a: np.ndarray, b: np.ndarray, n: int = 10000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    diffs = [rng.choice(a, len(a)).mean() - rng.choice(b, len(b)).mean() for _ in range(n)]
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study")
    parser.add_argument("--reference")
    parser.add_argument("--cell", default="gru")
    parser.add_argument("--task", default="reber", help="the reference's task compared with")
    args = parser.parse_args()
    means = graph_means(args.study, args.cell)
    designed = means[means["param_group"] == "designed"]
    control = means[means["param_group"] == "random"]
    for name, rows in (("designed", designed), ("random", control)):
        predicted = rows[f"param_predicted_{args.cell}"]
        print(f"{name}: {len(rows)} graphs, {int(rows['runs'].sum())} runs, mean "
              f"{rows['test_acc'].mean():.4f} (sd {rows['test_acc'].std(ddof=1):.4f}), "
              f"predicted {predicted.mean():.4f}")  # fmt: skip
    a, b = designed["test_acc"].to_numpy(), control["test_acc"].to_numpy()
    diff, low, high = welch(a, b)
    blow, bhigh = bootstrap(a, b)
    print(f"designed − random: {diff:+.4f}, 95% CI Welch [{low:+.4f}, {high:+.4f}], "
          f"bootstrap [{blow:+.4f}, {bhigh:+.4f}]")  # fmt: skip
    for family in sorted(set(designed["generator"])):
        same = control[control["generator"] == family]["test_acc"].to_numpy()
        if len(same) < 2:
            continue
        mine = designed[designed["generator"] == family]["test_acc"].to_numpy()
        diff, low, high = welch(mine, same)
        print(f"within {family}: {len(mine)} designed {mine.mean():.4f}, {len(same)} random "
              f"{same.mean():.4f}, difference {diff:+.4f}, 95% CI Welch [{low:+.4f}, {high:+.4f}]")  # fmt: skip
    rho = stats.spearmanr(means[f"param_predicted_{args.cell}"], means["test_acc"]).statistic
    print(f"Spearman(predicted, measured) over all {len(means)} graphs: {rho:.3f}")
    if args.reference:
        ref = graph_means(args.reference, args.cell, args.task)["test_acc"].to_numpy()
        pct = [100 * float((ref < v).mean()) for v in a]
        print(f"designed graphs among the reference's {len(ref)}: median percentile "
              f"{np.median(pct):.0f}, {sum(p >= 90 for p in pct)} of {len(a)} in its top 10 %, "
              f"reference mean {ref.mean():.4f}, best {ref.max():.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
