"""Run pruning experiments: in this process, on local Dask workers, or on a cluster.

The driver (this module, in the process that runs ``prune``) owns the study. It works out which
base models are missing (a study graph's model whose train-all run kept its weights is stored
from them, `structure.kept_base`, not trained) and which levels of each experiment have no row
yet, and sends two kinds
of work (`randrnn.pruning.packed`): base models to train, in packs of one cell and config, and
retraining jobs, each a pack of pruned copies of one trained base model. Workers get plain
values (specs, weights, statistics, data) and never open the study; the driver writes each base
model and each row as its job returns, in one transaction per job. Retraining jobs of a base are
made once it is stored.

Resuming: a row is written only when its level is finished, and a level with a row is never
run again; base models are stored before any of their levels runs. A killed run therefore
loses at most the jobs in flight, and the next run does exactly those again.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.graphs.io import from_json, to_json
from randrnn.pruning import results
from randrnn.pruning.packed import Cut, RetrainJob, retrain, train_bases
from randrnn.pruning.protocol import (
    PruneSpec,
    base_state,
    store_base,
    todo_levels,
    waea_statistics,
)
from randrnn.pruning.structure import kept_base
from randrnn.store import Study, config_hash
from randrnn.training.cluster import run_tasks
from randrnn.training.config import TrainConfig
from randrnn.training.engine import DEFAULT_PACK_SIZE
from randrnn.training.engines import resolve_device
from randrnn.training.loop import prepare_data
from randrnn.training.process import worker_setup

Experiment = tuple[PruneSpec, TrainConfig]  # a spec and the training config of its base model
RETRAIN_PACK = 10  # pruned copies per retraining job (one pack): the 10 levels of one experiment


@dataclass(frozen=True)
class _BaseWork:
    """Base models of one cell and config to train (a job); graphs as node-link JSON."""

    items: tuple[tuple[PruneSpec, str | None], ...]
    config: dict[str, Any]


def _base_key(spec: PruneSpec, config: TrainConfig) -> tuple:
    return (spec.model_key, spec.cell, spec.seed, config_hash(config.to_dict()))


def run_experiments(
    study: Study,
    experiments: Sequence[Experiment],
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    callbacks: Callbacks | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    pack_size: int | None = None,
    engine: str | None = None,
    device: str = "auto",
) -> Iterator[dict]:
    """Run every missing base model and level of ``experiments``; yield each row once stored
    (with its ``id``, ``cell`` and ``model``).

    ``workers=1`` without a scheduler runs here; ``workers>1`` starts a local Dask cluster of
    single-threaded worker processes; ``scheduler`` ('tcp://host:8786') uses a running one
    (`cluster.run_tasks`). ``pack_size``: pruned copies per retraining job (default
    `RETRAIN_PACK`). ``engine`` and ``device`` ('auto': each worker's GPU if it has one)
    train bases and copies (`packed`). ``callbacks`` get ``"progress"`` of two stages, "base models" (when some
    are missing) and "levels": 0 of each total first, then after every stored job.
    """
    if workers < 1:
        raise RandRNNError(f"--workers must be at least 1, got {workers}")
    results.ensure_tables(study)
    groups: dict[tuple, list[Experiment]] = {}
    for spec, config in experiments:
        groups.setdefault(_base_key(spec, config), []).append((spec, config))
    graphs: dict[int, str] = {}

    def graph_of(spec: PruneSpec) -> str | None:
        if spec.graph_id is None:
            return None
        if spec.graph_id not in graphs:
            graphs[spec.graph_id] = to_json(study.graph(spec.graph_id)["graph"])
        return graphs[spec.graph_id]

    size = pack_size or RETRAIN_PACK
    # With fewer bases than workers, a base's copies are split so every worker has work; with
    # many bases (a structure study) each base's copies stay one pack.
    split = workers if len(groups) < workers else 1
    tasks: deque[tuple[str, Any]] = deque()
    missing: dict[tuple, list[tuple]] = {}  # (cell, config hash) → base keys to train
    total_cuts = 0
    for key, exps in groups.items():
        spec, config = exps[0]
        base = results.find_base(study, spec.model_key, spec.cell, spec.seed, config.to_dict())
        if base is None:
            base = kept_base(study, exps)  # train-all's own model, if it kept the weights
        if base is None:
            missing.setdefault((spec.cell, key[3]), []).append(key)
            total_cuts += sum(len(s.levels) for s, _ in exps)
        else:
            jobs = _retrain_jobs(study, base, exps, graph_of(spec), train_df, test_df, size, split)
            total_cuts += sum(len(job.cuts) for job in jobs)
            tasks.extend(("retrain", job) for job in jobs)
    base_jobs = []
    for keys in missing.values():
        config = groups[keys[0]][0][1]
        step = (
            DEFAULT_PACK_SIZE
            if workers == 1
            else max(1, min(DEFAULT_PACK_SIZE, math.ceil(len(keys) / workers)))
        )
        for first in range(0, len(keys), step):
            chosen = keys[first : first + step]
            items = tuple((groups[k][0][0], graph_of(groups[k][0][0])) for k in chosen)
            base_jobs.append(("base", _BaseWork(items, config.to_dict())))
    tasks.extendleft(reversed(base_jobs))  # bases first: they unlock their levels
    total_bases = sum(len(keys) for keys in missing.values())
    totals = {"base models": total_bases, "levels": total_cuts}
    done = dict.fromkeys(totals, 0)
    callbacks = callbacks or Callbacks()

    def tell(stage: str, count: int) -> None:
        done[stage] += count
        callbacks.trigger_callback("progress", Progress(done[stage], totals[stage], stage))

    if total_bases:
        tell("base models", 0)
    tell("levels", 0)

    def finish(task: tuple[str, Any], outcome: Any) -> tuple[list[dict], list[tuple[str, Any]]]:
        """Write a job's results; return the rows and the jobs they make possible."""
        kind, work = task
        if kind == "retrain":
            rows = _store_rows(study, work, outcome)
            tell("levels", len(rows))
            return rows, []
        config = TrainConfig.from_dict(work.config)
        more = []
        for (spec, graph), result in zip(work.items, outcome):
            base = store_base(study, spec, config, result.state, result.waea, result.metrics)
            exps = groups[_base_key(spec, config)]
            more += [
                ("retrain", job)
                for job in _retrain_jobs(study, base, exps, graph, train_df, test_df, size, split)
            ]
        tell("base models", len(work.items))
        return [], more

    work = partial(run_task, engine=engine, device=device)
    yield from run_tasks(tasks, work, finish, (train_df, test_df), workers, scheduler)


def _retrain_jobs(
    study: Study,
    base: dict,
    exps: list[Experiment],
    graph: str | None,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    size: int,
    workers: int,
) -> list[RetrainJob]:
    """The retraining jobs of one stored base: its missing levels, in packs of at most
    ``size`` cuts that share WAEA statistics and retraining epochs; the levels of a group are
    dealt out in turn, so the packs of a base cost about the same."""
    by_group: dict[tuple, list[Cut]] = {}
    for spec, _ in exps:
        window = spec.waea.window_steps if spec.method == "waea" else "none"
        for level in todo_levels(study, spec, base):
            by_group.setdefault((window, spec.retrain_epochs), []).append(Cut(spec, level))
    if not by_group:
        return []
    state = base_state(study, base)
    config = exps[0][1]
    jobs = []
    for (window, _), cuts in by_group.items():
        stats = None
        if window != "none":
            spec = next(c.spec for c in cuts if c.spec.method == "waea")
            train, test = (
                (None, None) if window is None else prepare_data(train_df, test_df, config)
            )
            stats = waea_statistics(study, spec, base, config, train, test)
        cuts.sort(key=lambda c: c.level)
        count = max(math.ceil(len(cuts) / size), min(workers, len(cuts)))
        for k in range(count):
            jobs.append(
                RetrainJob(dict(base), graph, state, stats, tuple(cuts[k::count]), config.to_dict())
            )
    return jobs


def _store_rows(study: Study, job: RetrainJob, rows: list[dict]) -> list[dict]:
    """Write the rows of one job in one transaction; return them with id, cell and model."""
    out = []
    with study.transaction():
        for cut, row in zip(job.cuts, rows):
            stored = {**row, "id": results.add_run(study, row)}
            out.append({**stored, "cell": cut.spec.cell, "model": cut.spec.model_key})
    return out


# --------------------------------------------------------------------------- where jobs run

_DATA: dict[tuple, tuple[Any, Any]] = {}


def _data(config: dict, train_df: pd.DataFrame, test_df: pd.DataFrame) -> tuple[Any, Any]:
    """The encoded splits of a config (cached per process: data content and subsample)."""
    cfg = TrainConfig.from_dict(config)
    key = (
        int(pd.util.hash_pandas_object(train_df).sum()),
        int(pd.util.hash_pandas_object(test_df).sum()),
        cfg.max_train,
        cfg.max_test,
        cfg.seed,
    )
    if key not in _DATA:
        _DATA.clear()
        _DATA[key] = prepare_data(train_df, test_df, cfg)
    return _DATA[key]


def base_task(
    work: _BaseWork, train_df: pd.DataFrame, test_df: pd.DataFrame, engine: str | None,
    device: str = "auto",
) -> list:  # fmt: skip
    """Worker side: train a pack of base models (`packed.train_bases`)."""
    worker_setup()
    train, test = _data(work.config, train_df, test_df)
    items = [(spec, None if g is None else from_json(g)) for spec, g in work.items]
    return train_bases(items, TrainConfig.from_dict(work.config), train, test, engine=engine,
                       device=resolve_device(device))  # fmt: skip


def retrain_task(
    job: RetrainJob, train_df: pd.DataFrame, test_df: pd.DataFrame, engine: str | None,
    device: str = "auto",
) -> list[dict]:  # fmt: skip
    """Worker side: prune and retrain the copies of one job (`packed.retrain`)."""
    worker_setup()
    train, test = _data(job.config, train_df, test_df)
    return retrain(job, train, test, engine=engine, device=resolve_device(device))


TASKS = {"base": base_task, "retrain": retrain_task}


def run_task(
    task: tuple[str, Any], train_df: pd.DataFrame, test_df: pd.DataFrame, engine: str | None,
    device: str = "auto",
) -> Any:  # fmt: skip
    """Worker side: one ("base" | "retrain", work) task."""
    kind, work = task
    return TASKS[kind](work, train_df, test_df, engine, device)
