"""Analysis commands: `randrnn correlate`, `randrnn predict`, `randrnn report`.

Each reads a study (``--study DIR``) or any results CSV (``--from FILE``, thesis layout
accepted), calls `randrnn.analysis` and prints a rich table, Markdown or CSV. A study's runs are
averaged over seed replicates per graph unless ``--per-run``; with replicates, the seed noise and
the noise ceiling for R² are shown too (`randrnn.analysis.noise`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from randrnn.cli import app, console, names
from randrnn.errors import RandRNNError

if TYPE_CHECKING:
    import pandas as pd


class Format(str, Enum):
    """Output formats of the analysis commands."""

    table = "table"
    markdown = "markdown"
    csv = "csv"


class Protocol(str, Enum):
    """How `predict` scores a regressor."""

    cv = "cv"
    thesis = "thesis"


StudyOpt = Annotated[
    Path | None, typer.Option("--study", help="Study directory (default ./study).")
]
FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        help="Results CSV instead of a study: a target column, numeric property columns "
        "(docs/method.md §6 names), optional 'cell' or 'mode' and 'generator' columns.",
    ),
]
TargetOpt = Annotated[str, typer.Option(help="Column to explain (accuracy).")]
CellOpt = Annotated[
    str | None, typer.Option(help="Only this cell type (e.g. gru or GRU); default all.")
]
FeaturesOpt = Annotated[
    str | None,
    typer.Option(help="Comma-separated property columns to use instead of the defaults."),
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the bootstrap / folds / models.")]
FormatOpt = Annotated[Format, typer.Option(help="Output: rich table, Markdown or CSV.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write the output to this file instead.")
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        help="Use the runs of this training config (hash or unique prefix; list them with "
        "randrnn results --configs). Needed when a cell was trained under several configs.",
    ),
]
PerRunOpt = Annotated[
    bool,
    typer.Option(
        "--per-run",
        help="One row per run (seed replicate) instead of each graph's mean over its replicates.",
    ),
]
PER_RUN_NOTE = (
    "--per-run: the runs of one graph are not independent rows, so p-values and bootstrap "
    "intervals are optimistic; the default (per-graph mean) has one row per graph."
)


def _load(
    study: Path | None,
    from_: Path | None,
    config: str | None,
    per_run: bool,
    target: str,
    cell: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The rows to analyse (per run or per-graph mean) and the seed-noise table (None if no
    graph has two runs)."""
    from randrnn.analysis import noise, table

    runs = table.load(study, from_, config=config, per_run=True)
    table.check_target(runs, target)
    rows = runs if per_run else table.per_graph(runs)
    return rows, noise.of_runs(runs, target, cell)


def _emit(
    frames: list[tuple[str, pd.DataFrame]],
    raw: pd.DataFrame,
    fmt: Format,
    out: Path | None,
    legend: str = "",
) -> None:
    """Print (or write) titled text tables (with a legend line), or the raw result as CSV."""
    from randrnn.analysis import table

    if fmt is Format.csv:
        text = raw.to_csv(index=False, float_format="%.6g")
    elif fmt is Format.markdown:
        text = "\n\n".join(f"### {title}\n\n{table.to_markdown(f)}" for title, f in frames)
        text += f"\n\n{legend}\n" if legend else "\n"
    else:
        text = None
    if out is not None:
        if text is None:
            with out.open("w") as fh:
                for title, frame in frames:
                    fh.write(f"{title}\n{frame.to_string(index=False)}\n\n")
        else:
            out.write_text(text)
        console.print(f"wrote {out}")
    elif text is not None:
        typer.echo(text, nl=False)
    else:
        for title, frame in frames:
            console.print(_rich(title, frame))
        if legend:
            console.print(legend, style="dim", highlight=False)


def _rich(title: str, frame: pd.DataFrame) -> Table:
    """A rich table of a frame of strings: numbers right-aligned and never cut; in a narrow
    terminal only the name columns shrink (with an ellipsis)."""
    import pandas as pd

    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in frame.columns:
        textual = col in ("property", "feature", "regressor", "note", "cell")
        width = max([len(str(col)), *(len(str(v)) for v in frame[col])])
        t.add_column(
            str(col),
            justify="left" if textual else "right",
            style="dim" if col == "note" else None,
            no_wrap=col not in ("property", "feature", "note"),  # only these give up width
            overflow="ellipsis" if col in ("property", "feature") else "fold",
            min_width=min(width, 12) if textual else width,
        )
    for row in frame.itertuples(index=False):
        t.add_row(*("" if pd.isna(v) else str(v) for v in row))
    return t


