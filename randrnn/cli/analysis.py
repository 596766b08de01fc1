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

from randrnn.cli import names
from randrnn.cli.core import app, console
from randrnn.cli.design import AtlasCommand, AtlasOpt, TaskOpt, predict_atlas
from randrnn.cli.options import OutFileOpt
from randrnn.cli.output import FormatOpt, View, WideOpt, emit, out_file, out_folder, parse_format

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from randrnn.analysis.request import Request


class Protocol(str, Enum):
    """How `predict` scores a regressor."""

    cv = "cv"
    thesis = "thesis"


def _option(kind: object, flag: str | None, text: str, **more: object) -> object:
    """``Annotated[kind, typer.Option(flag, help=text)]``: one option shared by the commands."""
    return Annotated[kind, typer.Option(*filter(None, [flag]), help=text, **more)]


HELP = {
    "from": "Results CSV instead of a study: a target column, numeric property columns "
    "(docs/method.md §6 names), optional 'cell' or 'mode' and 'generator' columns.",
    "cells": "Only these cell types, comma-separated (e.g. gru,lstm); default all.",
    "features": "Comma-separated property columns to use instead of the defaults.",
    "config": "Use the runs of this training config (hash or unique prefix; list them with "
    "randrnn results --configs). Needed when a cell was trained under several configs.",
    "per-run": "One row per run (seed replicate) instead of each graph's mean over its replicates.",
    "regressor": f"Comma-separated: 'all' ({names.listed(names.REGRESSORS)}) and/or the "
    f"graph-reading {names.listed(names.GRAPH_PREDICTORS)} (they need the graph extra). "
    "Default: all (random_forest with --graph-file or --importance).",
    "cv": "Folds of the K-fold cross-validation (default: 10, or graphs // 2 for a cell with "
    "fewer than 20 graphs).",
    "importance": "Feature importances (impurity for trees, permutation for all).",
    "graph-file": "Predict the accuracy of the graph in this file (with spread).",
    "curve-epochs": "Add each run's first K epochs of its learning curve to the features "
    "(curve_test_acc_1..K, curve_train_acc_*, curve_train_loss_*; averaged over replicates "
    "like the target), on the same folds. --feature-set curve: those alone; --features "
    "curve_test_acc_K: the naive ranker. Needs a study trained with curves.",
}
StudyOpt = _option(Path | None, "--study", "Study directory (default ./study).")
FromOpt = _option(Path | None, "--from", HELP["from"])
TargetOpt = _option(str, None, "Column to explain (accuracy).")
CellsOpt = _option(str | None, "--cells", HELP["cells"])
CellAlias = Annotated[str | None, typer.Option("--cell", hidden=True)]  # the former name
FeaturesOpt = _option(str | None, None, HELP["features"])
SeedOpt = _option(int, None, "Seed of the bootstrap / folds / models.")
ConfigOpt = _option(str | None, "--config", HELP["config"])
PerRunOpt = _option(bool, "--per-run", HELP["per-run"])
MethodOpt = _option(str, None, "Comma-separated: pearson, spearman, kendall.")
ByOpt = _option(str | None, None, "Also split each cell by this column, e.g. generator.")
BootstrapOpt = _option(int, None, "Bootstrap resamples for the 95% intervals (0: none).")
ThesisOpt = _option(bool, "--thesis", "Show the thesis' published Pearson r (docs/method.md §7).")
RegressorOpt = _option(str | None, None, HELP["regressor"])
ProtocolOpt = _option(
    Protocol, None, "cv: repeated K-fold; thesis: one 90/10 split, random_state 7."
)
CvOpt = _option(int | None, None, HELP["cv"], show_default=False)
FeatureSetOpt = _option(
    str,
    None,
    f"Feature set: {names.listed(names.FEATURE_SETS)}; curve (with --curve-epochs: the curve "
    "columns alone).",
)
ImportanceOpt = _option(bool, "--importance", HELP["importance"])
GraphFileOpt = _option(Path | None, "--graph-file", HELP["graph-file"])
CurveEpochsOpt = _option(int | None, "--curve-epochs", HELP["curve-epochs"], show_default=False)
PER_RUN_NOTE = (
    "--per-run: the runs of one graph are not independent rows, so p-values and bootstrap "
    "intervals are optimistic; the default (per-graph mean) has one row per graph."
)


