"""Pruning commands: `randrnn prune` runs the docs/method.md §7 protocol, `randrnn prune-results` shows it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from randrnn.cli import app, console, names
from randrnn.errors import RandRNNError, check_name, parse_names
from randrnn.training.config import DEFAULT_BATCHING

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "markdown")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise RandRNNError(f"hidden sizes must look like 50,50,50, got '{text}'") from None


def _level_table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in (
        "level %",
        "pruned %",
        "i2h %",
        "h2h %",
        "acc before",
        "after pruning",
        "after retraining",
        "epochs to regain",
    ):
        table.add_column(name, justify="right")
    for row in rows:
        detail = row["sparsity_detail"]
        regain = row["epochs_to_regain"]
        table.add_row(
            f"{row['level']:g}",
            f"{100 * row['sparsity']:.1f}",
            f"{100 * detail.get('i2h', 0):.1f}",
            f"{100 * detail.get('h2h', 0):.1f}",
            f"{row['acc_before']:.4f}",
            f"{row['acc_pruned']:.4f}",
            f"{row['acc_final']:.4f}",
            "never" if regain is None else str(regain),
        )
    return table


@app.command("prune")
def prune_command(
    cell: Annotated[
        str, typer.Option(help="Cell(s), comma-separated: rnn_tanh, rnn_relu, lstm, gru.")
    ] = "lstm",
    method: Annotated[
        str, typer.Option(help=f"Criterion(s): {names.listed(names.CRITERIA)}.")
    ] = "magnitude",
    target: Annotated[
        str, typer.Option(help=f"Weight set(s): {names.listed(names.TARGETS)}.")
    ] = "both",
    levels: Annotated[
        str, typer.Option(help="Percent of existing weights: start:stop:step or a list.")
    ] = "10:100:10",
    scope: Annotated[
        str,
        typer.Option(help="global: one threshold over all selected matrices; layer: per matrix."),
    ] = "global",
    tolerance: Annotated[
        float,
        typer.Option(
            help="Accuracy (fraction) allowed below the unpruned model for epochs-to-regain; 0.01 = 1 point."
        ),
    ] = names.TOLERANCE,
    retrain_epochs: Annotated[
        int, typer.Option(help="Retraining epochs after pruning (mask fixed).")
    ] = 10,
    base_epochs: Annotated[int, typer.Option(help="Epochs of base-model training.")] = 50,
    batch_size: Annotated[
        int, typer.Option(help="Batch size (base training and retraining).")
    ] = 32,
    seed: Annotated[
        int, typer.Option(help="Model initialisation, batch order, random criterion.")
    ] = 0,
    batching: Annotated[
        str, typer.Option(help="'bucket': batches of similar length; 'shuffle': random batches.")
    ] = DEFAULT_BATCHING,
    study: Annotated[Path, typer.Option(help="Study directory (created if missing).")] = Path(
        "study"
    ),
    graph: Annotated[
        int | None,
        typer.Option(help="Prune the model of this study graph instead of the dense base model."),
    ] = None,
    max_train: Annotated[
        int | None, typer.Option(help="Use a seeded subset of this many training strings.")
    ] = None,
    max_test: Annotated[
        int | None, typer.Option(help="Use a seeded subset of this many test strings.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Folder with train.csv and test.csv (default: shipped set).")
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="WAEA: weight of Filter(Q) in the activity (paper's best 0.3).")
    ] = 0.3,
    waea_reading: Annotated[
        str,
        typer.Option(
            help="WAEA: what the filter reads. signed: the mean weight Q, centred on the mean of "
            "the signed Q (eq. (2) as written; drops the largest |w| first); magnitude: |Q| with "
            "μ, σ of |Q| (drops the smallest and the largest |w|)."
        ),
    ] = names.WAEA_READING,
    waea_steps: Annotated[
        int | None,
        typer.Option(
            help="WAEA window: N extra training steps from the base (default: its last training epoch)."
        ),
    ] = None,
    waea_filter: Annotated[
        str,
        typer.Option(
            help="WAEA: μ and σ of the filter from each matrix's Q (matrix) or all selected (global)."
        ),
    ] = "matrix",
    waea_center: Annotated[
        str, typer.Option(help="WAEA: filter centre: mean of Q, or zero.")
    ] = "mean",
    waea_normalize: Annotated[
        str,
        typer.Option(
            help="WAEA: scale Filter(Q) and I per matrix: rank (their ranks in [0, 1]; α matters), "
            "minmax (I stays near 0, so α barely matters) or none."
        ),
    ] = names.WAEA_NORMALIZATION,
    hidden: Annotated[
        str, typer.Option(hidden=True, help="Layer sizes of the dense base model.")
    ] = "50,50,50",
) -> None:
    """Prune a trained model at each level, retrain, and store the results in the study."""
    from randrnn.models.cells import parse_cells
    from randrnn.pruning.criteria import CRITERIA, SCOPES, TARGETS
    from randrnn.pruning.protocol import PruneSpec, base_config, parse_levels, run_pruning
    from randrnn.pruning.waea import CENTERS, FILTER_STATS, NORMALIZE, READINGS, WaeaOptions
    from randrnn.reber import load_data
    from randrnn.store import Study

    cells = parse_cells(cell)
    methods = parse_names(method, CRITERIA, "method")
    targets = parse_names(target, TARGETS, "target")
    check_name("scope", scope, SCOPES)
    check_name("WAEA reading", waea_reading, READINGS)
    for value, known in (
        (waea_filter, FILTER_STATS),
        (waea_center, CENTERS),
        (waea_normalize, NORMALIZE),
    ):
        check_name("WAEA option", value, known)
    waea = WaeaOptions(
        alpha=alpha,
        reading=waea_reading,
        window_steps=waea_steps,
        filter_stats=waea_filter,
        center=waea_center,
        normalize=waea_normalize,
    )
    config = base_config(base_epochs, batch_size, seed, max_train, max_test, batching=batching)
    level_list = parse_levels(levels)
    train, test = load_data(data)
    with Study.create(study) as st, _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(
                    "base model" if stage == "base" else "levels", total=total
                )
            bar.update(tasks[stage], completed=done, total=total)

        for c in cells:
            for m in methods:
                for t in targets:
                    spec = PruneSpec(
                        c,
                        m,
                        t,
                        scope,
                        level_list,
                        retrain_epochs,
                        tolerance,
                        seed,
                        graph,
                        _sizes(hidden),
                        waea,
                    )
                    for task in tasks.values():
                        bar.remove_task(task)
                    tasks.clear()
                    rows = run_pruning(st, spec, config, train, test, progress)
                    label = m if m != "waea" else f"waea α={alpha} {waea_reading}"
                    title = f"{c} · {label} · {t} · {scope}"
                    if rows:
                        bar.console.print(_level_table(title, rows))
                    else:
                        bar.console.print(f"{title}: every level already in the study")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no extra dependency)."""
    import pandas as pd

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = [
        "| " + " | ".join(map(str, frame.columns)) + " |",
        "|" + "|".join(" --- " for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


@app.command("prune-results")
def prune_results(
    study: Annotated[Path, typer.Option(help="Study directory.")] = Path("study"),
    format: Annotated[str, typer.Option("--format", help="table, csv or markdown.")] = "table",
    safe: Annotated[
        bool,
        typer.Option("--safe", help="Show safe levels beside the thesis' instead of every level."),
    ] = False,
    tolerance: Annotated[
        float | None,
        typer.Option(help="Recompute epochs-to-regain with this tolerance (fraction)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write to this file instead of the screen.")
    ] = None,
) -> None:
    """Pruning results of a study: one row per finished level, or the safe levels."""
    import pandas as pd

    from randrnn.pruning.results import results_table, safe_levels
    from randrnn.store import Study

    if format not in FORMATS:
        raise RandRNNError(f"unknown format '{format}'; known formats: {', '.join(FORMATS)}")
    with Study.open(study) as st:
        frame = results_table(st, tolerance)
    if safe:
        frame = safe_levels(frame)
    if format == "table":
        table = Table(title=f"pruning results: {study}", title_justify="left")
        for name in frame.columns:
            table.add_column(str(name), justify="right")
        for row in frame.itertuples(index=False):
            table.add_row(
                *(
                    (
                        ""
                        if v is None or (isinstance(v, float) and pd.isna(v))
                        else f"{v:.4g}"
                        if isinstance(v, float)
                        else str(v)
                    )
                    for v in row
                )
            )
        text = None
    else:
        text = frame.to_csv(index=False) if format == "csv" else to_markdown(frame)
    if out:
        out.write_text(text if text is not None else to_markdown(frame))
        console.print(f"{len(frame)} rows written to {out}")
    elif text is None:
        console.print(table)
    else:
        typer.echo(text, nl=False)
