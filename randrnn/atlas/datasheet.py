"""The atlas' datasheet: how it was built, what it holds per slice, cell and replicate, what is
missing (nothing, or each run named, and each replicate never trained), and the checksum of
every file. Plain text from the meta
(`randrnn.atlas.export`) and the runs table."""

from __future__ import annotations

import pandas as pd


def datasheet(meta: dict, runs: pd.DataFrame) -> str:
    """The DATASHEET.md text of an atlas."""
    lines = [
        f"# randrnn atlas {meta['version']}",
        "",
        (
            f"Format {meta['format']}, exported {meta['created']} by randrnn {meta['exported_by']};"
            f" trained by {', '.join(meta['codes']) or 'an unrecorded version'}."
        ),
        (
            f"{meta['counts']['graphs']} graphs, {meta['counts']['runs']} runs,"
            f" {meta['counts']['curve_rows']} curve rows (run × epoch),"
            f" {meta['counts']['weights']} runs with weights."
        ),
        "",
        (
            "Load it: `from randrnn import atlas; a = atlas.load(PATH)` (DataFrames `a.graphs`,"
            " `a.runs`, `a.curves`; `a.query(graph)`), or any pandas/DuckDB/Polars Parquet reader."
        ),
        "",
        *([meta["note"], ""] if meta.get("note") else []),
        "## Slices",
        "",
        "| task | config | cells | replicates | graphs | runs | expected | missing |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in meta["slices"]:
        lines.append(
            f"| {s['task']} | {s['config_hash']} | {', '.join(s['cells'])} | {s['replicates']} |"
            f" {s['graphs']} | {s['runs']} | {s['expected']} | {len(s['missing'])} |"
        )
    lines += ["", "Training config per slice (the run's `config` column holds it whole):", ""]
    for s in meta["slices"]:
        lines.append(f"- {s['task']}: `{_compact(s['config'])}`")
    lines += ["", "## Runs per task, cell and replicate", ""]
    if len(runs):
        counts = runs.groupby(["task", "cell", "replicate"]).size().reset_index(name="runs")
        lines += [
            "| task | cell | replicate | runs | mean test_acc |",
            "| --- | --- | --- | --- | --- |",
        ]
        means = runs.groupby(["task", "cell", "replicate"])["test_acc"].mean()
        for row in counts.itertuples(index=False):
            mean = means[(row.task, row.cell, row.replicate)]
            lines.append(f"| {row.task} | {row.cell} | {row.replicate} | {row.runs} | {mean:.4f} |")
    lines += ["", "## What is missing", ""]
    missing = [(s["task"], m) for s in meta["slices"] for m in s["missing"]]
    if not missing:
        lines.append("Nothing: every slice holds every run the study was asked for.")
    else:
        for s in meta["slices"]:
            for k in s.get("absent_replicates", []):
                never = f"replicate {k} of {s['replicates']} was never trained"
                lines += [f"Slice {s['task']}: {never} (none of its runs is here).", ""]
        lines.append(f"{len(missing)} runs (task/cell/graph/replicate), not trained yet:")
        lines.append("")
        lines += [f"- {m}" for _, m in missing[:200]]
        if len(missing) > 200:
            lines.append(f"- ... and {len(missing) - 200} more (atlas.json lists every one)")
    if meta["counts"]["weights"] == 0:
        lines += ["", ("Weights are not part of this export: rebuild them by running the commands"
                  " below (train-all keeps every run's weights), then export again.")]  # fmt: skip
    lines += ["", "## How it was built", "", "```"]
    lines += meta["commands"]
    lines += ["```", "", "## Files (sha256)", ""]
    lines += [f"- `{name}`: `{digest}`" for name, digest in sorted(meta["files"].items())]
    lines += ["", f"Atlas checksum (over the light tables): `{meta['checksum']}`", ""]
    return "\n".join(lines)


def _compact(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(config.items()))
