"""One row per (task, cell) of an atlas: the numbers docs/findings.md puts side by side.

    python scripts/atlas_summary.py ATLAS [--findings DIR ...] [--format markdown|csv]

From the atlas itself (`randrnn.atlas.load`, nothing trained): graphs, runs, mean test accuracy
per replicate, the seed noise (within/between-graph sd, ICC(1) with its 95 % interval, the R²
ceiling for the mean of the replicates with the range the ICC's interval allows;
`randrnn.analysis.noise`). With ``--findings``, folders written by ``scripts/atlas_findings.sh``
(one per task and cell set): the best property regressor's pooled R², its share of the ceiling
(with the range), the best Kendall τ of the properties, of properties + 3 epochs of curve, and
of the third epoch's accuracy alone (the naive ranker).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from randrnn.analysis import noise, table
from randrnn.atlas import load


def from_atlas(path: str) -> pd.DataFrame:
    atlas = load(path)
    runs = table.load_study(atlas.study_path(), per_run=True)
    rows = []
    for task, part in table.by_task(runs):
        seeds = noise.noise(part)
        for cell, cell_runs in part.groupby("cell"):
            stats = seeds[seeds["cell"] == cell].iloc[0]
            by_rep = cell_runs.groupby("replicate")["test_acc"].mean()
            rows.append({
                "task": task, "cell": cell, "graphs": cell_runs["graph_id"].nunique(),
                "runs": len(cell_runs), "mean_acc": cell_runs["test_acc"].mean(),
                "mean_acc_by_replicate": " / ".join(f"{v:.3f}" for v in by_rep),
                "within_sd": stats["within_sd"], "between_sd": stats["between_sd"],
                "icc": stats["icc"], "icc_low": stats["icc_low"], "icc_high": stats["icc_high"],
                "ceiling": stats["ceiling_mean"], "ceiling_low": stats["ceiling_mean_low"],
                "ceiling_high": stats["ceiling_mean_high"],
            })  # fmt: skip
    return pd.DataFrame(rows)


def _best(path: Path, column: str) -> pd.Series | None:
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    frame = frame[frame["regressor"] != "dummy"]
    return frame.loc[frame.groupby("cell")[column].idxmax()].set_index("cell")


def from_findings(folder: str) -> pd.DataFrame:
    """The predictor columns of one findings folder, one row per cell (the folder is one
    task's: the caller names it)."""
    root = Path(folder)
    out = {}
    best = _best(root / "predict-properties.csv", "r2_pooled")
    if best is not None:
        for cell, row in best.iterrows():
            out.setdefault(cell, {}).update(
                best_regressor=row["regressor"], r2_pooled=row["r2_pooled"]
            )
    for name, column in (("predict-properties.csv", "tau_properties"),
                         ("predict-curve-3.csv", "tau_curve_3"),
                         ("predict-naive-3.csv", "tau_naive_3")):  # fmt: skip
        tau = _best(root / name, "kendall")
        if tau is not None:
            for cell, row in tau.iterrows():
                out.setdefault(cell, {})[column] = row["kendall"]
    graph = root / "predict-graph.csv"
    if graph.is_file():
        frame = pd.read_csv(graph)
        for reg in ("wl_kernel", "gin", "wl_props", "gin_props"):
            for _, row in frame[frame["regressor"] == reg].iterrows():
                out.setdefault(row["cell"], {})[f"r2_{reg}"] = row["r2_pooled"]
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("cell").reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("atlas")
    parser.add_argument(
        "--findings",
        nargs="*",
        default=[],
        help="TASK=DIR: a scripts/atlas_findings.sh folder of that task",
    )
    parser.add_argument("--format", default="markdown", choices=["markdown", "csv"])
    args = parser.parse_args()
    summary = from_atlas(args.atlas)
    extra = []
    for spec in args.findings:
        task, _, folder = spec.partition("=")
        part = from_findings(folder)
        if len(part):
            extra.append(part.assign(task=task))
    if extra:
        summary = summary.merge(pd.concat(extra), on=["task", "cell"], how="left")
        summary["r2_of_ceiling"] = summary["r2_pooled"] / summary["ceiling"]
        summary["r2_of_ceiling_range"] = [
            f"{r / hi:.2f}–{r / lo:.2f}" if pd.notna(r) and lo > 0 else ""
            for r, lo, hi in zip(summary["r2_pooled"], summary["ceiling_low"],
                                 summary["ceiling_high"])]  # fmt: skip
    if args.format == "csv":
        print(summary.to_csv(index=False), end="")
    else:
        print(table.to_markdown(summary.round(3)))


if __name__ == "__main__":
    main()