def _runs(
    study: Path | None, from_: Path | None, config: str | None, cells: str | None
) -> pd.DataFrame:
    """Every run to analyse (one row per run, the cells asked for)."""
    from randrnn.analysis import table

    return table.select_cells(table.load(study, from_, config=config, per_run=True), cells)


def _explain() -> Callable[[list[str], str, str], str | None]:
    """What `table.check_target` asks about a missing target: pruning knows its columns."""
    from randrnn.pruning.results import missing_target

    return missing_target


def _tasks(
    runs: pd.DataFrame, per_run: bool, target: str
) -> list[tuple[str | None, pd.DataFrame, pd.DataFrame | None]]:
    """Per task (one entry, task None, for a table of one task): the task, the rows to analyse
    (per run or per-graph mean) and the seed-noise table (None if no graph has two runs), of
    ``runs`` whose ``target`` is checked."""
    from randrnn.analysis import noise, table

    return [
        (task, part if per_run else table.per_graph(part), noise.of_runs(part, target))
        for task, part in table.by_task(runs)
    ]


def _of_task(task: str | None, views: list[View], result: pd.DataFrame):
    """A task's views titled with the task, and its result with a first ``task`` column."""
    from dataclasses import replace

    if task is None:
        return views, result
    return [replace(v, title=f"{task} · {v.title}") for v in views], result.assign(task=task)[
        ["task", *result.columns]
    ]


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

    wide = ("fold R²", "fold/ceiling", "left out", "Kendall τ")
    return [View(t, f, text=("regressor",), wide=wide) for t, f in pred.display(result)]


