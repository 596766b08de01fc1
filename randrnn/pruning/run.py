"""Run the protocol of one experiment: `run_pruning` and `get_base`, the orchestration above
the protocol's steps.

The steps (specs, base checkpoints, masks, one level, rows) live in `randrnn.pruning.protocol`;
`randrnn.pruning.packed` runs them for many pruned copies at once and `randrnn.pruning.runner`
schedules that work. This module sits above all three: `run_pruning` sends a spec through the
runner (the default, packed path) or runs it one level at a time with `protocol.prune_level`
(the reference), and `get_base` trains a missing base model packed or with `loop.fit`.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from randrnn.callbacks import Callbacks, Progress
from randrnn.pruning import results
from randrnn.pruning.protocol import (
    PruneSpec,
    last_epoch_start,
    new_model,
    prune_level,
    store_base,
    todo_levels,
    waea_statistics,
)
from randrnn.pruning.waea import WaeaRecorder
from randrnn.store import Study
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig
from randrnn.training.loop import fit, prepare_data


def run_pruning(
    study: Study,
    spec: PruneSpec,
    config: TrainConfig,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    callbacks: Callbacks | None = None,
    packed: bool = True,
) -> list[dict]:
    """Run the protocol for every level of ``spec`` not yet in the study; return the new rows.

    ``config`` trains the base model (`base_config`); retraining uses it with
    ``epochs=spec.retrain_epochs``. Its seed is set to ``spec.seed`` (one seed per base model).
    ``packed`` (default): base model and all levels through the packed engine
    (`runner.run_experiments`); otherwise one level at a time with `fit` (the reference).
    ``callbacks`` get ``"progress"`` events (see `runner.run_experiments` and `get_base`).
    """
    if config.seed != spec.seed:
        config = replace(config, seed=spec.seed)
    if packed:
        from randrnn.pruning.runner import run_experiments

        return list(run_experiments(study, [(spec, config)], train_df, test_df, callbacks))
    callbacks = callbacks or Callbacks()
    train, test = prepare_data(train_df, test_df, config)
    base = get_base(study, spec, config, train, test, callbacks, packed=False)
    todo = todo_levels(study, spec, base)
    stats = (
        waea_statistics(study, spec, base, config, train, test)
        if (spec.method == "waea" and todo)
        else None
    )
    rows: list[dict] = []
    callbacks.trigger_callback("progress", Progress(0, len(todo), "levels"))
    for level in todo:
        row = prune_level(study, spec, base, config, train, test, level, stats)
        row["id"] = results.add_run(study, row)
        rows.append(row)
        callbacks.trigger_callback("progress", Progress(len(rows), len(todo), "levels"))
    return rows


def get_base(
    study: Study,
    spec: PruneSpec,
    config: TrainConfig,
    train: Encoded,
    test: Encoded,
    callbacks: Callbacks | None = None,
    packed: bool = True,
) -> dict:
    """The stored base model of ``spec`` under ``config``; trained and stored if missing.

    ``packed``: trained by the packed engine (`packed.train_bases`), else by `loop.fit`; both
    record WAEA's statistics over the last epoch. ``callbacks`` get ``"progress"`` in epochs
    (stage "base epochs").
    """
    results.ensure_tables(study)
    found = results.find_base(study, spec.model_key, spec.cell, spec.seed, config.to_dict())
    if found is not None:
        return found
    graph = None if spec.graph_id is None else study.graph(spec.graph_id)["graph"]
    callbacks = callbacks or Callbacks()

    def epochs(done: int) -> None:
        callbacks.trigger_callback("progress", Progress(done, config.epochs, "base epochs"))

    epochs(0)
    if packed:
        from randrnn.pruning.packed import train_bases

        count = Callbacks().add_callback("progress", lambda event: epochs(event.done))
        (outcome,) = train_bases([(spec, graph)], config, train, test, callbacks=count)
        return store_base(study, spec, config, outcome.state, outcome.waea, outcome.metrics)
    model = new_model(spec, graph)
    recorder = WaeaRecorder(first_step=last_epoch_start(config, len(train)))
    hooks = Callbacks().add_callback("step", recorder.on_step)
    hooks.add_callback("epoch", lambda event: epochs(event.epoch))
    metrics = fit(model, train, test, config, callbacks=hooks, eval_each_epoch=True)
    return store_base(study, spec, config, model.state_dict(), recorder.state_dict(), metrics)
