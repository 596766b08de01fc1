"""The shared pruning protocol (docs/method.md §7), the same for every criterion.

1. Train the base model once per (model, cell, seed, training config) and keep it in the study
   (``checkpoints/``), with its per-epoch train and test accuracy and WAEA's statistics over its
   last epoch. Later runs — other methods, targets, levels — reuse it.
2. For each level p (percent of the existing weights of the target): reload the trained
   weights, compute the mask with the criterion (one global ranking over all selected matrices,
   or one per matrix), evaluate, retrain ``retrain_epochs`` epochs with the mask held fixed and
   a fresh Adam, evaluating after each epoch; store the row at once.
3. Epochs-to-regain: 0 if pruning lost at most ``tolerance`` (accuracy as a fraction: 0.01 is
   one point), else the first retraining epoch back within it, else none.

Biases, the embedding and the readout are never pruned. On a graph-structured model the
structural masks compose with the pruning masks: only existing connections can be pruned.
Finished levels are skipped when a study is run again, so an interrupted study resumes.

This module holds the protocol's steps and `prune_level`, the reference that retrains one pruned
model with `loop.fit`; it imports no other pruning module but the criteria, WAEA and the result
tables. `randrnn.pruning.packed` runs the same steps for many pruned copies at once with the
packed engine, `randrnn.pruning.runner` schedules them (the default path; tests check that both
give the same rows), and `randrnn.pruning.run` sits on top: `run_pruning` and `get_base`.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch

from randrnn.callbacks import Callbacks
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.models.cells import get_cell
from randrnn.models.graph_rnn import GraphRNN, build_model, dense_dag
from randrnn.pruning import results
from randrnn.pruning.criteria import (
    KINDS,
    TARGETS,
    apply_pruning,
    check_scope,
    check_target,
    get_criterion,
    select_weights,
    sparsity,
)
from randrnn.pruning.waea import (
    WaeaOptions,
    WaeaRecorder,
    activity,
    gate_activity,
    magnitude_correlation,
    matrix_masks,
    split_state,
)
from randrnn.store import Study, config_hash
from randrnn.training.batches import Encoded
from randrnn.training.config import DEFAULT_BATCHING, TrainConfig
from randrnn.training.loop import evaluate, fit

DEFAULT_LEVELS: tuple[float, ...] = tuple(float(p) for p in range(10, 101, 10))
BASE_HIDDEN = (50, 50, 50)  # docs/method.md §5: three recurrent layers of 50 units
DEFAULT_TOLERANCE = 0.01  # one accuracy point below the unpruned model


def parse_levels(text: str) -> tuple[float, ...]:
    """Levels in percent: ``"10:100:10"`` (start:stop:step, stop included) or ``"50,90,100"``."""
    try:
        if ":" in text:
            start, stop, step = (float(x) for x in text.split(":"))
            if step <= 0:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            levels = [start + i * step for i in range(max(count, 0))]
        else:
            levels = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise RandRNNError(
            f"bad levels '{text}': use start:stop:step (e.g. 10:100:10) or a "
            "comma list (e.g. 50,90) in percent"
        ) from exc
    if not levels or any(not 0 < p <= 100 for p in levels):
        raise RandRNNError(f"levels must be percentages in (0, 100], got '{text}'")
    return tuple(sorted({results.level_key(p) for p in levels}))


def base_config(
    epochs: int = 50,
    batch_size: int = 32,
    seed: int = 0,
    max_train: int | None = None,
    max_test: int | None = None,
    batching: str = DEFAULT_BATCHING,
) -> TrainConfig:
    """docs/method.md §5's base-model training: batch 32, 50 epochs, otherwise the thesis defaults."""
    return replace(
        TrainConfig(),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        max_train=max_train,
        max_test=max_test,
        batching=batching,
    )


