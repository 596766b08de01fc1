"""Analysis commands: `randrnn correlate`, `randrnn predict`, `randrnn report`.

Each reads a study (``--study DIR``) or any results CSV (``--from FILE``, thesis layout
accepted), calls `randrnn.analysis` and prints a rich table, Markdown or CSV. A study's runs are
averaged over seed replicates per graph unless ``--per-run``; with replicates, the seed noise and
the noise ceiling for R² are shown too (`randrnn.analysis.noise`). A study of several tasks is
analysed task by task: each table's title starts with its task, and CSV output has a ``task``
column first.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from randrnn.cli import app, console, names
from randrnn.cli.output import FormatOpt, View, WideOpt, emit, out_file, out_folder, parse_format
from randrnn.errors import RandRNNError

if TYPE_CHECKING:
    import pandas as pd


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
CellsOpt = Annotated[
    str | None,
    typer.Option(
        "--cells", help="Only these cell types, comma-separated (e.g. gru,lstm); default all."
    ),
]
CellAlias = Annotated[str | None, typer.Option("--cell", hidden=True)]  # the former name
FeaturesOpt = Annotated[
    str | None,
    typer.Option(help="Comma-separated property columns to use instead of the defaults."),
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the bootstrap / folds / models.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write the output to this file (not a folder).")
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
    cells: str | None,
) -> list[tuple[str | None, pd.DataFrame, pd.DataFrame | None]]:
    """Per task (one entry, task None, for a table of one task): the task, the rows to analyse
    (per run or per-graph mean) and the seed-noise table (None if no graph has two runs)."""
    from randrnn.analysis import noise, table

    runs = table.load(study, from_, config=config, per_run=True)
    table.check_target(runs, target)
    runs = table.select_cells(runs, cells)
    return [
        (task, part if per_run else table.per_graph(part), noise.of_runs(part, target))
        for task, part in table.by_task(runs)
    ]


def _of_task(task: str | None, views: list[View], result: pd.DataFrame):
    """A task's views titled with the task, and its result with a first ``task`` column."""
    from dataclasses import replace

    if task is None:
        return views, result
    return [replace(v, title=f"{task} · {v.title}") for v in views], result.assign(
        task=task
    )[["task", *result.columns]]


def _is_reber(df: pd.DataFrame) -> bool:
    """Whether the rows are of the thesis' task (no task column: a CSV, taken as the thesis')."""
    from randrnn.analysis import table

    return table.tasks_of(df) in ([], [table.DEFAULT_TASK])


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


# Marks for a correlation row whose coefficient does not exist (correlate's notes).
NOTE_MARKS = {"constant": "°", "constant target": "°°", "n < 3": "ⁿ"}


def _correlation_views(result: pd.DataFrame, by: str | None) -> tuple[list[View], str]:
    """The correlation tables; a property's note becomes a mark explained in the legend."""
    from randrnn.analysis import correlate as corr

    keys = ["cell"] + ([by] if by else [])
    views, marks = [], {}
    for (title, frame), (_, rows) in zip(
        corr.display(result, by), result.groupby(keys, sort=False)
    ):
        shown = []
        for prop, note in zip(rows["property"], rows["note"].fillna("")):
            mark = NOTE_MARKS.get(note, f"({note})") if note else ""
            if note:
                marks[mark] = note
            shown.append(f"{prop} {mark}" if mark else prop)
        frame = frame.assign(property=shown)
        wide = ("n", *(c for c in frame.columns if str(c).startswith("q(")))
        views.append(View(title, frame, text=("property",), wide=wide))
    legend = "; ".join(f"{m} {note}: no coefficient" for m, note in marks.items())
    return views, legend


def _noise_views(seeds: pd.DataFrame) -> list[View]:
    """The seed-noise table turned on its side: one row per statistic, one column per cell."""
    from randrnn.analysis import noise

    views = []
    for title, frame in noise.display(seeds):
        side = frame.set_index("cell").T.reset_index(names="statistic")
        side.columns = [str(c) for c in side.columns]
        views.append(View(title, side, text=("statistic",), full=frame))
    return views


