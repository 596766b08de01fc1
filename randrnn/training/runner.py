"""Train every pending (graph, cell) pair of a study: in-process, on local workers, or on a cluster.

The driver (this module, in the process that runs ``train-all``) owns the study database. It cuts
the pending models into chunks of one cell type and one replicate, sends a bounded number of
chunks to the workers, and writes each chunk's results in one transaction as it arrives. A run is
marked 'running' when its chunk is sent; if the driver dies, the next driver marks those runs
'interrupted' and trains them again, so every (graph, cell, replicate) lands exactly once. A chunk
whose worker dies fails only its own runs.

Seed replicates: replicate r of a pair is the same graph and cell trained with its own
initialisation (`model_seed`) and its own batch order (`batch_seed`). All models of one replicate
share the batch order, which is why a chunk holds one replicate: the engine packs models that see
the same batches. Replicate 0 uses the config's own seed, so it is exactly the single run.

Workers need only the package and the data, which the driver sends along with the work; they
never open the study. Each worker trains with one torch thread: for many small models, several
single-threaded processes beat one process with several threads.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.io import from_json, to_json
from randrnn.models.graph_rnn import build_model
from randrnn.pipeline import study_seed
from randrnn.store import Study, config_hash
from randrnn.training.assignment import assigned_cells, record_request, split_group
from randrnn.training.cluster import run_tasks
from randrnn.training.config import TrainConfig
from randrnn.training.loop import prepare_data
from randrnn.training.process import worker_setup


@dataclass(frozen=True)
class Job:
    """One model to train: a plain, picklable value sent to a worker."""

    graph_id: int
    cell: str
    graph: str  # node-link JSON
    seed: int  # initialisation seed of the model
    nodes: int = 0  # for packing models of similar size together
    replicate: int = 0  # seed replicate: picks the batch order (`batch_seed`) with ``seed``


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one job: metrics, or the error that stopped it."""

    graph_id: int
    cell: str
    metrics: dict[str, Any] | None
    error: str | None = None
    replicate: int = 0
    device: str | None = None  # where it trained: provenance, not part of the config
    engine: str | None = None
    weights: tuple[str, bytes] | None = None  # (layout, bytes) of `models.weights.pack`, if kept
    curve: tuple[dict, ...] | None = None  # one record per epoch (`store.curves`), if recorded
    code: str | None = None  # the code that trained it (`randrnn.version.code_version`)


def name_key(name: str) -> int:
    """A stable integer for a name (its CRC-32): seeds follow names, never registry positions."""
    return zlib.crc32(name.encode())


def model_seed(study_seed: int, graph_id: int, cell: str, replicate: int = 0) -> int:
    """Initialisation seed of one model, derived from the study seed, graph, cell *name* and
    replicate, so reordering or extending the cell registry changes no seed."""
    state = np.random.SeedSequence([study_seed, graph_id, name_key(cell), replicate])
    return int(state.generate_state(1)[0])


def batch_seed(config_seed: int, replicate: int) -> int:
    """Batch-order seed of one replicate: the config's seed for replicate 0 (the single run),
    otherwise derived from (config seed, replicate). Shared by all models of the replicate."""
    if replicate == 0:
        return config_seed
    return int(np.random.SeedSequence([config_seed, replicate]).generate_state(1)[0])


def check_replicates(replicates: int) -> int:
    """``replicates`` if it is at least 1, else the one-line error of ``--replicates``."""
    if replicates < 1:
        raise RandRNNError(f"--replicates must be at least 1, got {replicates}")
    return replicates


def plan_jobs(
    study: Study,
    cells: Sequence[str],
    config: TrainConfig,
    seed: int,
    assign: str = "all",
    replicates: int = 1,
) -> list[Job]:
    """Jobs for every assigned (graph, cell) pair and replicate 0 .. ``replicates`` − 1 that has
    no finished run with this config."""
    wanted = assigned_cells(study.graph_ids(), cells, assign, split_group(study))
    pending = [
        (gid, cell, rep)
        for gid, cell, rep in study.todo(
            list(cells), config.to_dict(), check_replicates(replicates)
        )
        if cell in wanted.get(gid, ())
    ]
    graphs = {g["id"]: g["graph"] for g in study.graphs()} if pending else {}
    return [
        Job(
            gid,
            cell,
            to_json(graphs[gid]),
            model_seed(seed, gid, cell, rep),
            graphs[gid].number_of_nodes(),
            rep,
        )
        for gid, cell, rep in pending
    ]


