"""`randrnn bench`: seconds per model-epoch of the training engine, and what a full study costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from randrnn.cli import app, console
from randrnn.cli.data import TaskOpt
from randrnn.cli.train import parse_range
from randrnn.errors import RandRNNError
from randrnn.training.config import DEFAULT_BATCHING


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
    workers: Annotated[int, typer.Option(help="Worker processes, one torch thread each.")] = 1,
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
    pack_size: Annotated[
        int | None, typer.Option(help="Models per engine pack (default: engine's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated graphs.")] = 0,
    batching: Annotated[
        str, typer.Option(help="'bucket': batches of similar length; 'shuffle': random batches.")
    ] = DEFAULT_BATCHING,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Training engine: native or wavefront (default: native where a C++ "
            "compiler builds it, else wavefront)."
        ),
    ] = None,
    population: Annotated[
        int,
        typer.Option(
            help="Pick the sample as packs of a study of this many graphs "
            "(sorted by size, as train-all packs them); 0: the first N."
        ),
    ] = 1000,
    task: TaskOpt = None,
) -> None:
    """Train a small sample of graphs with the engine on a task's default data and time it.

    The line under the table gives µs / symbol, the training time per letter read (per model):
    tasks with longer strings should cost the same per letter. Only a benchmark of the reber task is kept for
    `randrnn run --dry-run`, which scales it by each task's mean string length.
    """
    from randrnn.graphs.dag import to_dag
    from randrnn.graphs.io import read_graph
    from randrnn.models.cells import parse_cells
    from randrnn.studyplan import save_measurement
    from randrnn.tasks.data import task_data
    from randrnn.tasks.registry import DEFAULT_TASK
    from randrnn.training.bench import (
        STUDY_EPOCHS,
        STUDY_GRAPHS,
        bench_cell,
        describe,
        projected_study_hours,
        sample_dags,
        time_generation,
    )
    from randrnn.training.config import TrainConfig
    from randrnn.training.engine import resolve_engine
    from randrnn.training.loop import prepare_data

    if workers < 1 or graphs < 1:
        raise RandRNNError("--workers and --graphs must be at least 1")
    config = TrainConfig(epochs=epochs, max_train=max_train, batching=batching)
    engine = resolve_engine(engine)
    if graph_files:
        dags = [to_dag(read_graph(path)) for path in graph_files]
        source = f"{len(dags)} graph file(s)"
    elif study is not None:
        from randrnn.store import Study

        with Study.open(study) as st:
            dags = [to_dag(record["graph"]) for record in st.graphs()[:graphs]]
        source = f"{len(dags)} graphs of study {study}"
    else:
        lo, hi = parse_range(nodes)
        dags = sample_dags(graphs, seed, (lo, hi), population)
        source = f"{graphs} generated graphs, {lo}–{hi} nodes, seed {seed}"
        if population > graphs:
            source += f", packed as in a study of {population}"
    if not dags:
        raise RandRNNError("no graphs to benchmark")
    found = task_data(task)
    train_df, test_df = found.train, found.test
    train, test = prepare_data(train_df, test_df, config)
    symbols = int(train_df["string"].str.len().sum())  # letters in the full training set
    shape = describe(dags)
    generate_seconds = time_generation()

    table = Table(title=f"engine benchmark: task {found.task} (mean length "
                        f"{symbols / len(train_df):.1f}), {source}, {len(train)} training strings, "
                        f"batch {config.batch_size} ({config.batching}), "
                        f"{workers} worker(s) × 1 thread, "
                        f"{engine} engine",
                  title_justify="left")  # fmt: skip
    for name, justify in [("cell", "left"), ("graphs", "right"), ("mean nodes", "right"),
                          ("mean layers", "right"), ("s / model-epoch", "right"),
                          ("eval s / model", "right"),
                          ("study hours", "right")]:  # fmt: skip
        table.add_column(name, justify=justify)
    measured: dict[str, float] = {}
    per_symbol: dict[str, float] = {}  # µs per letter read, per model
    for cell in parse_cells(cells):
        with console.status(f"training {len(dags)} {cell} models…"):
            result = bench_cell(dags, cell, train, test, config, workers, pack_size, engine)
        # The projection scales the measured epoch time to the full training set.
        per_epoch = result["model_epoch_seconds"] * len(train_df) / len(train)
        hours = projected_study_hours(per_epoch, result["eval_seconds"], generate_seconds / workers)
        measured[cell] = per_epoch * workers  # one worker's share, for run --dry-run
        per_symbol[cell] = per_epoch / symbols * 1e6
        table.add_row(cell, str(len(dags)), f"{shape['nodes']:.1f}", f"{shape['layers']:.1f}",
                      f"{per_epoch:.3f}", f"{result['eval_seconds']:.2f}",
                      f"{hours:.1f} h")  # fmt: skip
    console.print(table)
    console.print(
        "µs / symbol (training, per model and letter read): "
        + ", ".join(f"{cell} {us:.2f}" for cell, us in per_symbol.items())
    )
    if found.task == DEFAULT_TASK:
        save_measurement(measured, workers)
    console.print(
        f"s / model-epoch: full training set ({len(train_df)} strings), aggregate over the workers. "
        f"study hours: generate --n {STUDY_GRAPHS} + train-all ({STUDY_EPOCHS} epochs, one cell) "
        f"at this throughput."
    )
