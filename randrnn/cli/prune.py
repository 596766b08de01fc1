"""Pruning commands: `randrnn prune` runs the docs/method.md §7 protocol, `randrnn prune-results` shows it."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from randrnn.cli import app, console, names
from randrnn.cli.output import (
    EMPTY,
    FormatOpt,
    View,
    WideOpt,
    emit,
    out_file,
    parse_format,
    print_views,
    rich_table,
)
from randrnn.cli.progress import ProgressDisplay
from randrnn.errors import RandRNNError, check_name, parse_names
from randrnn.training.config import DEFAULT_BATCHING

if TYPE_CHECKING:
    import pandas as pd

    from randrnn.pruning.protocol import PruneSpec


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise RandRNNError(f"hidden sizes must look like 50,50,50, got '{text}'") from None


LEVEL_LEGEND = (
    "acc: test accuracy of the unpruned model; pruned: right after pruning; retrained: after "
    "the retraining epochs; regain: retraining epochs until the accuracy is back within the "
    "tolerance of acc (never: not within them)"
)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _percent(value: object) -> str:
    return "" if _missing(value) else f"{100 * float(value):.1f}"


def _level_view(title: str, rows: Sequence[Mapping]) -> View:
    """One experiment's levels: sparsity reached and accuracy before, after pruning and after
    retraining (rows as `run_pruning` returns them or as `results_table` lists them)."""
    import pandas as pd

    def detail(row: Mapping, kind: str) -> object:
        return row.get(f"sparsity_{kind}", row.get("sparsity_detail", {}).get(kind))

    frame = pd.DataFrame({
        "level %": [f"{r['level']:g}" for r in rows],
        "pruned %": [_percent(r["sparsity"]) for r in rows],
        "i2h %": [_percent(detail(r, "i2h")) for r in rows],
        "h2h %": [_percent(detail(r, "h2h")) for r in rows],
        "acc": [f"{r['acc_before']:.4f}" for r in rows],
        "pruned": [f"{r['acc_pruned']:.4f}" for r in rows],
        "retrained": [f"{r['acc_final']:.4f}" for r in rows],
        "regain": [_regain(r["epochs_to_regain"]) for r in rows],
        "params": [str(r.get("effective_params", "")) for r in rows],
        "seconds": [f"{r['seconds']:.1f}" if "seconds" in r else "" for r in rows],
        "run": [str(r.get("run_id", "")) for r in rows],
    })  # fmt: skip
    return View(title, frame, wide=("params", "seconds", "run"))


def _regain(value: object) -> str:
    if _missing(value):
        return "never"
    return str(int(value))


@app.command("prune")
def prune_command(
    cells: Annotated[
        str, typer.Option(help=f"Cell types, comma-separated: {names.listed(names.CELLS)}.")
    ] = "lstm",
    cell: Annotated[str | None, typer.Option("--cell", hidden=True)] = None,  # former name
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
    graphs: Annotated[
        str | None,
        typer.Option(
            "--graphs",
            help="Prune the trained models of a structure study instead of the dense 3×50 model: "
            "'all' or graph ids (3,7,12). Each is its graph's train-all run (replicate 0): same "
            "graph, seed and training config, trained again here; --base-epochs, --batch-size, "
            "--batching, --max-train, --max-test and --seed do not apply.",
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            help="With --graphs: the training config of the runs to prune (hash or prefix; "
            "randrnn results --configs), when a cell was trained under several.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Local worker processes (1: in this process), as train-all.")
    ] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler, e.g. tcp://host:8786.")
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
        str,
        typer.Option(
            help="WAEA: weight of Filter(Q) in the activity (paper's best 0.3); a comma list "
            "runs one experiment per value."
        ),
    ] = "0.3",
    waea_reading: Annotated[
        str,
        typer.Option(
            help="WAEA: what the filter reads. signed: the mean weight Q, centred on the mean of "
            "the signed Q (eq. (2) as written; drops the largest |w| first); magnitude: |Q| with "
            "μ, σ of |Q| (drops the smallest and the largest |w|); signed,magnitude: both."
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
    dry_run: Annotated[
        bool, typer.Option(help="Print the experiments and their projected time; train nothing.")
    ] = False,
    hidden: Annotated[
        str, typer.Option(hidden=True, help="Layer sizes of the dense base model.")
    ] = "50,50,50",
) -> None:
    """Prune a model at each level, retrain it, and store every level's result in the study.

    The model is trained here first, unless the study holds it: the dense 3×50 network
    (embedding 128→50, three recurrent layers of 50 units, linear 50→2), trained --base-epochs
    epochs (50) with batch --batch-size (32); or with --graphs the structure study's trained
    model of each graph. Each experiment (cell × method × target) then prunes that model at
    every level and retrains it --retrain-epochs epochs (10) per level; all levels of a model
    retrain together in the packed engine. --dry-run shows the plan and its projected time.
    Finished levels are kept; running it again resumes.
    """
    from randrnn.models.cells import parse_cells
    from randrnn.pruning.criteria import CRITERIA, SCOPES, TARGETS
    from randrnn.pruning.protocol import PruneSpec, base_config, parse_levels
    from randrnn.pruning.runner import run_experiments
    from randrnn.pruning.waea import CENTERS, FILTER_STATS, NORMALIZE, READINGS, WaeaOptions
    from randrnn.store import Study

    cell_names = parse_cells(cell or cells)
    methods = parse_names(method, CRITERIA, "method")
    targets = parse_names(target, TARGETS, "target")
    check_name("scope", scope, SCOPES)
    readings = parse_names(waea_reading, READINGS, "WAEA reading")
    for value, known in (
        (waea_filter, FILTER_STATS),
        (waea_center, CENTERS),
        (waea_normalize, NORMALIZE),
    ):
        check_name("WAEA option", value, known)
    if workers < 1:
        raise RandRNNError(f"--workers must be at least 1, got {workers}")
    waeas = [
        WaeaOptions(
            alpha=a,
            reading=r,
            window_steps=waea_steps,
            filter_stats=waea_filter,
            center=waea_center,
            normalize=waea_normalize,
        )
        for r in readings
        for a in _alphas(alpha)
    ]
    # (method, WAEA options): one experiment per α for WAEA, one for the other methods
    variants = [(m, w) for m in methods for w in (waeas if m == "waea" else waeas[:1])]
    level_list = parse_levels(levels)
    if graphs is not None:
        experiments, train, test = _graph_work(
            study, cell_names, graphs, variants, targets, scope, level_list, retrain_epochs,
            tolerance, config, data,
        )  # fmt: skip
    else:
        from randrnn.reber import load_data

        base = base_config(base_epochs, batch_size, seed, max_train, max_test, batching=batching)
        sizes = _sizes(hidden)
        experiments = [
            (PruneSpec(c, m, t, scope, level_list, retrain_epochs, tolerance, seed, None, sizes,
                       w), base)
            for c in cell_names
            for m, w in variants
            for t in targets
        ]  # fmt: skip
        train, test = load_data(data)
    plan = _plan(study, experiments, workers)
    if dry_run:
        print_views([plan.view], PLAN_LEGEND)
        return
    console.print(plan.summary, highlight=False)
    with Study.create(study) as st, ProgressDisplay(console) as shown:
        rows = list(
            run_experiments(st, experiments, train, test, shown.callbacks, workers, scheduler)
        )
    _print_rows(experiments, rows)


def _alphas(text: str) -> list[float]:
    """'0.3' or '0.3,0.9' → the WAEA α values (each checked by WaeaOptions)."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise RandRNNError(f"--alpha takes numbers in [0, 1] such as 0.3,0.9, got '{text}'") from None
    if not values:
        raise RandRNNError("--alpha takes numbers in [0, 1] such as 0.3,0.9")
    return list(dict.fromkeys(values))


