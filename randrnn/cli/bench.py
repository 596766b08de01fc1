"""`randrnn bench`: seconds per model-epoch of the training engine, and what a full study costs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from randrnn.cli.core import app, console
from randrnn.cli.data import TaskOpt
from randrnn.cli.options import BatchingOpt, DeviceOpt, EngineOpt, PackSizeOpt, WorkersOpt
from randrnn.cli.train import parse_range
from randrnn.training.config import DEFAULT_BATCHING

if TYPE_CHECKING:
    from randrnn.training.bench import BenchResult, ProfileResult


@app.command("bench")
def bench(
    cells: Annotated[
        str, typer.Option(help="Comma-separated cell types.")
    ] = "gru,lstm,rnn_tanh,rnn_relu",
    graphs: Annotated[
        int, typer.Option(help="Number of generated graphs (WS and BA alternating).")
    ] = 16,
    nodes: Annotated[str, typer.Option(help="Node range A:B of generated graphs.")] = "10:50",
    epochs: Annotated[int, typer.Option(help="Epochs per model.")] = 1,
    workers: WorkersOpt = 1,
    max_train: Annotated[
        int | None,
        typer.Option(
            help="Use only this many training strings (fixed costs then "
            "weigh more in the scaled figure)."
        ),
    ] = None,
    study: Annotated[
        Path | None, typer.Option(help="Take the graphs from this study instead.")
    ] = None,
    graph_files: Annotated[
        list[Path] | None,
        typer.Option("--graph-files", help="Take the graphs from these files instead (repeat it)."),
    ] = None,
    pack_size: PackSizeOpt = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the generated sample of graphs (not of the models).")
    ] = 0,
    batching: BatchingOpt = DEFAULT_BATCHING,
    engine: EngineOpt = None,
    device: DeviceOpt = "auto",
    population: Annotated[
        int,
        typer.Option(
            help="Pick the sample as packs of a study of this many graphs "
            "(sorted by size, as train-all packs them); 0: the first N."
        ),
    ] = 1000,
    task: TaskOpt = None,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="Count instead of time: per model-epoch the engine's FLOP against the graphs' "
            "own, bytes moved, launches per wavefront step and batch, host synchronisations "
            "per batch (torch's FLOP counter and dispatched ops; the same on any load).",
        ),
    ] = False,
    profile_batches: Annotated[
        int, typer.Option(help="--profile: batches counted per pack (after its first).")
    ] = 2,
) -> None:
    """Train a small sample of graphs with the engine on a task's default data and time it.

    The line under the table gives µs / symbol, the training time per letter read (per model):
    tasks with longer strings should cost the same per letter. Only a benchmark of the reber task is kept for
    `randrnn run --dry-run`, which scales it by each task's mean string length.
    """
    from randrnn.training.bench import STUDY_EPOCHS, STUDY_GRAPHS, run_bench, run_profile
    from randrnn.training.config import TrainConfig

    if profile:
        counted = run_profile(
            cells=cells, config=TrainConfig(epochs=1, max_train=max_train, batching=batching),
            pack_size=pack_size, engine=engine, device=device, task=task,
            batches=profile_batches, graphs=graphs, nodes=parse_range(nodes), seed=seed,
            population=population, study=study, graph_files=graph_files,
        )  # fmt: skip
        console.print(_profile_table(counted))
        console.print(
            "FLOP: torch's counter (products) + one per element of pointwise ops, reductions and "
            "scatter-adds; graph: 6 per live weight and letter + the gate arithmetic per unit. "
            "bytes: what each op reads and writes, from its shapes. launches/step: the slope "
            "over the counted batches (forward and backward); fixed: the rest of a batch's."
        )
        return
    result = run_bench(
        cells=cells, config=TrainConfig(epochs=epochs, max_train=max_train, batching=batching),
        workers=workers, pack_size=pack_size, engine=engine, device=device, task=task, status=console.status,
        graphs=graphs, nodes=parse_range(nodes), seed=seed, population=population, study=study,
        graph_files=graph_files,
    )  # fmt: skip
    console.print(_table(result))
    console.print(
        "µs / symbol (training, per model and letter read): "
        + ", ".join(f"{cell} {us:.2f}" for cell, us in result.per_symbol.items())
    )
    console.print(
        f"s / model-epoch: full training set ({result.full_train} strings), aggregate over the "
        f"workers. study hours: generate --n {STUDY_GRAPHS} + train-all ({STUDY_EPOCHS} epochs, "
        "one cell) at this throughput."
    )


def _table(result: BenchResult) -> Table:
    """One row per cell: sample shape, seconds per model-epoch and evaluation, study hours."""
    config = result.config
    table = Table(title=f"engine benchmark: task {result.task} (mean length "
                        f"{result.mean_length:.1f}), {result.source}, {result.train_strings} "
                        f"training strings, batch {config.batch_size} ({config.batching}), "
                        f"{_where(result)}, {result.engine} engine",
                  title_justify="left")  # fmt: skip
    for name, justify in [("cell", "left"), ("graphs", "right"), ("mean nodes", "right"),
                          ("mean layers", "right"), ("s / model-epoch", "right"),
                          ("eval s / model", "right"),
                          ("study hours", "right")]:  # fmt: skip
        table.add_column(name, justify=justify)
    for r in result.rows:
        table.add_row(r["cell"], str(r["graphs"]), f"{r['nodes']:.1f}", f"{r['layers']:.1f}",
                      f"{r['model_epoch_seconds']:.3f}", f"{r['eval_seconds']:.2f}",
                      f"{r['study_hours']:.1f} h")  # fmt: skip
    return table


def _where(result: BenchResult) -> str:
    """'2 worker(s) × 1 thread' on the CPU, 'one CUDA GPU' there."""
    return "one CUDA GPU" if result.device == "cuda" else f"{result.workers} worker(s) × 1 thread"


def _profile_table(result: ProfileResult) -> Table:
    """One row per cell: the counts of `run_profile`."""
    config = result.config
    table = Table(title=f"engine profile: task {result.task}, {result.source}, packs of "
                        f"{result.pack_size}, batch {config.batch_size} ({config.batching}), "
                        f"{result.device}, {result.engine} engine",
                  title_justify="left")  # fmt: skip
    names = ["cell", "GFLOP / model-epoch", "graph GFLOP", "× graph", "MiB / model-batch",
             "launches / step", "fixed / batch", "launches / batch", "syncs / batch"]  # fmt: skip
    for name in names:
        table.add_column(name, justify="left" if name == "cell" else "right")
    for r in result.rows:
        table.add_row(r["cell"], f"{r['engine_flop_epoch'] / 1e9:.2f}",
                      f"{r['own_flop_epoch'] / 1e9:.2f}", f"{r['flop_ratio']:.1f}",
                      f"{r['bytes_batch'] / 2**20:.1f}", f"{r['launches_step']:.1f}",
                      f"{r['launches_fixed']:.0f}", f"{r['launches_batch']:.0f}",
                      f"{r['syncs_batch']:.1f}")  # fmt: skip
    return table