def chunk_jobs(jobs: Sequence[Job], size: int, workers: int = 1) -> list[list[Job]]:
    """Chunks of one cell type and one replicate each (the models of a chunk share batches),
    models of similar size together (they pack better).

    With several workers, chunks are small enough that every worker gets at least four, and the
    largest come first, so that no worker is left with a long tail.
    """
    if workers > 1:
        size = max(1, min(size, -(-len(jobs) // (4 * workers))))
    chunks: list[list[Job]] = []
    for cell, rep in dict.fromkeys((job.cell, job.replicate) for job in jobs):
        same = sorted((j for j in jobs if (j.cell, j.replicate) == (cell, rep)),
                      key=lambda j: (j.nodes, len(j.graph), j.graph_id))  # fmt: skip
        chunks += [same[i : i + size] for i in range(0, len(same), size)]
    if workers > 1:
        chunks.sort(key=lambda chunk: -sum(j.nodes**3 for j in chunk))  # cost grows ~ n³
    return chunks


_DATA_CACHE: dict[str, tuple[Any, Any]] = {}


def train_chunk(
    jobs: Sequence[Job],
    train: pd.DataFrame,
    test: pd.DataFrame,
    config: dict,
    device: str = "auto",
    engine: str | None = None,
    pack_size: int | None = None,
    keep_weights: bool = False,
    curves: bool = False,
) -> list[Outcome]:
    """Worker side: build the chunk's models and train them together with the engine.

    The data subsample follows the config's seed; the batch order follows the chunk's replicate.
    ``device`` ('auto': this worker's GPU if it has one) and ``engine`` are resolved here, where
    the work runs, and recorded with each outcome.
    ``keep_weights``: each outcome carries its model's trained weights (`models.weights.pack`).
    ``curves``: each outcome carries its learning curve (train and test numbers after every
    epoch); the final metrics are the same either way (evaluating changes no weight).
    """
    from randrnn.models.weights import pack
    from randrnn.training.engine import train_many  # imported where the work runs
    from randrnn.training.engines import resolve_device, resolve_engine
    from randrnn.version import code_version

    replicates = {j.replicate for j in jobs}
    if len(replicates) > 1:  # a programming error: chunk_jobs never mixes replicates
        raise ValueError(f"a chunk must hold one replicate, got {sorted(replicates)}")
    worker_setup()
    cfg = TrainConfig.from_dict(config)
    key = f"{cfg.data}:{cfg.max_train}:{cfg.max_test}:{cfg.seed}"
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = prepare_data(train, test, cfg)
    train_data, test_data = _DATA_CACHE[key]
    batches = replace(cfg, seed=batch_seed(cfg.seed, replicates.pop() if replicates else 0))
    try:
        device = resolve_device(device)
        engine = resolve_engine(engine, device)
        models = [
            build_model(to_dag(from_json(j.graph)), j.cell, seed=j.seed, readout=cfg.readout)
            for j in jobs
        ]
        results = train_many(models, train_data, test_data, batches, pack_size=pack_size,
                             engine=engine, device=device, eval_each_epoch=curves)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 — reported per run, the driver goes on
        return [_failed(j, exc) for j in jobs]
    outcomes = []
    for job, model, metrics in zip(jobs, models, results):
        metrics = dict(metrics)
        history = metrics.pop("history", [])
        if history:
            metrics["train_loss"] = history[-1]["train_loss"]
        metrics["worker_pid"] = os.getpid()
        weights = pack(model) if keep_weights else None
        curve = tuple(history) if curves else None
        outcomes.append(Outcome(job.graph_id, job.cell, metrics, replicate=job.replicate,
                                device=device, engine=engine, weights=weights, curve=curve,
                                code=code_version()))  # fmt: skip
    return outcomes


def _failed(job: Job, exc: BaseException) -> Outcome:
    return Outcome(job.graph_id, job.cell, None, f"{type(exc).__name__}: {exc}", job.replicate)


def _chunk_failed(chunk: list[Job], exc: Exception) -> list[Outcome]:
    """The outcomes of a chunk whose worker raised or died: each of its runs failed."""
    return [_failed(j, exc) for j in chunk]


def summary(outcome: Outcome, replicates: int = 1) -> str:
    """'graph 3 gru: acc 0.912' (with ' r1' after the cell when there are replicates)."""
    name = f"graph {outcome.graph_id} {outcome.cell}"
    name += f" r{outcome.replicate}" if replicates > 1 else ""
    if outcome.error is not None:
        return f"{name}: FAILED"
    return f"{name}: acc {outcome.metrics['test_acc']:.3f}"


RunIds = dict[tuple[int, str, int], int]  # (graph, cell, replicate) → run id


def _record(study: Study, run_ids: RunIds, outcomes: list[Outcome]) -> None:
    with study.transaction():
        for out in outcomes:
            run_id = run_ids.pop((out.graph_id, out.cell, out.replicate))
            if out.error is None:
                study.finish_run(run_id, out.metrics or {}, out.device, out.engine, out.code)
                if out.weights is not None:
                    study.put_weights(run_id, *out.weights)
                if out.curve is not None:
                    study.put_curve(run_id, out.curve)
            else:
                study.fail_run(run_id, out.error)


def train_study(
    study: Study,
    cells: Sequence[str],
    config: TrainConfig,
    train: pd.DataFrame,
    test: pd.DataFrame,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int = 8,
    assign: str = "all",
    callbacks: Callbacks | None = None,
    replicates: int = 1,
    device: str = "auto",
    engine: str | None = None,
    pack_size: int | None = None,
    keep_weights: bool = True,
    curves: bool = True,
) -> Iterator[Outcome]:
    """Train every pending model; yields each outcome after it is written to the study.

    ``workers=1`` without a scheduler runs in this process; ``workers>1`` starts a local Dask
    cluster of single-threaded worker processes; ``scheduler`` ('tcp://host:8786') uses an
    existing Dask cluster (`cluster.run_tasks`). ``assign`` chooses the (graph, cell) pairs (see
    `assigned_cells`); each pair is trained ``replicates`` times (replicates 0 .. K − 1, see the
    module docstring); the request is recorded in the study (`assignment.record_request`), so
    that the atlas export knows every run it asks for. ``callbacks`` get ``"progress"`` (stage
    "models"): 0 of the pending runs before work begins, then one more with each outcome
    (`summary` as ``current``).
    ``device``, ``engine`` and ``pack_size`` go to every worker's `train_many` (`train_chunk`):
    on CUDA a chunk of ``chunk_size`` models is cut into packs that fit the GPU's memory.
    ``keep_weights``: each finished run's trained weights are kept in the study, in the
    transaction that marks it done (``run_weights``; `prune --graphs` starts from them).
    ``curves``: each finished run's learning curve is kept too (``run_curves``, `store.curves`),
    in the same transaction; it costs a test pass per epoch.

    If the caller stops (Ctrl-C, an error, or it stops iterating), the runs in flight are marked
    'interrupted' before the error goes on: the study holds no run left 'running'.
    """
    if study.graph_count() == 0:
        raise RandRNNError(
            f"study '{study.path}' has no graphs; run: randrnn generate --study {study.path}"
        )
    if workers < 1:
        raise RandRNNError(f"--workers must be at least 1, got {workers}")
    check_replicates(replicates)
    study.mark_interrupted()
    if keep_weights:
        study.keep_weights_table()
    if curves:
        study.keep_curves_table()
    seed = study_seed(study)
    jobs = plan_jobs(study, cells, config, seed, assign, replicates)  # checks ``assign``
    record_request(study, config_hash(config.to_dict()), cells, assign, replicates)
    callbacks = callbacks or Callbacks()
    callbacks.trigger_callback("progress", Progress(0, len(jobs), "models"))
    chunks = chunk_jobs(jobs, chunk_size, 1 if scheduler is None and workers == 1 else workers)
    cfg = config.to_dict()
    run_ids: RunIds = {}

    def start(chunk: list[Job], where: str) -> None:
        with study.transaction():
            for j in chunk:
                run_ids[(j.graph_id, j.cell, j.replicate)] = study.start_run(
                    j.graph_id, j.cell, cfg, where, replicate=j.replicate
                )

    done = 0

    def finish(chunk: list[Job], outcomes: list[Outcome]) -> tuple[list[Outcome], list]:
        nonlocal done
        _record(study, run_ids, outcomes)
        for out in outcomes:
            done += 1
            progress = Progress(done, len(jobs), "models", summary(out, replicates))
            callbacks.trigger_callback("progress", progress)
        return outcomes, []

    work = partial(train_chunk, config=cfg, device=device, engine=engine, pack_size=pack_size,
                   keep_weights=keep_weights, curves=curves)  # fmt: skip
    try:
        yield from run_tasks(
            chunks, work, finish, (train, test), workers, scheduler, start, _chunk_failed
        )
    except BaseException as stopped:
        if run_ids:
            study.mark_interrupted(f"in flight when the driver stopped ({type(stopped).__name__})")
        raise
