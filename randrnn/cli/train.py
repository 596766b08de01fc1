"""Commands that fill a study: generate, import, train-all, results."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from randrnn.cli.core import app, console
from randrnn.cli.data import NegativesOpt, TaskOpt
from randrnn.cli.graphs import DirectedOpt, warn
from randrnn.cli.options import (
    BatchingOpt,
    DeviceOpt,
    EngineOpt,
    MaxTestOpt,
    MaxTrainOpt,
    OutFileOpt,
    PackSizeOpt,
    SchedulerFileOpt,
    SchedulerOpt,
    WorkersOpt,
)
from randrnn.cli.output import View, WideOpt, emit, fitted, out_file, parse_format, strings
from randrnn.cli.progress import ProgressDisplay
from randrnn.errors import RandRNNError, check_at_least
from randrnn.training.config import DEFAULT_BATCHING

if TYPE_CHECKING:
    from randrnn.store import Study

StudyOpt = Annotated[Path, typer.Option("--study", help="Study directory (holds study.sqlite).")]
ALL_CELLS = "gru,lstm,rnn_tanh,rnn_relu"


def parse_range(text: str) -> tuple[int, int]:
    """'10:50' → (10, 50): an inclusive node range."""
    try:
        lo, hi = (int(part) for part in text.split(":"))
    except ValueError:
        raise RandRNNError(f"node range must look like 10:50, got '{text}'") from None
    return lo, hi


@contextmanager
def study_for_writing(path: Path) -> Iterator[Study]:
    """Open or create a study; a study this command created is removed again if it fails."""
    from randrnn.store import Study

    existed = path.exists()
    try:
        with Study.create(path) as st:
            yield st
    except BaseException:
        if not existed and path.exists():
            shutil.rmtree(path)
        raise


@app.command()
def generate(
    n: Annotated[
        int, typer.Option("--n", help="The study holds this many generated graphs.")
    ] = 1000,
    seed: Annotated[
        int,
        typer.Option(
            help="Study seed: every graph's seed, and in train-all every model's initialisation,"
            " derive from it."
        ),
    ] = 0,
    generators: Annotated[
        str, typer.Option(help="Generators, used in turn (ws, ba, er).")
    ] = "ws,ba",
    nodes: Annotated[str, typer.Option(help="Node count range, inclusive, e.g. 10:50.")] = "10:50",
    param: Annotated[
        str,
        typer.Option(
            help="Generator parameters replacing the thesis defaults, comma-separated, e.g."
            " ba.seed_graph=star (BA grown from a star, as current networkx; default isolated:"
            " m seed nodes, as the thesis) or ws.p=0.5."
        ),
    ] = "",
    study: StudyOpt = Path("study"),
) -> None:
    """Generate seeded random graphs (Watts–Strogatz, Barabási–Albert) into a study."""
    from randrnn.graphs.generate import parse_params
    from randrnn.pipeline import check_generation, generate_into

    check_at_least("--n", n)  # before the study is created and any progress is shown
    gens = tuple(g.strip() for g in generators.split(",") if g.strip())
    node_range = parse_range(nodes)
    overrides = parse_params(param)
    with study_for_writing(study) as st:
        check_generation(st, seed, gens, node_range, overrides)  # before any progress is shown
        with ProgressDisplay(console) as shown:
            ids = generate_into(
                study=st, n=n, seed=seed, generators=gens, nodes=node_range,
                callbacks=shown.callbacks, params=overrides,
            )  # fmt: skip
        console.print(
            f"{len(ids)} graphs generated; the study '{study}' holds {st.graph_count()} graphs"
        )


@app.command("import")
def import_graphs(
    files: Annotated[
        list[Path], typer.Argument(help="Edge list, GraphML or node-link JSON files.")
    ],
    directed: DirectedOpt = None,
    study: StudyOpt = Path("study"),
) -> None:
    """Import graphs from files into a study (all files or none)."""
    from randrnn.cli.graphs import component_warning, read_checked, warn
    from randrnn.pipeline import import_into

    for path in files:  # every error names its file, before anything is written
        g, _, props = read_checked(path, directed)
        warn(component_warning(path, g, props))
    with study_for_writing(study) as st:
        ids = import_into(st, files, directed=directed)
    console.print(f"imported {len(ids)} graph(s) as id {', '.join(map(str, ids))}")


@app.command("train-all")
def train_all(
    study: StudyOpt = Path("study"),
    cells: Annotated[str, typer.Option(help="Cell types to train, comma-separated.")] = ALL_CELLS,
    epochs: Annotated[int, typer.Option(help="Training epochs per model.")] = 15,
    batch_size: Annotated[int, typer.Option(help="Strings per optimiser step.")] = 128,
    data: Annotated[
        Path | None,
        typer.Option(help="Directory with train.csv and test.csv (default: the task's set)."),
    ] = None,
    task: TaskOpt = None,
    negatives: NegativesOpt = None,
    max_train: MaxTrainOpt = None,
    max_test: MaxTestOpt = None,
    readout: Annotated[str, typer.Option(help="'last' layer or all 'sinks'.")] = "last",
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the batch order and of the --max-train/--max-test subsets (model"
            " initialisations derive from the study seed of generate)."
        ),
    ] = 0,
    batching: BatchingOpt = DEFAULT_BATCHING,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    scheduler_file: SchedulerFileOpt = None,
    chunk: Annotated[
        int | None,
        typer.Option(help="Models per task (default 16 on the CPU, 4096 on CUDA)."),
    ] = None,
    assign: Annotated[
        str, typer.Option(help="'all': every graph with every cell; 'split': one cell per graph.")
    ] = "all",
    replicates: Annotated[
        int,
        typer.Option(
            help="Train each pair this many times, each replicate with its own initialisation"
            " and batch order (replicate 0 is the single run); for the noise ceiling."
        ),
    ] = 1,
    device: DeviceOpt = "auto",
    engine: EngineOpt = None,
    pack_size: PackSizeOpt = None,
    keep_weights: Annotated[
        bool,
        typer.Option(
            help="Keep each run's trained weights in the study (4-12 KiB a model), so that"
            " prune --graphs prunes the trained model itself instead of training it again."
        ),
    ] = True,
    curves: Annotated[
        bool,
        typer.Option(
            help="Record each run's learning curve (train and test loss and accuracy after"
            " every epoch; results --curves shows them). Costs a test pass per epoch."
        ),
    ] = True,
) -> None:
    """Train every (graph, cell) pair that has no finished run with the same settings.

    The task is part of the settings: train-all --task tomita-4 on a study trained on reber adds
    a second set of runs of the same graphs (the analysis groups by task).
    """
    from randrnn.models.cells import parse_cells
    from randrnn.store import Study
    from randrnn.tasks.data import task_data
    from randrnn.training.cluster import scheduler_address
    from randrnn.training.config import TrainConfig
    from randrnn.training.engines import device_name, resolve_device, resolve_engine
    from randrnn.training.runner import check_replicates, train_study

    check_replicates(replicates)
    check_at_least("--workers", workers)  # train_study checks it only once it starts
    scheduler = scheduler_address(scheduler, scheduler_file, warn)
    if scheduler:  # the workers resolve the device where they run (a login node has no GPU)
        where = device_name(device)
        resolve_engine(engine, "cuda" if where == "cuda" else "cpu")
    else:
        where = resolve_device(device)  # --device cuda without a GPU: one line, before any work
        resolve_engine(engine, where)
    cell_names = parse_cells(cells)
    found = task_data(task, negatives, data)
    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, seed=seed, batching=batching, readout=readout,
        max_train=max_train, max_test=max_test, data=found.key, task=found.task,
    )  # fmt: skip
    with Study.open(study) as st:
        found.record(st, data)
        with ProgressDisplay(console) as shown:
            outcomes = train_study(
                study=st, cells=cell_names, config=config, train=found.train, test=found.test,
                workers=workers, scheduler=scheduler, assign=assign,
                chunk_size=chunk or (4096 if where == "cuda" else 16),
                callbacks=shown.callbacks, replicates=replicates, engine=engine,
                device=device if scheduler else where,  # a cluster's workers resolve 'auto'
                pack_size=pack_size, keep_weights=keep_weights, curves=curves,
            )  # fmt: skip
            with closing(outcomes):  # stopped early (Ctrl-C): runs in flight marked, study open
                errors = [out.error for out in outcomes]
        failed = sum(error is not None for error in errors)
        _report_runs(st, done=len(errors) - failed, failed=failed)


def _report_runs(st: Study, done: int, failed: int) -> None:
    """The closing line of train-all, and the first failures (exit 1 if any)."""
    if done == failed == 0:
        console.print("nothing left to do: every pair has a finished run with these settings")
    else:
        console.print(f"{done} runs finished, {failed} failed")
    if failed:
        for run in st.runs("failed")[:5]:
            console.print(f"[red]failed[/] graph {run['graph_id']} {run['cell']}: {run['error']}")
        raise typer.Exit(1)


@app.command()
def results(
    study: StudyOpt = Path("study"),
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv (default: every column, full precision), table or markdown (or md).",
        ),
    ] = "csv",
    out: OutFileOpt = None,
    config: Annotated[
        str | None, typer.Option(help="Only the runs of this config (a hash or unique prefix).")
    ] = None,
    configs: Annotated[
        bool,
        typer.Option(
            "--configs", help="List the study's configs (settings that differ, cells, runs)."
        ),
    ] = False,
    curves: Annotated[
        bool,
        typer.Option(
            "--curves",
            help="The learning curves instead: one row per run and epoch (long format).",
        ),
    ] = False,
    wide: WideOpt = False,
) -> None:
    """One row per finished run: graph, cell, config, replicate, properties, metrics.

    train_seconds is the model's share of its pack's wall time (models train packed together).
    --curves: one row per (run, epoch) with train_loss, train_acc, test_loss, test_acc;
    pandas pivots it (df.pivot_table(index="run_id", columns="epoch", values="test_acc")).
    """
    from randrnn.analysis.table import config_table, curves_table, results_table

    if configs and curves:
        raise RandRNNError("--configs and --curves are different tables: give one")
    fmt, out = parse_format(fmt), out_file(out)
    if curves:
        frame = curves_table(study, config=config)
        if frame.empty:
            warn(f"study '{study}' has no learning curves (trained before they were recorded,"
                 " or with --no-curves)")  # fmt: skip
        view = fitted(View(f"learning curves of {study}", strings(frame), ("cell", "config_hash")))
        emit([view], frame, fmt, out, wide=wide, float_format=None)
        return
    frame = config_table(study) if configs else results_table(study, config=config)
    title = f"configs of {study}" if configs else f"finished runs of {study}"
    text = ("generator", "task", "cell", "config_hash")
    view = fitted(View(title, strings(frame), text=text), keep=2)
    if not configs:
        # Most telling first, so that what an 80-column table leaves out is the least needed
        # (task: present only when not every run is reber).
        default = ["graph_id", "task", "cell", "replicate", "test_acc", "config_hash", "epochs",
                   "nodes", "edges"]  # fmt: skip
        first = [c for c in default if c in frame.columns]
        shown = strings(frame[first + [c for c in frame.columns if c not in first]])
        hidden = tuple(c for c in map(str, frame.columns) if c not in default)
        view = fitted(View(title, shown, text, hidden), keep=2)
    emit([view], frame, fmt, out, wide=wide, float_format=None)