@dataclass(frozen=True)
class PruneSpec:
    """One pruning experiment on one base model: criterion, target, scope and levels."""

    cell: str
    method: str = "magnitude"  # a key of CRITERIA: magnitude | waea | random
    target: str = "both"  # i2h | h2h | both
    scope: str = "global"  # global: one threshold over all selected matrices; layer: per matrix
    levels: tuple[float, ...] = DEFAULT_LEVELS  # percent of the target's existing weights
    retrain_epochs: int = 10  # retraining epochs after pruning, mask held fixed
    tolerance: float = DEFAULT_TOLERANCE  # accuracy (fraction) allowed below the unpruned model
    seed: int = 0  # model initialisation, batch order and the random criterion
    graph_id: int | None = None  # a graph of the study instead of the dense base model
    hidden: tuple[int, ...] = BASE_HIDDEN  # layer sizes of the dense base model
    waea: WaeaOptions = field(default_factory=WaeaOptions)  # used by method="waea" only
    # initialisation of the base model when it differs from ``seed`` (a structure study's model:
    # the seed train-all gave it, so the base is that run's model)
    init_seed: int | None = None
    readout: str = "last"  # the base model's readout: last layer, or all sinks (see models)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell", get_cell(self.cell).name)
        object.__setattr__(self, "method", get_criterion(self.method).name)
        check_target(self.target)
        check_scope(self.scope)
        if not self.levels or any(not 0 < p <= 100 for p in self.levels):
            raise RandRNNError("levels must be percentages in (0, 100]")
        if self.retrain_epochs < 0 or self.tolerance < 0:
            raise RandRNNError("retrain_epochs and tolerance must not be negative")

    @property
    def model_key(self) -> str:
        """``dense:50,50,50`` or ``graph:<id>``: which base model the spec prunes."""
        if self.graph_id is not None:
            return f"graph:{self.graph_id}"
        return "dense:" + ",".join(map(str, self.hidden))

    @property
    def options(self) -> dict[str, Any]:
        """The criterion's options, stored (and hashed) with every result."""
        return self.waea.to_dict() if self.method == "waea" else {}


# --------------------------------------------------------------------------- base model


def build_base(study: Study, spec: PruneSpec) -> GraphRNN:
    """A freshly initialised base model: the dense docs/method.md §5 model, or a study graph's model."""
    graph = None if spec.graph_id is None else study.graph(spec.graph_id)["graph"]
    return new_model(spec, graph)


def new_model(spec: PruneSpec, graph: nx.Graph | None = None) -> GraphRNN:
    """The spec's base model, freshly initialised: the dense model of ``spec.hidden``, or the
    model of ``graph`` (the study graph ``spec.graph_id``, passed in by the caller)."""
    dag = dense_dag(list(spec.hidden)) if graph is None else to_dag(graph)
    return build_model(dag, spec.cell, seed=init_seed(spec), readout=spec.readout)


def init_seed(spec: PruneSpec) -> int:
    """The base model's initialisation seed."""
    return spec.seed if spec.init_seed is None else spec.init_seed


def _checkpoint_dir(study: Study) -> Path:
    path = Path(study.path) / "checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """torch.save plain tensors atomically (temp file, then os.replace)."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(tensors, tmp)
    os.replace(tmp, path)


