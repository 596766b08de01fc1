"""`randrnn compare A B`: two studies of the same graphs, compared graph by graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from randrnn.cli.core import app
from randrnn.cli.options import OutFileOpt
from randrnn.cli.output import FormatOpt, View, WideOpt, emit, out_file, parse_format


@app.command()
def compare(
    study_a: Annotated[Path, typer.Argument(help="Study directory A (the reference).")],
    study_b: Annotated[Path, typer.Argument(help="Study directory B (the change).")],
    target: Annotated[str, typer.Option(help="Column to compare (accuracy).")] = "test_acc",
    config_a: Annotated[
        str | None, typer.Option(help="Config hash (or prefix) of A's runs, if several.")
    ] = None,
    config_b: Annotated[
        str | None, typer.Option(help="Config hash (or prefix) of B's runs, if several.")
    ] = None,
    min_r: Annotated[
        float, typer.Option(help="A sign change counts when |r| exceeds this in A or B.")
    ] = 0.2,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    out: OutFileOpt = None,
    markdown: Annotated[bool, typer.Option("--markdown", hidden=True)] = False,  # former flag
) -> None:
    """Compare two studies trained on the same graphs (e.g. --batching bucket vs shuffle).

    Per cell: mean accuracy of A and B over n graphs, the mean paired difference B − A with its 95 % t interval and p-value, and each study's training seconds (s A, s B: the total over every run of the paired graphs, replicates included; a run's seconds are its share of its pack's wall time). Then every property whose Pearson r with accuracy changes sign between A and B while |r| > --min-r in either.
    """
    fmt, out = parse_format("markdown" if markdown else fmt), out_file(out)
    from randrnn.analysis import compare as lib
    from randrnn.analysis import table
    from randrnn.analysis.correlate import format_p
    from randrnn.pruning.results import missing_target

    means, corr = lib.compare_studies(
        study_a,
        study_b,
        target=target,
        config_a=config_a,
        config_b=config_b,
        min_r=min_r,
        explain=missing_target,
    )
    shown = means.assign(
        cell=means["cell"].map(table.cell_label),
        ci=[
            f"[{table.fmt(lo, 3)}, {table.fmt(hi, 3)}]"
            for lo, hi in zip(means["ci_low"], means["ci_high"])
        ],
        p=means["p"].map(format_p),
    )
    task = ["task"] if "task" in means.columns else []  # studies of several tasks: per task
    shown = shown[[*task, "cell", "graphs", "mean_a", "mean_b", "diff", "ci", "p", "seconds_a",
                   "seconds_b"]]  # fmt: skip
    shown.columns = [*task, "cell", "n", "A", "B", "B − A", "95% CI", "p", "s A", "s B"]
    flips = corr[corr["flips"]].assign(cell=lambda d: d["cell"].map(table.cell_label))
    flips = flips[[*task, "cell", "property", "r_a", "r_b"]]
    title = f"{target}: A = {study_a}, B = {study_b}; diff = B − A, paired by graph"
    views = [View(title, _formatted(shown), text=(*task, "cell"))]
    legend = f"no property changes the sign of its r with |r| > {min_r} in A or B"
    if not flips.empty:
        flipped = f"sign changes (|r| > {min_r} in A or B)"
        views.append(View(flipped, _formatted(flips), text=(*task, "cell", "property")))
        legend = ""
    emit(views, means, fmt, out, legend, wide)


def _formatted(frame):
    from randrnn.analysis import table

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            digits = 0 if col.startswith("s") else 3
            out[col] = [table.fmt(v, digits) for v in out[col]]
    return out