def _prediction_views(result: pd.DataFrame) -> list[View]:
    from randrnn.analysis import predict as pred

    wide = ("pooled R²", "pooled/ceiling", "Kendall τ")
    return [View(t, f, text=("regressor",), wide=wide) for t, f in pred.display(result)]


@app.command("correlate")
def correlate(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    method: Annotated[
        str, typer.Option(help="Comma-separated: pearson, spearman, kendall.")
    ] = "pearson,spearman,kendall",
    cells: CellsOpt = None,
    cell: CellAlias = None,
    by: Annotated[
        str | None, typer.Option(help="Also split each cell by this column, e.g. generator.")
    ] = None,
    features: FeaturesOpt = None,
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap resamples for the 95% intervals (0: none).")
    ] = 1000,
    seed: SeedOpt = 0,
    thesis: Annotated[
        bool,
        typer.Option("--thesis", help="Show the thesis' published Pearson r (docs/method.md §7)."),
    ] = False,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    out: OutOpt = None,
) -> None:
    """Correlation of accuracy with each graph property, per cell type, strongest first.

    Coefficients marked * have a Benjamini–Hochberg corrected p (q) below 0.05. With seed
    replicates, a table of the seed noise per cell follows.
    """
    fmt, out = parse_format(fmt), out_file(out)
    from randrnn.analysis import correlate as corr
    from randrnn.analysis import noise

    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    views, results, all_marks, noisy = [], [], [], False
    for task, df, seeds in _load(study, from_, config, per_run, target, cells or cell):
        result = corr.correlate(
            df, target, corr.parse_methods(method), feats, None, by, bootstrap, seed,
            thesis and _is_reber(df),  # the thesis' numbers are of the reber task only
        )  # fmt: skip
        task_views, marks = _correlation_views(result, by)
        all_marks.append(marks)
        if seeds is not None:
            task_views += _noise_views(seeds)
            noisy = True
        task_views, result = _of_task(task, task_views, result)
        views += task_views
        results.append(result)
    marks = "; ".join(dict.fromkeys(m for text in all_marks for m in text.split("; ") if m))
    legend = "\n".join(filter(None, [corr.LEGEND, marks]))
    if noisy:
        legend += "\n" + noise.LEGEND + " " + corr.CEILING_NOTE
    if per_run:
        legend += "\n" + PER_RUN_NOTE
    emit(views, _joined(results), fmt, out, legend, wide)


@app.command("predict")
def predict(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    cells: CellsOpt = None,
    cell: CellAlias = None,
    regressor: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated, or 'all': {names.listed(names.REGRESSORS)}. Default: all "
            "(random_forest with --graph-file or --importance)."
        ),
    ] = None,
    protocol: Annotated[
        Protocol,
        typer.Option(help="cv: repeated K-fold; thesis: one 90/10 split, random_state 7."),
    ] = Protocol.cv,
    cv: Annotated[
        int | None,
        typer.Option(
            help="Folds of the K-fold cross-validation (default: 10, or graphs // 2 for a cell "
            "with fewer than 20 graphs).",
            show_default=False,
        ),
    ] = None,
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
    graph_file: Annotated[
        Path | None,
        typer.Option(
            "--graph-file", help="Predict the accuracy of the graph in this file (with spread)."
        ),
    ] = None,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    out: OutOpt = None,
) -> None:
    """Predict accuracy from graph properties: regressors vs a Dummy baseline, R² and ranks.

    With seed replicates, each R² is shown beside R² / noise ceiling (the R² that graph
    structure could reach at most), and a table of the seed noise per cell follows.
    """
    fmt, out = parse_format(fmt), out_file(out)
    outputs = [
        (task, *_predict_one(
            df, seeds, target, regressor, protocol, cv, repeats, feature_set, features,
            importance, graph_file, seed, per_run,
        ))
        for task, df, seeds in _load(study, from_, config, per_run, target, cells or cell)
    ]  # fmt: skip
    if len(outputs) == 1:
        _, views, result, legend = outputs[0]
    else:  # several tasks: each task's tables in turn, the legend's lines once
        views, results = [], []
        for task, task_views, task_result, _ in outputs:
            task_views, task_result = _of_task(task, task_views, task_result)
            views += task_views
            results.append(task_result)
        result = _joined(results)
        lines = (line for *_, text in outputs for line in text.split("\n") if line)
        legend = "\n".join(dict.fromkeys(lines))
    emit(views, result, fmt, out, legend, wide)