def _graph_work(study, cells, graphs, variants, targets, scope, levels, retrain_epochs, tolerance,
                config, data):  # fmt: skip
    """--graphs: the experiments on the study's trained models, and the data they trained on."""
    from randrnn.pruning.structure import graph_experiments, parse_graph_ids
    from randrnn.store import Study

    ids = parse_graph_ids(graphs)
    experiments = []
    with Study.open(study) as st:
        for method, waea in variants:
            experiments += graph_experiments(
                st, cells, ids, [method], targets, scope=scope, levels=levels,
                retrain_epochs=retrain_epochs, tolerance=tolerance, waea=waea, config=config,
            )  # fmt: skip
    keys = {(getattr(cfg, "task", None), cfg.data) for _, cfg in experiments}
    if len(keys) > 1:
        raise RandRNNError("the cells chosen were trained on different data; prune one at a time")
    (task, key), = keys  # fmt: skip
    if task is None:
        from randrnn.reber import load_data

        train, test = load_data(data)
        found = "shipped" if data is None else None
    else:
        from randrnn.tasks.data import task_data

        loaded = task_data(task, None, data)
        train, test, found = loaded.train, loaded.test, loaded.key
    if found is not None and found != key:
        raise RandRNNError(
            f"the runs were trained on data {key}, not {found}; pass their folder with --data"
        )
    return experiments, train, test


def _print_rows(experiments, rows: list[dict]) -> None:
    """One table per experiment of the dense model; for study graphs one line per experiment."""
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        spec = next(s for s, _ in experiments if (s.cell, s.method, s.target, s.scope, s.options)
                    == (row["cell"], row["method"], row["target"], row["scope"], row["options"]))  # fmt: skip
        title = _experiment(spec, row["scope"])
        by_label.setdefault(title, []).append(row)
    labels = list(dict.fromkeys(_experiment(s, s.scope) for s, _ in experiments))
    graphs = any(s.graph_id is not None for s, _ in experiments)
    for title in labels:
        got = sorted(by_label.get(title, []), key=lambda r: (r["model"], r["level"]))
        if not got:
            console.print(f"{title}: every level already in the study")
        elif graphs:
            models = len({r["model"] for r in got})
            console.print(f"{title}: {len(got)} levels of {models} graph models stored "
                          "(randrnn prune-results --safe, correlate --target safe_level)")  # fmt: skip
        else:
            console.print(rich_table(_level_view(title, got)))