@app.command("correlate")
def correlate(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    method: MethodOpt = "pearson,spearman,kendall",
    cells: CellsOpt = None,
    cell: CellAlias = None,
    by: ByOpt = None,
    features: FeaturesOpt = None,
    bootstrap: BootstrapOpt = 1000,
    seed: SeedOpt = 0,
    thesis: ThesisOpt = False,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    out: OutFileOpt = None,
) -> None:
    """Correlation of accuracy with each graph property, per cell type, strongest first.

    Coefficients marked * have a Benjamini–Hochberg corrected p (q) below 0.05. With seed
    replicates, a table of the seed noise per cell follows.
    """
    fmt, out = parse_format(fmt), out_file(out)
    from randrnn.analysis import correlate as corr
    from randrnn.analysis import noise, table

    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    views, results, all_marks, noisy = [], [], [], False
    runs = _runs(study, from_, config, cells or cell)
    table.check_target(runs, target, _explain())
    for task, df, seeds in _tasks(runs, per_run, target):
        result = corr.correlate(
            df, target, corr.parse_methods(method), feats, None, by, bootstrap, seed,
            thesis and table.is_reber(df),  # the thesis' numbers are of the reber task only
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


@app.command("predict", cls=AtlasCommand)
def predict(
    study: StudyOpt = None,
    from_: FromOpt = None,
    target: TargetOpt = names.TARGET,
    cells: CellsOpt = None,
    cell: CellAlias = None,
    regressor: RegressorOpt = None,
    protocol: ProtocolOpt = Protocol.cv,
    cv: CvOpt = None,
    repeats: Annotated[int, typer.Option(help="Repeats of the K-fold cross-validation.")] = 5,
    feature_set: FeatureSetOpt = "all",
    features: FeaturesOpt = None,
    importance: ImportanceOpt = False,
    graph_file: GraphFileOpt = None,
    curve_epochs: CurveEpochsOpt = None,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    per_run: PerRunOpt = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    out: OutFileOpt = None,
    atlas: AtlasOpt = None,
    task: TaskOpt = None,
) -> None:
    """Predict accuracy from graph properties, or from the graph itself (WL kernel, GIN): every
    predictor on the same folds vs a Dummy baseline, pooled R² first, ranks.

    With seed replicates, each R² is shown beside R² / noise ceiling (the R² that graph
    structure could reach at most), and a table of the seed noise per cell follows.
    """
    if atlas is not None:  # from a published atlas, no study (randrnn.cli.design)
        return predict_atlas(atlas, graph_file, cells or cell, task, fmt, wide, out)
    fmt, out = parse_format(fmt), out_file(out)
    from randrnn.analysis import request
    from randrnn.analysis.config import PredictConfig

    options = PredictConfig(
        target=target, regressor=regressor, protocol=protocol.value, cv=cv, repeats=repeats,
        feature_set=feature_set, features=features, importance=importance,
        graph_file=graph_file, seed=seed, per_run=per_run, curve_epochs=curve_epochs,
    )  # fmt: skip
    runs = _runs(study, from_, config, cells or cell)
    if curve_epochs is not None and from_ is None:  # a CSV brings its curve columns itself
        from randrnn.analysis import curvefeatures

        runs = curvefeatures.of_study(runs, study or Path("study"), curve_epochs)
    asked = request.parse(options, runs, _explain())  # every option checked here, once
    outputs = [
        (task, *_predict_one(df, seeds, asked))
        for task, df, seeds in _tasks(runs, per_run, asked.target)
    ]
    views, result, legend = _merged(outputs)
    emit(views, result, fmt, out, legend, wide)


def _merged(
    outputs: list[tuple[str | None, list[View], pd.DataFrame, str]],
) -> tuple[list[View], pd.DataFrame, str]:
    """One task's (views, result, legend) as they are; several tasks' tables in turn, titled
    with their task, and the legend's lines once."""
    if len(outputs) == 1:
        return outputs[0][1:]
    views, results = [], []
    for task, task_views, task_result, _ in outputs:
        task_views, task_result = _of_task(task, task_views, task_result)
        views += task_views
        results.append(task_result)
    lines = (line for *_, text in outputs for line in text.split("\n") if line)
    return views, _joined(results), "\n".join(dict.fromkeys(lines))


def _predict_one(
    df: pd.DataFrame, seeds: pd.DataFrame | None, asked: Request
) -> tuple[list[View], pd.DataFrame, str]:
    """What `predict` shows for one table: the views, the raw result and the legend."""
    from randrnn.analysis import predict_study

    found = predict_study.run(df, seeds, asked)
    if found.kind == "graph":
        views = _graph_views(found.result, asked.graph_file)
    elif found.kind == "importance":
        views = _importance_views(found.result)
    else:
        views = _prediction_views(found.result) + (_noise_views(seeds) if seeds is not None else [])
    return views, found.result, found.legend


def _graph_views(result: pd.DataFrame, graph: Path) -> list[View]:
    import pandas as pd

    from randrnn.analysis import predict as pred
    from randrnn.analysis import table

    f = table.fmt
    frame = pd.DataFrame({
        "cell": [table.cell_label(c) for c in result["cell"]],
        "regressor": [pred.label(r) for r in result["regressor"]],
        "predicted": [f(v) for v in result["prediction"]],
        "fold models 95%": [f"{f(lo)} – {f(hi)}" for lo, hi in zip(result["fold_lo"],
                                                                 result["fold_hi"])],
        "fold sd": [f(v, 4) for v in result["fold_sd"]],
        "tree sd": [f(v, 4) for v in result["tree_sd"]],
        "CV R²": [f(v) for v in result["cv_r2_pooled"]],
        "fold R²": [f"{f(r)} ± {f(sd)}" for r, sd in zip(result["cv_r2"], result["cv_r2_sd"])],
        "n": result["n"].astype(str),
        "observed mean": [f(v) for v in result["observed_mean"]],
    })  # fmt: skip
    wide = ("fold sd", "tree sd", "fold R²", "observed mean")
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
        title = f"{table.cell_label(cell)} · {pred.label(reg)} feature importance"
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
    from randrnn.analysis.config import AnalysisConfig
    from randrnn.analysis.report import write_report

    out = out_folder(out)
    options = AnalysisConfig(cv=cv, repeats=repeats, top=top, seed=seed, config=config,
                             per_run=per_run)  # fmt: skip
    with console.status("writing report (fitting regressors)…"):
        path = write_report(study if study is not None else Path("study"), out, data=data,
                            options=options)  # fmt: skip
    console.print(f"wrote [bold]{path}[/] (figures beside it)")
