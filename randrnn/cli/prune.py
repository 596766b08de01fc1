"""Pruning commands: `randrnn prune` runs the docs/method.md §7 protocol, `randrnn prune-results` shows it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from randrnn.cli import names
from randrnn.cli.core import app, console
from randrnn.cli.options import (
    BatchingOpt,
    DeviceOpt,
    EngineOpt,
    MaxTestOpt,
    MaxTrainOpt,
    OutFileOpt,
    SchedulerFileOpt,
    SchedulerOpt,
    WorkersOpt,
)
from randrnn.cli.output import (
    EMPTY,
    FormatOpt,
    View,
    WideOpt,
    duration,
    emit,
    out_file,
    parse_format,
    print_views,
    rich_table,
)
from randrnn.cli.progress import ProgressDisplay
from randrnn.training.config import DEFAULT_BATCHING

if TYPE_CHECKING:
    import pandas as pd


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
        int,
        typer.Option(
            help="Seed of the dense base model's initialisation, batch order and subsets, and of"
            " the random criterion (with --graphs: each run's own seeds)."
        ),
    ] = 0,
    batching: BatchingOpt = DEFAULT_BATCHING,
    study: Annotated[Path, typer.Option(help="Study directory (created if missing).")] = Path(
        "study"
    ),
    graphs: Annotated[
        str | None,
        typer.Option(
            "--graphs",
            help="Prune the trained models of a structure study instead of the dense 3×50 model: "
            "'all' or graph ids (3,7,12). Each is its graph's train-all run (replicate 0), "
            "its kept weights (else trained again here); --base-epochs, --batch-size, "
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
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    scheduler_file: SchedulerFileOpt = None,
    device: DeviceOpt = "auto",
    engine: EngineOpt = None,
    max_train: MaxTrainOpt = None,
    max_test: MaxTestOpt = None,
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
    from randrnn.cli.graphs import warn
    from randrnn.errors import check_at_least
    from randrnn.pruning.experiments import prune_work
    from randrnn.pruning.protocol import parse_levels
    from randrnn.pruning.runner import run_experiments
    from randrnn.pruning.waea import WaeaOptions
    from randrnn.store import Study
    from randrnn.training.cluster import scheduler_address
    from randrnn.training.engines import device_name, resolve_device, resolve_engine

    check_at_least("--workers", workers)
    remote = scheduler is not None or scheduler_file is not None
    # a cluster's workers resolve the device where they run (a login node has no GPU)
    where = device_name(device) if remote else resolve_device(device)
    if engine is not None:
        resolve_engine(engine, "cuda" if where == "cuda" else "cpu")
    work = prune_work(
        study=study, cells=cell or cells, methods=method, targets=target, scope=scope,
        levels=parse_levels(levels), retrain_epochs=retrain_epochs, tolerance=tolerance,
        waea=WaeaOptions(window_steps=waea_steps, filter_stats=waea_filter, center=waea_center,
                         normalize=waea_normalize),
        alphas=alpha, readings=waea_reading, graphs=graphs, config=config, data=data,
        base_epochs=base_epochs, batch_size=batch_size, seed=seed, max_train=max_train,
        max_test=max_test, batching=batching, hidden=hidden,
    )  # fmt: skip
    plan = _plan(study, work.experiments, workers)
    if dry_run:
        print_views([plan.view], PLAN_LEGEND)
        return
    scheduler = scheduler_address(scheduler, scheduler_file, warn)
    console.print(plan.summary, highlight=False)
    with Study.create(study) as st, ProgressDisplay(console) as shown:
        rows = list(run_experiments(
            study=st, experiments=work.experiments, train_df=work.train, test_df=work.test,
            callbacks=shown.callbacks, workers=workers, scheduler=scheduler, engine=engine,
            device=device if scheduler else where,  # a cluster's workers resolve 'auto'
        ))  # fmt: skip
    _print_rows(work.experiments, rows)


def _print_rows(experiments, rows: list[dict]) -> None:
    """One table per experiment of the dense model; for study graphs one line per experiment."""
    from randrnn.pruning.plan import experiment_label

    by_label: dict[str, list[dict]] = {}
    for row in rows:
        spec = next(s for s, _ in experiments if (s.cell, s.method, s.target, s.scope, s.options)
                    == (row["cell"], row["method"], row["target"], row["scope"], row["options"]))  # fmt: skip
        title = experiment_label(spec)
        by_label.setdefault(title, []).append(row)
    labels = list(dict.fromkeys(experiment_label(s) for s, _ in experiments))
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

    from randrnn.pruning.plan import plan_work

    projected, wall = plan_work(study, experiments, workers)
    rows = [
        {
            "experiment": r.experiment,
            "models": str(r.models),
            "base": str(r.base_epochs),
            "levels": f"{r.levels} × {r.retrain_epochs}",
            "projected": duration(r.seconds),
        }
        for r in projected
    ]
    rows.append({"experiment": f"total on {workers} worker(s)", "models": "", "base": "",
                 "levels": "", "projected": duration(wall)})  # fmt: skip
    view = View(f"plan of randrnn prune (study {study})", pd.DataFrame(rows), ("experiment",))
    epochs = sum(r.base_epochs + r.levels * r.retrain_epochs for r in projected)
    summary = (
        f"{len(experiments)} experiment(s), {epochs} model-epochs of training, projected "
        f"{duration(wall)} on {workers} worker(s) (--dry-run shows the plan)"
    )
    return Plan(view, summary)


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
    out: OutFileOpt = None,
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