def _experiment(spec: PruneSpec, scope: str) -> str:
    """'lstm · waea α=0.3 signed · both · global'."""
    label = spec.method
    if spec.method == "waea":
        label = f"waea α={spec.waea.alpha:g} {spec.waea.reading}"
    return f"{spec.cell} · {label} · {spec.target} · {scope}"


PLAN_LEGEND = (
    "models: base models pruned; base: epochs of base training still to do (0: stored); "
    "levels: levels still to run (all models) × retraining epochs; projected on one worker, "
    "from the packed pruning path's seconds per epoch measured on the reference machine "
    "(README, Speed). Stored base models and finished levels are not trained again."
)


@dataclass(frozen=True)
class Plan:
    """What a prune command will train: one row per experiment, and a one-line summary."""

    view: View
    summary: str


def _plan(study: Path, experiments: list, workers: int) -> Plan:
    """Per experiment: base models, base epochs and levels still to run, projected seconds
    (`randrnn.pruning.plan`); what the study holds already is skipped."""
    import pandas as pd

    from randrnn.pruning import plan as projection
    from randrnn.pruning import results
    from randrnn.pruning.protocol import todo_levels
    from randrnn.store import DB_NAME, Study

    work = []
    with contextlib.ExitStack() as stack:
        st = stack.enter_context(Study.open(study)) if (study / DB_NAME).is_file() else None
        stored = st is not None and results.has_tables(st)
        for spec, config in experiments:
            base = (
                results.find_base(st, spec.model_key, spec.cell, spec.seed, config.to_dict())
                if stored
                else None
            )
            todo = list(spec.levels) if base is None else todo_levels(st, spec, base)
            work.append((spec, config, base is not None, todo))
    projected = projection.project(work)
    wall = projection.wall_seconds(projected, workers, projection.longest_base(work))
    rows = [
        {
            "experiment": r.experiment,
            "models": str(r.models),
            "base": str(r.base_epochs),
            "levels": f"{r.levels} × {r.retrain_epochs}",
            "projected": _duration(r.seconds),
        }
        for r in projected
    ]
    rows.append({"experiment": f"total on {workers} worker(s)", "models": "", "base": "",
                 "levels": "", "projected": _duration(wall)})  # fmt: skip
    view = View(f"plan of randrnn prune (study {study})", pd.DataFrame(rows), ("experiment",))
    epochs = sum(r.base_epochs + r.levels * r.retrain_epochs for r in projected)
    summary = (
        f"{len(experiments)} experiment(s), {epochs} model-epochs of training, projected "
        f"{_duration(wall)} on {workers} worker(s) (--dry-run shows the plan)"
    )
    return Plan(view, summary)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _results_views(frame: pd.DataFrame, study: Path) -> list[View]:
    """One view per experiment (model, cell, method and its reading, target, scope)."""
    keys = ["model", "cell", "label", "target", "scope"]
    views = []
    for key, rows in frame.groupby(keys, sort=False):
        title = " · ".join(map(str, key))
        views.append(_level_view(title, rows.sort_values("level").to_dict("records")))
    return views


def _safe_view(frame: pd.DataFrame) -> View:
    """Safe levels beside the thesis' ('—' where the thesis has none)."""
    import pandas as pd

    shown = pd.DataFrame({
        "model": frame["model"].astype(str),
        "cell": frame["cell"].astype(str),
        "target": frame["target"].astype(str),
        "method": frame["label"].astype(str),
        "scope": frame["scope"].astype(str),
        "safe %": [f"{v:g}" for v in frame["safe_level"]],
        "thesis %": [EMPTY if _missing(v) else f"{v:g}" for v in frame["thesis"]],
    })  # fmt: skip
    return View(
        "safe pruning levels", shown, text=("model", "cell", "target", "method"), wide=("scope",)
    )


SAFE_LEGEND = (
    "safe %: the highest level at which it and every lower level lost at most the tolerance "
    "before any retraining; thesis %: the thesis' safe level (dense 3×50 models only; — none)"
)


@app.command("prune-results")
def prune_results(
    study: Annotated[Path, typer.Option(help="Study directory.")] = Path("study"),
    fmt: FormatOpt = "table",
    safe: Annotated[
        bool,
        typer.Option("--safe", help="Show safe levels beside the thesis' instead of every level."),
    ] = False,
    tolerance: Annotated[
        float | None,
        typer.Option(help="Recompute epochs-to-regain with this tolerance (fraction)."),
    ] = None,
    wide: WideOpt = False,
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (not a folder) instead of the screen.")
    ] = None,
) -> None:
    """Pruning results of a study: every finished level per experiment, or the safe levels."""
    from randrnn.pruning.results import results_table, safe_levels
    from randrnn.store import Study

    fmt, out = parse_format(fmt), out_file(out)
    with Study.open(study) as st:
        frame = results_table(st, tolerance)
    if safe:
        frame = safe_levels(frame)
        emit([_safe_view(frame)], frame, fmt, out, SAFE_LEGEND, wide)
    else:
        emit(_results_views(frame, study), frame, fmt, out, LEVEL_LEGEND, wide)