def _predict_one(
    df: pd.DataFrame, seeds: pd.DataFrame | None, target: str, regressor: str | None,
    protocol: Protocol, cv: int | None, repeats: int, feature_set: str, features: str | None,
    importance: bool, graph_file: Path | None, seed: int, per_run: bool,
) -> tuple[list[View], pd.DataFrame, str]:  # fmt: skip
    """What `predict` shows for one table: the views, the raw result and the legend."""
    import pandas as pd

    from randrnn.analysis import noise
    from randrnn.analysis import predict as pred

    if graph_file is not None:
        from randrnn.graphs.io import read_graph
        from randrnn.graphs.properties import properties

        props = properties(read_graph(graph_file))
        regs = pred.parse_regressors(regressor or "random_forest")
        result = pd.concat(
            [
                pred.predict_graph(
                    df, props, target, r, feature_set, features, None, cv, repeats, seed
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
        legend += _folds_note(result, cv)
        return _graph_views(result, graph_file), result, legend
    if importance:
        regs = [r for r in pred.parse_regressors(regressor or "random_forest") if r != "dummy"]
        if not regs:
            raise RandRNNError("--importance needs a regressor other than dummy")
        result = pd.concat(
            [
                pred.importances(df, target, r, feature_set, features, None, cv, seed=seed)
                for r in regs
            ],
            ignore_index=True,
        )
        if not _is_reber(df):  # the thesis' numbers are of the reber task only
            result = result.assign(thesis_impurity=float("nan"))
        return _importance_views(result), result, _folds_note(result, cv)
    result = pred.evaluate(
        df, target, regressor or "all", protocol.value, feature_set, features, None, cv,
        repeats, seed,
    )  # fmt: skip
    if not _is_reber(df):
        result = result.assign(thesis_r2=float("nan"))
    if seeds is None:
        return _prediction_views(result), result, _folds_note(result, cv)
    result = pred.add_ceiling(result, noise.ceilings(seeds, per_run))
    legend = pred.CEILING_NOTE + "\n" + noise.LEGEND + _folds_note(result, cv)
    return _prediction_views(result) + _noise_views(seeds), result, legend


def _folds_note(result: pd.DataFrame, cv: int | None, most: int = 10) -> str:
    """A line naming the cells that have too few graphs for the default folds."""
    if cv is not None or "folds" not in result.columns:
        return ""
    from randrnn.analysis import table

    few = result[result["folds"] < most].drop_duplicates("cell")
    if few.empty:
        return ""
    cells = ", ".join(
        f"{table.cell_label(c)} {int(k)}-fold (n={n})"
        for c, k, n in zip(few["cell"], few["folds"], few["n"])
    )
    return (
        f"\nFewer than {2 * most} graphs: {cells}, graphs // 2 folds so that each test fold "
        "holds two graphs at least (--cv K chooses)."
    )


def _graph_views(result: pd.DataFrame, graph: Path) -> list[View]:
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
    wide = ("fold sd", "tree sd", "observed mean")
    return [View(f"predicted accuracy of {graph}", frame, ("cell", "regressor"), wide)]


def _importance_views(result: pd.DataFrame) -> list[View]:
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
        out.append(View(title, frame.reset_index(drop=True), text=("feature",)))
    return out


@app.command("report")
def report(
    study: StudyOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write into (default <study>/report), not a file."),
    ] = None,
    cv: Annotated[
        int,
        typer.Option(
            help="Folds of the prediction cross-validation (a cell with fewer than 2 × K graphs "
            "gets graphs // 2)."
        ),
    ] = 5,
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

    out = out_folder(out)
    with console.status("writing report (fitting regressors)…"):
        path = write_report(
            study if study is not None else Path("study"), out, cv=cv, repeats=repeats, top=top,
            data=data, seed=seed, config=config, per_run=per_run,
        )  # fmt: skip
    console.print(f"wrote [bold]{path}[/] (figures beside it)")