@app.command("correlate")
def correlate(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    method: Annotated[
        str, typer.Option(help="Comma-separated: pearson, spearman, kendall.")
    ] = "pearson,spearman,kendall",
    cell: CellOpt = None,
    by: Annotated[
        str | None, typer.Option(help="Also split each cell by this column, e.g. generator.")
    ] = None,
    features: FeaturesOpt = None,
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap resamples for the 95% intervals (0: none).")
    ] = 1000,
    seed: SeedOpt = 0,
    thesis: Annotated[
        bool, typer.Option("--thesis", help="Show the thesis' published Pearson r (docs/method.md §7).")
    ] = False,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output: table, markdown or csv.")] = (
        Format.table
    ),
    out: OutOpt = None,
) -> None:
    """Correlation of accuracy with each graph property, per cell type, strongest first.

    Coefficients marked * have a Benjamini–Hochberg corrected p (q) below 0.05. With seed
    replicates, a table of the seed noise per cell follows.
    """
    from randrnn.analysis import correlate as corr
    from randrnn.analysis import noise

    df, seeds = _load(study, from_, config, per_run, target, cell)
    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    result = corr.correlate(
        df, target, corr.parse_methods(method), feats, cell, by, bootstrap, seed, thesis
    )
    frames, legend = corr.display(result, by), corr.LEGEND
    if seeds is not None:
        frames += noise.display(seeds)
        legend += "\n" + noise.LEGEND + " " + corr.CEILING_NOTE
    if per_run:
        legend += "\n" + PER_RUN_NOTE
    _emit(frames, result, fmt, out, legend)


@app.command("predict")
def predict(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    cell: CellOpt = None,
    regressor: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated, or 'all': {names.listed(names.REGRESSORS)}. Default: all "
            "(random_forest with --graph or --importance)."
        ),
    ] = None,
    protocol: Annotated[
        Protocol,
        typer.Option(help="cv: repeated K-fold; thesis: one 90/10 split, random_state 7."),
    ] = Protocol.cv,
    cv: Annotated[int, typer.Option(help="Folds of the K-fold cross-validation.")] = 10,
    repeats: Annotated[int, typer.Option(help="Repeats of the K-fold cross-validation.")] = 5,
    feature_set: Annotated[
        str, typer.Option(help=f"Feature set: {names.listed(names.FEATURE_SETS)}.")
    ] = "all",
    features: FeaturesOpt = None,
    importance: Annotated[
        bool,
        typer.Option(
            "--importance", help="Feature importances (impurity for trees, permutation for all)."
        ),
    ] = False,
    graph: Annotated[
        Path | None,
        typer.Option(help="Predict the accuracy of this untrained graph file (with spread)."),
    ] = None,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output: table, markdown or csv.")] = (
        Format.table
    ),
    out: OutOpt = None,
) -> None:
    """Predict accuracy from graph properties: regressors vs a Dummy baseline, R² and ranks.

    With seed replicates, each R² is shown beside R² / noise ceiling (the R² that graph
    structure could reach at most), and a table of the seed noise per cell follows.
    """
    import pandas as pd

    from randrnn.analysis import noise
    from randrnn.analysis import predict as pred

    df, seeds = _load(study, from_, config, per_run, target, cell)
    if graph is not None:
        from randrnn.graphs.io import read_graph
        from randrnn.graphs.properties import properties

        props = properties(read_graph(graph))
        regs = pred.parse_regressors(regressor or "random_forest")
        result = pd.concat(
            [
                pred.predict_graph(
                    df, props, target, r, feature_set, features, cell, cv, repeats, seed
                )
                for r in regs
            ],
            ignore_index=True,
        )
        outside = sorted({f for text in result["outside"] for f in text.split(", ") if f})
        legend = (
            "predicted: model fitted on all rows; fold models 95%: range of the predictions of "
            "the cv × repeats fold models; tree sd: spread across a forest's trees; CV R²: how "
            "far to trust it."
        )
        if outside:
            legend += f" The graph lies outside the training range of: {', '.join(outside)}."
        _emit(_graph_frames(result, graph), result, fmt, out, legend)
        return
    if importance:
        regs = [r for r in pred.parse_regressors(regressor or "random_forest") if r != "dummy"]
        if not regs:
            raise RandRNNError("--importance needs a regressor other than dummy")
        result = pd.concat(
            [
                pred.importances(df, target, r, feature_set, features, cell, cv, seed=seed)
                for r in regs
            ],
            ignore_index=True,
        )
        _emit(_importance_frames(result), result, fmt, out)
        return
    result = pred.evaluate(
        df, target, regressor or "all", protocol.value, feature_set, features, cell, cv,
        repeats, seed,
    )  # fmt: skip
    if seeds is None:
        _emit(pred.display(result), result, fmt, out)
        return
    result = pred.add_ceiling(result, noise.ceilings(seeds, per_run))
    legend = pred.CEILING_NOTE + "\n" + noise.LEGEND
    _emit(pred.display(result) + noise.display(seeds), result, fmt, out, legend)