def _load(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise RandRNNError(
            f"checkpoint '{path}' is missing; delete the study's pruning rows or use a new study"
        )
    return torch.load(path, weights_only=True)


def _stem(spec: PruneSpec, config: TrainConfig) -> str:
    model = re.sub(r"[^0-9A-Za-z]+", "-", spec.model_key)
    return f"prune_{model}_{spec.cell}_s{spec.seed}_{config_hash(config.to_dict())}"


def last_epoch_start(config: TrainConfig, strings: int) -> int:
    """The first optimiser step (1-based) of the last training epoch: WAEA's default window."""
    return (config.epochs - 1) * math.ceil(strings / config.batch_size) + 1


def store_base(
    study: Study,
    spec: PruneSpec,
    config: TrainConfig,
    state: dict[str, torch.Tensor],
    waea_state: dict[str, torch.Tensor] | None,
    metrics: dict[str, Any],
) -> dict:
    """Write a trained base model (checkpoint, WAEA statistics, row) and return its row.
    ``waea_state`` None: a base without last-epoch statistics (loaded from kept weights)."""
    stem = _stem(spec, config)
    folder = _checkpoint_dir(study)
    _save(state, folder / f"{stem}.pt")
    if waea_state is not None:
        _save(waea_state, folder / f"{stem}_waea_epoch.pt")
    results.add_base(
        study,
        {
            "model": spec.model_key,
            "cell": spec.cell,
            "seed": spec.seed,
            "config": config.to_dict(),
            "checkpoint": f"checkpoints/{stem}.pt",
            "waea_stats": None if waea_state is None else f"checkpoints/{stem}_waea_epoch.pt",
            "test_acc": metrics["test_acc"],
            "test_loss": metrics["test_loss"],
            "train_seconds": metrics["train_seconds"],
            "effective_params": metrics["effective_params"],
            "history": metrics["history"],
        },
    )
    return results.find_base(study, spec.model_key, spec.cell, spec.seed, config.to_dict())


def load_base(study: Study, spec: PruneSpec, base: dict) -> GraphRNN:
    """A model with the trained base weights (structural masks only), ready to prune."""
    model = build_base(study, spec)
    model.load_state_dict(base_state(study, base))
    return model


def base_state(study: Study, base: dict) -> dict[str, torch.Tensor]:
    """The trained weights of a stored base model."""
    return _load(Path(study.path) / base["checkpoint"])


# --------------------------------------------------------------------------- WAEA statistics


def stats_path(study: Study, base: dict, window_steps: int | None) -> Path:
    """Where a base model's WAEA statistics for a window live (`waea_statistics` writes them)."""
    if window_steps is None:
        if base["waea_stats"] is None:
            raise RandRNNError(
                f"base model {base['model']} {base['cell']} is its train-all run's kept weights,"
                " which carry no WAEA statistics of a last training epoch; use --waea-steps N"
                " (statistics over N training steps from the trained weights)"
            )
        return Path(study.path) / base["waea_stats"]
    return Path(study.path) / base["checkpoint"].replace(".pt", f"_waea_{window_steps}.pt")


def waea_statistics(
    study: Study, spec: PruneSpec, base: dict, config: TrainConfig, train: Encoded, test: Encoded
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(Q, I) per matrix key for the spec's WAEA window.

    ``window_steps=None``: the last epoch of base training (recorded while training it).
    ``window_steps=N``: N further training steps from the trained base weights on a copy (fresh
    Adam, the same training config); the copy is discarded, so every criterion prunes the same
    trained weights. Cached under ``checkpoints/`` per base and window.
    """
    steps = spec.waea.window_steps
    path = stats_path(study, base, steps)
    if steps is None:
        return split_state(_load(path))
    if not path.is_file():
        model = load_base(study, spec, base)
        recorder = WaeaRecorder(first_step=1, last_step=steps)
        per_epoch = math.ceil(len(train) / config.batch_size)
        observe = replace(config, epochs=math.ceil(steps / per_epoch))
        hooks = Callbacks().add_callback("step", recorder.on_step)
        hooks.add_callback("step", lambda event: event.step >= steps)  # the window is full
        fit(model, train, test, observe, callbacks=hooks)
        _save(recorder.state_dict(), path)
    return split_state(_load(path))


# --------------------------------------------------------------------------- one level


def _random_seed(seed: int, level: float) -> int:
    """The random criterion's seed for one level, derived from the spec seed."""
    state = np.random.SeedSequence([seed, round(level * 1000)]).generate_state(1)
    return int(state[0])


def pruned_base(
    study: Study,
    spec: PruneSpec,
    base: dict,
    level: float,
    stats: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None,
) -> tuple[GraphRNN, dict[str, torch.Tensor], dict | None]:
    """The trained base model pruned at one level by the spec's criterion (not yet evaluated).

    Returns the model, its structural masks by matrix key (the connections that exist before
    pruning) and, for WAEA, the mean activity per gate (`gate_activity`; else None).
    """
    model = load_base(study, spec, base)
    structure, gates = prune_copy(model, spec, level, stats)
    return model, structure, gates


def prune_copy(
    model: GraphRNN,
    spec: PruneSpec,
    level: float,
    stats: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None,
) -> tuple[dict[str, torch.Tensor], dict | None]:
    """Prune a model holding the trained base weights, in place, at one level by the spec's
    criterion. Returns its structural masks by matrix key (the connections that exist before
    pruning) and, for WAEA, the mean activity per gate (`gate_activity`; else None)."""
    structure = matrix_masks(select_weights(model, "both"))
    weights = select_weights(model, spec.target)
    scores, gates = None, None
    if spec.method == "waea":
        if stats is None:
            raise RandRNNError("WAEA needs statistics (waea_statistics)")
        masks = {w.key: structure[w.key] for w in weights}
        parts = activity(stats[0], stats[1], masks, spec.waea)
        scores = {key: part["activity"] for key, part in parts.items()}
        gates = gate_activity(parts, masks, spec.cell)
    apply_pruning(
        weights, spec.method, level / 100.0, spec.scope, scores, seed=_random_seed(spec.seed, level)
    )
    return structure, gates


def level_row(
    spec: PruneSpec,
    base: dict,
    level: float,
    model: GraphRNN,
    structure: dict[str, torch.Tensor],
    gates: dict | None,
    pruned: dict[str, float],
    history: list[dict],
    seconds: float,
) -> dict[str, Any]:
    """The stored row of one level (what `results.add_run` takes): ``pruned`` is the evaluation
    right after pruning, ``history`` the retraining epochs' records (with test numbers)."""
    weights = select_weights(model, spec.target)
    detail = sparsity(model, structure, spec.cell)
    accs = [record["test_acc"] for record in history]
    losses = [record["test_loss"] for record in history]
    kinds = ("i2h", "h2h") if spec.target == "both" else (spec.target,)
    total = sum(float(structure[w.key].sum()) for w in weights)
    # sparsity over the target: pruned share of its existing connections
    reached = sum(float(structure[w.key].sum()) * detail["matrices"][w.key] for w in weights)
    reached = reached / total if total else 0.0
    before = base["test_acc"]
    return {
        "base_id": base["id"],
        "method": spec.method,
        "options": {**spec.options},
        "target": spec.target,
        "scope": spec.scope,
        "level": level,
        "retrain_epochs": spec.retrain_epochs,
        "tolerance": spec.tolerance,
        "acc_before": before,
        "acc_pruned": pruned["acc"],
        "loss_pruned": pruned["loss"],
        "acc_final": accs[-1] if accs else pruned["acc"],
        "accs": accs,
        "losses": losses,
        "epochs_to_regain": results.epochs_to_regain(before, pruned["acc"], accs, spec.tolerance),
        "sparsity": reached,
        "sparsity_detail": {**detail, "kinds": list(kinds)},
        "effective_params": model.effective_params(),
        "gate_activity": gates,
        "seconds": seconds,
    }


def prune_level(
    study: Study,
    spec: PruneSpec,
    base: dict,
    config: TrainConfig,
    train: Encoded,
    test: Encoded,
    level: float,
    stats: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None,
) -> dict[str, Any]:
    """The reference: prune the base model at one level, evaluate, retrain it alone with
    `loop.fit`, evaluate each epoch; return the row (not stored here)."""
    start = time.perf_counter()
    model, structure, gates = pruned_base(study, spec, base, level, stats)
    pruned = evaluate(model, test, config.eval_batch_size)
    history: list[dict] = []
    if spec.retrain_epochs > 0:
        retrain = replace(config, epochs=spec.retrain_epochs)
        history = fit(model, train, test, retrain, eval_each_epoch=True)["history"]
    seconds = time.perf_counter() - start
    return level_row(spec, base, level, model, structure, gates, pruned, history, seconds)


def todo_levels(study: Study, spec: PruneSpec, base: dict) -> list[float]:
    """The spec's levels that have no stored row for this base yet."""
    done = results.done_levels(
        study, base["id"], spec.method, spec.options, spec.target, spec.scope, spec.retrain_epochs
    )
    return [p for p in spec.levels if results.level_key(p) not in done]


# --------------------------------------------------------------------------- WAEA vs |w|


def _structure(state: dict[str, torch.Tensor], keys: list[str]) -> dict[str, torch.Tensor]:
    """Structural masks by matrix key from a base checkpoint (all ones where a matrix has none)."""
    masks = {}
    for key in keys:
        layer, kind = key.split(".")
        name = next(n for n, k in KINDS.items() if k == kind)
        mask = state.get(f"layers.{layer}.{name}_mask")
        masks[key] = torch.ones_like(state[f"layers.{layer}.{name}"]) if mask is None else mask
    return masks


def waea_correlations(study: Study) -> pd.DataFrame:
    """Spearman(activity, |Q|) of every WAEA experiment in the study, from its base model's
    recorded statistics: one row per (base, options, target), ``spearman`` NaN if the
    statistics are gone. Pooled over the target's existing weights (`magnitude_correlation`).
    """
    columns = ["model", "cell", "seed", "label", "reading", "target", "spearman"]
    bases = {base["id"]: base for base in results.bases(study)}
    fields = set(WaeaOptions().to_dict())
    records, seen = [], set()
    for run in results.runs(study):
        key = (run["base_id"], run["options_hash"], run["target"])
        if run["method"] != "waea" or key in seen:
            continue
        seen.add(key)
        base = bases[run["base_id"]]
        options = WaeaOptions(**{k: v for k, v in run["options"].items() if k in fields})
        kinds = {KINDS[name] for name in TARGETS[run["target"]]}
        path = stats_path(study, base, options.window_steps)
        checkpoint = Path(study.path) / base["checkpoint"]
        rho = float("nan")
        if path.is_file() and checkpoint.is_file():
            q, i = split_state(torch.load(path, weights_only=True))
            state = torch.load(checkpoint, weights_only=True)
            masks = _structure(state, [k for k in q if k.split(".")[1] in kinds])
            rho = magnitude_correlation(q, i, masks, options)
        records.append(
            {
                "model": run["model"],
                "cell": run["cell"],
                "seed": run["seed"],
                "label": run["label"],
                "reading": options.reading,
                "target": run["target"],
                "spearman": rho,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.sort_values(["model", "cell", "seed", "target", "reading", "label"], kind="stable")
