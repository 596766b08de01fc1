"""Measure the engine: seconds per model-epoch on a sample of graphs, and what a full study costs.

Workers are separate processes with one torch thread each (as `train-all` runs them); with two or
more, every worker trains its share of the sample at the same time as the others, so the figure
includes the contention for memory bandwidth and caches that a real run has.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate
from randrnn.models.graph_rnn import build_model
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig
from randrnn.training.engine import DEFAULT_PACK_SIZE, train_many
from randrnn.training.process import worker_setup

STUDY_GRAPHS = 1000  # `generate --n 1000`
STUDY_EPOCHS = TrainConfig().epochs


def sample_dags(
    n: int, seed: int = 0, nodes: tuple[int, int] = (10, 50), population: int | None = None
) -> list[nx.DiGraph]:
    """A seeded sample of thesis-like graphs (WS and BA alternating), as DAGs.

    With ``population``, the sample is taken the way a study of that many graphs is trained:
    the population sorted by size, then runs of neighbours (one engine pack each) at evenly
    spaced sizes — so packs are as homogeneous as they are in a real study.
    """
    if not population or population <= n:
        return [to_dag(record["graph"]) for record in generate(n, seed, ("ws", "ba"), nodes)]
    graphs = sorted((r["graph"] for r in generate(population, seed, ("ws", "ba"), nodes)),
                    key=lambda g: (g.number_of_nodes(), g.number_of_edges()))  # fmt: skip
    run = min(DEFAULT_PACK_SIZE, n)
    starts = np.linspace(0, population - run, max(1, n // run)).astype(int)
    picked = [g for start in starts for g in graphs[start : start + run]][:n]
    return [to_dag(g) for g in picked]


def time_training(
    dags: Sequence[nx.DiGraph], cell: str, train: Encoded, test: Encoded, config: TrainConfig,
    pack_size: int | None = None, threads: int | None = 1, engine: str | None = None,
    device: str = "cpu",
) -> dict[str, float]:  # fmt: skip
    """Train one model per DAG with the engine; training and evaluation seconds in all (on
    CUDA the engine reads its metrics back after each epoch, so the clock sees finished work)."""
    if threads:
        worker_setup(threads)
    models = [build_model(dag, cell, seed=i) for i, dag in enumerate(dags)]
    start = time.perf_counter()
    results = train_many(models, train, test, config, pack_size=pack_size, engine=engine,
                         device=device)  # fmt: skip
    total = time.perf_counter() - start
    train_seconds = sum(r["train_seconds"] for r in results)
    return {"train": train_seconds, "eval": total - train_seconds}


def bench_cell(
    dags: Sequence[nx.DiGraph], cell: str, train: Encoded, test: Encoded, config: TrainConfig,
    workers: int = 1, pack_size: int | None = None, engine: str | None = None,
    device: str = "cpu",
) -> dict[str, float]:  # fmt: skip
    """Seconds per model-epoch (aggregate over workers) and per model evaluation for one cell.

    With one worker the sample is trained in this process with one thread. With W workers, every
    worker trains the whole sample at the same time, and the aggregate is the wall time over
    W × models × epochs: the throughput of W busy processes (train-all keeps them busy with a
    queue of chunks), free of how evenly a small sample happens to split.
    """
    if workers <= 1:
        parts = [time_training(dags, cell, train, test, config, pack_size, engine=engine,
                               device=device)]  # fmt: skip
    else:
        with ProcessPoolExecutor(workers, initializer=worker_setup, initargs=(1,)) as pool:
            futures = [pool.submit(time_training, list(dags), cell, train, test, config,
                                   pack_size, 1, engine) for _ in range(workers)]  # fmt: skip
            parts = [f.result() for f in futures]
    train_wall = max(p["train"] for p in parts)
    eval_wall = max(p["eval"] for p in parts)
    models = len(dags) * len(parts)
    return {
        "model_epoch_seconds": train_wall / (models * config.epochs),
        "eval_seconds": eval_wall / models,
    }


def projected_study_hours(model_epoch_seconds: float, eval_seconds: float,
                          generate_seconds: float) -> float:  # fmt: skip
    """Wall hours of `generate --n 1000` + `train-all` (15 epochs) at the measured throughput."""
    per_model = STUDY_EPOCHS * model_epoch_seconds + eval_seconds
    return (STUDY_GRAPHS * (per_model + generate_seconds)) / 3600


def time_generation(n: int = 20, seed: int = 0, nodes: tuple[int, int] = (10, 50)) -> float:
    """Seconds to generate one graph (and orient it), averaged over a small sample."""
    start = time.perf_counter()
    sample_dags(n, seed, nodes)
    return (time.perf_counter() - start) / n


def describe(dags: Sequence[nx.DiGraph]) -> dict[str, float]:
    """Mean nodes and mean layers of a sample of DAGs."""
    from randrnn.graphs.dag import layers

    return {
        "nodes": float(np.mean([d.number_of_nodes() for d in dags])),
        "layers": float(np.mean([len(layers(d)) for d in dags])),
    }


@dataclass(frozen=True)
class BenchResult:
    """What `run_bench` measured: one row per cell, and what the sample and data were."""

    task: str
    mean_length: float  # mean string length of the full training set
    source: str  # where the graphs came from, in words
    train_strings: int  # strings trained on (after --max-train)
    full_train: int  # strings of the full training set (the figures are scaled to it)
    config: TrainConfig
    workers: int
    engine: str
    device: str = "cpu"
    rows: list[dict] = field(default_factory=list)  # cell, graphs, nodes, layers, seconds, hours
    per_symbol: dict[str, float] = field(default_factory=dict)  # µs per letter read, per model


def bench_dags(
    *,
    graphs: int = 16,
    nodes: tuple[int, int] = (10, 50),
    seed: int = 0,
    population: int = 1000,
    study: Path | None = None,
    graph_files: Sequence[Path] | None = None,
) -> tuple[list[nx.DiGraph], str]:
    """The DAGs to time and their source in words: ``graph_files``, the first ``graphs`` of
    ``study``, or a generated sample (`sample_dags`)."""
    from randrnn.errors import RandRNNError, check_at_least

    check_at_least("--graphs", graphs)
    if graph_files:
        from randrnn.graphs.io import read_graph

        dags = [to_dag(read_graph(path)) for path in graph_files]
        source = f"{len(dags)} graph file(s)"
    elif study is not None:
        from randrnn.store import Study

        with Study.open(study) as st:
            dags = [to_dag(record["graph"]) for record in st.graphs()[:graphs]]
        source = f"{len(dags)} graphs of study {study}"
    else:
        dags = sample_dags(graphs, seed, nodes, population)
        source = f"{graphs} generated graphs, {nodes[0]}–{nodes[1]} nodes, seed {seed}"
        if population > graphs:
            source += f", packed as in a study of {population}"
    if not dags:
        raise RandRNNError("no graphs to benchmark")
    return dags, source


def run_bench(
    *,
    cells: str | Sequence[str],
    config: TrainConfig,
    workers: int = 1,
    pack_size: int | None = None,
    engine: str | None = None,
    device: str = "auto",
    task: str | None = None,
    status: Callable[[str], contextlib.AbstractContextManager] | None = None,
    **sample: object,
) -> BenchResult:
    """Train a sample of DAGs (``sample``: the arguments of `bench_dags`) with each cell on
    ``task``'s default data and time it (`bench_cell`), scaled to the full training set; a
    benchmark of the reber task is saved for `randrnn run --dry-run`
    (`speed.save_measurement`, with its device and engine: a CUDA measurement apart).
    ``status(text)`` wraps each cell's training. On CUDA the sample trains in this process
    (``workers`` 1)."""
    from randrnn.errors import RandRNNError, check_at_least
    from randrnn.models.cells import parse_cells
    from randrnn.tasks.data import task_data
    from randrnn.tasks.registry import DEFAULT_TASK
    from randrnn.training.engines import resolve_device, resolve_engine
    from randrnn.training.loop import prepare_data
    from randrnn.training.speed import save_measurement

    check_at_least("--workers", workers)
    cells = parse_cells(cells)
    device = resolve_device(device)
    engine = resolve_engine(engine, device)
    if device == "cuda" and workers > 1:
        raise RandRNNError("bench --device cuda trains in one process: use --workers 1")
    dags, source = bench_dags(**sample)
    found = task_data(task)
    train, test = prepare_data(found.train, found.test, config)
    symbols = int(found.train["string"].str.len().sum())  # letters in the full training set
    shape = describe(dags)
    generate_seconds = time_generation()
    result = BenchResult(found.task, symbols / len(found.train), source, len(train),
                         len(found.train), config, workers, engine, device)  # fmt: skip
    measured: dict[str, float] = {}
    for cell in cells:
        with (status or (lambda _: contextlib.nullcontext()))(
            f"training {len(dags)} {cell} models…"
        ):
            timed = bench_cell(dags, cell, train, test, config, workers, pack_size, engine,
                               device)  # fmt: skip
        # The projection scales the measured epoch time to the full training set.
        per_epoch = timed["model_epoch_seconds"] * len(found.train) / len(train)
        hours = projected_study_hours(per_epoch, timed["eval_seconds"], generate_seconds / workers)
        measured[cell] = per_epoch * workers  # one worker's share, for run --dry-run
        result.per_symbol[cell] = per_epoch / symbols * 1e6
        result.rows.append({"cell": cell, "graphs": len(dags), "nodes": shape["nodes"],
                            "layers": shape["layers"], "model_epoch_seconds": per_epoch,
                            "eval_seconds": timed["eval_seconds"], "study_hours": hours})  # fmt: skip
    if found.task == DEFAULT_TASK:
        save_measurement(measured, workers, device, engine)
    return result


@dataclass(frozen=True)
class ProfileResult:
    """What `run_profile` counted: one row per cell (`profiling.summary`'s figures)."""

    task: str
    source: str
    config: TrainConfig
    engine: str
    device: str
    pack_size: int
    rows: list[dict] = field(default_factory=list)


def run_profile(
    *,
    cells: str | Sequence[str],
    config: TrainConfig,
    pack_size: int | None = None,
    engine: str | None = None,
    device: str = "auto",
    task: str | None = None,
    batches: int = 2,
    **sample: object,
) -> ProfileResult:
    """Count what the engine does (`profiling`): a sample of DAGs (``sample``: the arguments of
    `bench_dags`) trained with each cell on ``task``'s default data, in packs of ``pack_size``
    (default: the whole sample, as one GPU pack holds it), ``batches`` batches of each pack."""
    from randrnn.errors import check_at_least
    from randrnn.models.cells import parse_cells
    from randrnn.tasks.data import task_data
    from randrnn.training import profiling
    from randrnn.training.engines import resolve_device, resolve_engine
    from randrnn.training.loop import prepare_data

    check_at_least("--profile-batches", batches)
    cells = parse_cells(cells)
    device = resolve_device(device)
    engine = resolve_engine(engine, device)
    dags, source = bench_dags(**sample)
    found = task_data(task)
    train, _ = prepare_data(found.train, found.test, config)
    letters = int(train.lengths.sum())
    size = pack_size or len(dags)
    check_at_least("--pack-size", size)
    result = ProfileResult(found.task, source, config, engine, device, size)
    for cell in cells:
        models = [build_model(dag, cell, seed=i) for i, dag in enumerate(dags)]
        windows = profiling.profile_packs(models, train, config, engine=engine, device=device,
                                          pack_size=size, batches=batches)  # fmt: skip
        result.rows.append({"cell": cell, **profiling.summary(windows, letters)})
    return result