def _graph_frames(result: pd.DataFrame, graph: Path) -> list[tuple[str, pd.DataFrame]]:
    import pandas as pd

    from randrnn.analysis import predict as pred
    from randrnn.analysis import table

    f = table.fmt
    frame = pd.DataFrame({
        "cell": [table.cell_label(c) for c in result["cell"]],
        "regressor": [pred.REGRESSORS[r][0] for r in result["regressor"]],
        "predicted": [f(v) for v in result["prediction"]],
        "fold models 95%": [f"{f(lo)} – {f(hi)}" for lo, hi in zip(result["fold_lo"],
                                                                 result["fold_hi"])],
        "fold sd": [f(v, 4) for v in result["fold_sd"]],
        "tree sd": [f(v, 4) for v in result["tree_sd"]],
        "CV R²": [f"{f(r)} ± {f(sd)}" for r, sd in zip(result["cv_r2"], result["cv_r2_sd"])],
        "n": result["n"].astype(str),
        "observed mean": [f(v) for v in result["observed_mean"]],
    })  # fmt: skip
    return [(f"predicted accuracy of {graph}", frame)]


def _importance_frames(result: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    import pandas as pd

    from randrnn.analysis import predict as pred
    from randrnn.analysis import table

    out = []
    for (cell, reg), rows in result.groupby(["cell", "regressor"], sort=False):
        frame = pd.DataFrame({
            "feature": rows["feature"],
            "impurity": [table.fmt(v) for v in rows["impurity"]],
            "permutation ΔR²": [
                f"{table.fmt(m)} ± {table.fmt(s)}"
                for m, s in zip(rows["permutation"], rows["permutation_sd"])
            ],
            "thesis impurity": [table.fmt(v, 2) for v in rows["thesis_impurity"]],
        })  # fmt: skip
        title = f"{table.cell_label(cell)} · {pred.REGRESSORS[reg][0]} feature importance"
        out.append((title, frame.reset_index(drop=True)))
    return out


@app.command("report")
def report(
    study: StudyOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default <study>/report).")
    ] = None,
    cv: Annotated[int, typer.Option(help="Folds of the prediction cross-validation.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repeats of the cross-validation.")] = 2,
    top: Annotated[int, typer.Option(help="Strongest properties plotted per cell.")] = 3,
    data: Annotated[
        Path | None,
        typer.Option(help="Reber data folder for the baselines (default: the study's)."),
    ] = None,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
) -> None:
    """Write one self-contained HTML report (figures embedded) plus the PNGs into the study."""
    from randrnn.analysis.report import write_report

    with console.status("writing report (fitting regressors)…"):
        path = write_report(
            study if study is not None else Path("study"), out, cv=cv, repeats=repeats, top=top,
            data=data, seed=seed, config=config, per_run=per_run,
        )  # fmt: skip
    console.print(f"wrote [bold]{path}[/] (figures beside it)")
