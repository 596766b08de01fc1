"""Pruning at engine speed: base models and pruned copies trained together by the packed engine.

Pruned copies of one base model are the engine's ideal case: one architecture, differing only in
their masks, which the packed tensors carry per model and per gate (the native kernel does no
work for a pruned weight). Two kinds of work, each a plain picklable value, so a worker needs
neither the study nor its files (`randrnn.pruning.runner` sends them and writes every result):

- `train_bases`: base models of one cell and training config, trained in packs, each with WAEA's
  statistics over its last epoch read from the packed tensors (`waea.PackRecorders`): the
  numbers the model trained alone with `loop.fit` gives.
- `retrain` a `RetrainJob`: one base model's trained weights and a list of `Cut`s (an experiment
  and a level). Each cut is a copy of the base pruned by its criterion (`protocol.prune_copy`);
  all copies are evaluated, retrained with their masks fixed and a fresh Adam each (one Adam over
  a pack is one per model), and evaluated after every epoch — exactly `protocol.prune_level`'s
  steps, done for the whole list in one pack.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import torch

from randrnn.callbacks import Callbacks, Epoch, Progress
from randrnn.graphs.io import from_json
from randrnn.models.graph_rnn import GraphRNN
from randrnn.pruning.protocol import (
    PruneSpec,
    last_epoch_start,
    level_row,
    new_model,
    prune_copy,
)
from randrnn.pruning.waea import PackRecorders, WaeaRecorder
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig
from randrnn.training.engine import evaluate_many, train_many
from randrnn.training.loop import fit

Stats = tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]


@dataclass(frozen=True)
class BaseOutcome:
    """A trained base model: weights, WAEA's last-epoch statistics and `fit`-style metrics."""

    state: dict[str, torch.Tensor]
    waea: dict[str, torch.Tensor]
    metrics: dict[str, Any]


# Dense base models that PyTorch's own layers (`loop.fit`) train faster than the engine, one
# thread, CPU seconds per epoch of the 3×50 model on the full data (README, "Pruning speed"):
# LSTM fit 6.5, engine 6.9; GRU 13.1 and 6.1; RNN_Tanh 5.5 and 4.0; RNN_ReLU 4.9 and 3.8.
# Their pruned copies still retrain packed (they cost the engine less, `fit` the same).
FIT_BASES = frozenset({"lstm"})


def train_bases(
    bases: Sequence[tuple[PruneSpec, nx.Graph | None]],
    config: TrainConfig,
    train: Encoded,
    test: Encoded,
    engine: str | None = None,
    pack_size: int | None = None,
    callbacks: Callbacks | None = None,
    device: str = "cpu",
) -> list[BaseOutcome]:
    """Train base models of one cell under ``config`` (each spec with its graph, None: dense)
    together; test numbers after every epoch, WAEA statistics over the last epoch. Dense
    models of a cell in `FIT_BASES` train with `loop.fit` instead (unless ``engine`` is given):
    the same numbers, sooner (on the CPU; on CUDA every base trains packed on ``device``).
    ``callbacks`` get ``"progress"`` in model-epochs, as from `engine.train_many`."""
    callbacks = callbacks or Callbacks()
    models = [new_model(spec, graph) for spec, graph in bases]
    first = last_epoch_start(config, len(train))
    dense = all(graph is None for _, graph in bases)
    on_cpu = device == "cpu"
    if engine is None and on_cpu and dense and models and models[0].cell.name in FIT_BASES:
        out = []
        total = len(models) * config.epochs
        for k, model in enumerate(models):
            recorder = WaeaRecorder(first_step=first)

            def count(event: Epoch, before: int = k * config.epochs) -> None:
                progress = Progress(before + event.epoch, total, "model-epochs")
                callbacks.trigger_callback("progress", progress)

            hooks = Callbacks().add_callback("step", recorder.on_step).add_callback("epoch", count)
            metrics = fit(model, train, test, config, callbacks=hooks, eval_each_epoch=True)
            out.append(BaseOutcome(model.state_dict(), recorder.state_dict(), metrics))
        return out
    recorders = PackRecorders(models, first_step=first)
    metrics = train_many(
        models,
        train,
        test,
        config,
        pack_size=pack_size,
        engine=engine,
        eval_each_epoch=True,
        callbacks=callbacks.plus("step", recorders.on_step),
        device=device,
    )
    return [
        BaseOutcome(model.state_dict(), recorders.of(model).state_dict(), m)
        for model, m in zip(models, metrics)
    ]


@dataclass(frozen=True)
class Cut:
    """One pruned copy: an experiment and one of its levels (percent)."""

    spec: PruneSpec
    level: float


@dataclass(frozen=True)
class RetrainJob:
    """Everything a worker needs to prune and retrain copies of one stored base model."""

    base: dict[str, Any]  # the base's row: at least ``id`` and ``test_acc``
    graph: str | None  # node-link JSON of its study graph; None: the dense model
    state: dict[str, torch.Tensor]  # the trained weights
    stats: Stats | None  # WAEA's (Q, I), if a cut needs them
    cuts: tuple[Cut, ...]
    config: dict[str, Any]  # the base's training config; retraining: its retrain_epochs


def retrain(
    job: RetrainJob,
    train: Encoded,
    test: Encoded,
    engine: str | None = None,
    device: str = "cpu",
) -> list[dict[str, Any]]:
    """Prune a copy of the base per cut, evaluate, retrain all of them in one pack (cuts with
    the same number of retraining epochs), evaluate each epoch; one row per cut, in order.

    ``seconds`` of a row is the job's wall time divided by its cuts (copies train together).
    """
    return retrain_models(job, train, test, engine, device)[1]


def retrain_models(
    job: RetrainJob,
    train: Encoded,
    test: Encoded,
    engine: str | None = None,
    device: str = "cpu",
) -> tuple[list[GraphRNN], list[dict[str, Any]]]:
    """`retrain`, also returning the retrained models (masks and weights), one per cut."""
    start = time.perf_counter()
    config = TrainConfig.from_dict(job.config)
    graph = None if job.graph is None else from_json(job.graph)
    models, parts = [], []
    for cut in job.cuts:
        model = new_model(cut.spec, graph)
        model.load_state_dict(job.state)
        parts.append(prune_copy(model, cut.spec, cut.level, job.stats))
        models.append(model)
    pruned = evaluate_many(models, test, config.eval_batch_size, engine=engine, device=device)
    histories: list[list[dict]] = [[] for _ in job.cuts]
    for epochs in sorted({cut.spec.retrain_epochs for cut in job.cuts} - {0}):
        chosen = [i for i, cut in enumerate(job.cuts) if cut.spec.retrain_epochs == epochs]
        trained = train_many(
            [models[i] for i in chosen],
            train,
            test,
            replace(config, epochs=epochs),
            pack_size=len(chosen),
            engine=engine,
            eval_each_epoch=True,
            device=device,
        )
        for i, metrics in zip(chosen, trained):
            histories[i] = metrics["history"]
    seconds = (time.perf_counter() - start) / max(len(job.cuts), 1)
    rows = [
        level_row(cut.spec, job.base, cut.level, model, structure, gates, evaluated, history,
                  seconds)
        for cut, model, (structure, gates), evaluated, history in zip(
            job.cuts, models, parts, pruned, histories
        )
    ]  # fmt: skip
    return models, rows
