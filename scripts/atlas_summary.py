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


def _read(path: Path, task: str) -> pd.DataFrame | None:
    """A findings CSV with a ``task`` column (``task`` where a one-task study wrote none)."""
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    return frame if "task" in frame.columns else frame.assign(task=task)


def _best(path: Path, column: str, task: str) -> pd.DataFrame | None:
    """Per (task, cell), the row of the non-Dummy regressor with the largest ``column``."""
    frame = _read(path, task)
    if frame is None:
        return None
    frame = frame[frame["regressor"] != "dummy"]
    return frame.loc[frame.groupby(["task", "cell"])[column].idxmax()]


def from_findings(folder: str, task: str) -> pd.DataFrame:
    """The predictor columns of one findings folder, one row per (task, cell); ``task`` names
    the rows of CSVs written from a one-task study (they have no task column)."""
    root = Path(folder)
    out: dict[tuple[str, str], dict] = {}
    best = _best(root / "predict-properties.csv", "r2_pooled", task)
    for _, row in (best if best is not None else pd.DataFrame()).iterrows():
        out.setdefault((row["task"], row["cell"]), {}).update(
            best_regressor=row["regressor"], r2_pooled=row["r2_pooled"]
        )
    for name, column in (("predict-properties.csv", "tau_properties"),
                         ("predict-curve-3.csv", "tau_curve_3"),
                         ("predict-naive-3.csv", "tau_naive_3")):  # fmt: skip
        tau = _best(root / name, "kendall", task)
        for _, row in (tau if tau is not None else pd.DataFrame()).iterrows():
            out.setdefault((row["task"], row["cell"]), {})[column] = row["kendall"]
    graph = _read(root / "predict-graph.csv", task)
    for reg in ("wl_kernel", "gin", "wl_props", "gin_props") if graph is not None else ():
        for _, row in graph[graph["regressor"] == reg].iterrows():
            out.setdefault((row["task"], row["cell"]), {})[f"r2_{reg}"] = row["r2_pooled"]
    rows = [{"task": t, "cell": c, **values} for (t, c), values in out.items()]
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("atlas")
    parser.add_argument(
        "--findings",
        nargs="*",
        default=[],
        help="TASK=DIR: a scripts/atlas_findings.sh folder (TASK names its rows where its "
        "CSVs have no task column: those of a one-task atlas)",
    )
    parser.add_argument("--format", default="markdown", choices=["markdown", "csv"])
    args = parser.parse_args()
    summary = from_atlas(args.atlas)
    extra = []
    for spec in args.findings:
        task, _, folder = spec.partition("=")
        part = from_findings(folder, task)
        if len(part):
            extra.append(part)
    if extra:
        found = pd.concat(extra).groupby(["task", "cell"], as_index=False).first()
        summary = summary.merge(found, on=["task", "cell"], how="left")
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
