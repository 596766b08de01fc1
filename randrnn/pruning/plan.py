"""How long pruning will take, projected from a benchmark of the packed pruning path.

The packed engine's cost per model-epoch is a fixed part (embedding, per-unit gate arithmetic,
loss, Adam, evaluation) plus a part proportional to the recurrent weights it still visits: the
native kernel does no work for a pruned weight. So a pruned copy costs about
``fixed + visited · (1 − share pruned of the kernel's weights)`` seconds per epoch;
`benchmark` measures both numbers for a model and `DENSE` holds them for the dense 3×50 base
model (batch 32, full data, one worker with one thread, on the reference machine: README).
Study graphs' models are projected from train-all's seconds per model-epoch
(`training.speed`), scaled the same way.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from randrnn.pruning.protocol import PruneSpec
from randrnn.training.config import TrainConfig

FULL_TRAIN, FULL_TEST = 18_750, 6_250  # strings of the shipped set
# Dense 3×50, batch 32, full data, one thread, CPU seconds (`benchmark`, levels 0/30/60/90, on
# the reference machine while it was shared): one epoch of a pruned copy in a pack of 10 plus
# one evaluation of the test set = fixed + visited × (share of the kernel's weights left); one
# epoch of base training with its evaluation (LSTM: `loop.fit`, see `packed.FIT_BASES`).
DENSE: dict[str, tuple[float, float]] = {
    "rnn_tanh": (0.80, 2.53),
    "rnn_relu": (0.78, 2.49),
    "lstm": (4.13, 3.09),
    "gru": (3.21, 3.53),
}
DENSE_BASE: dict[str, float] = {"rnn_tanh": 3.9, "rnn_relu": 3.8, "lstm": 6.9, "gru": 6.9}
GRAPH_FIXED = 0.5  # a study graph's model: share of its epoch that pruning does not shorten


@dataclass(frozen=True)
class Projection:
    """One row of a plan: an experiment group and its projected work and seconds."""

    experiment: str
    models: int  # base models the experiments prune
    base_epochs: int  # epochs of base training still to do (all bases of the group)
    levels: int  # levels still to run (all models)
    retrain_epochs: int
    seconds: float  # one worker


def kernel_share(spec: PruneSpec, level: float) -> float:
    """Share of the kernel's recurrent weights a copy pruned at ``level`` % still has.

    The dense model's layer-0 input weights live in the embedding table (no kernel work), so
    pruning them saves nothing; its inner input and recurrent weights count by their numbers.
    A graph's model: half of the work is taken as input, half as recurrent weights.
    """
    p = level / 100.0
    if spec.graph_id is None:
        sizes = spec.hidden
        inner = sum(a * b for a, b in itertools.pairwise(sizes))
        recurrent = sum(h * h for h in sizes)
    else:
        inner = recurrent = 1
    kept = {"both": (1 - p, 1 - p), "i2h": (1 - p, 1.0), "h2h": (1.0, 1 - p)}[spec.target]
    return (inner * kept[0] + recurrent * kept[1]) / (inner + recurrent)


def epoch_seconds(spec: PruneSpec, config: TrainConfig, level: float | None) -> float:
    """Projected seconds of one epoch of one model (``level`` None: the unpruned base model)."""
    share = min(1.0, (config.max_train or FULL_TRAIN) / FULL_TRAIN)
    if spec.graph_id is None:
        if level is None:
            return DENSE_BASE.get(spec.cell, max(DENSE_BASE.values())) * share
        fixed, visited = DENSE.get(spec.cell, max(DENSE.values()))
        return (fixed + visited * kernel_share(spec, level)) * share
    from randrnn.training.speed import seconds_per_model_epoch

    base = seconds_per_model_epoch().get(spec.cell, 0.3) * share
    if level is None:
        return base
    return base * (GRAPH_FIXED + (1 - GRAPH_FIXED) * kernel_share(spec, level))


def experiment_label(spec: PruneSpec) -> str:
    """'lstm · waea α=0.3 signed · both · global'."""
    label = spec.method
    if spec.method == "waea":
        label = f"waea α={spec.waea.alpha:g} {spec.waea.reading}"
    return f"{spec.cell} · {label} · {spec.target} · {spec.scope}"


def project(
    work: Sequence[tuple[PruneSpec, TrainConfig, bool, Sequence[float]]],
) -> list[Projection]:
    """Projected rows, one per experiment label (graphs of one experiment together), from
    ``(spec, config, base stored?, levels still to run)`` per experiment. A base model is
    counted once, by the first experiment that needs it."""
    rows: dict[str, dict] = {}
    trained: set[tuple] = set()
    for spec, config, stored, todo in work:
        label = experiment_label(spec)
        row = rows.setdefault(
            label, {"models": 0, "base": 0, "levels": 0, "retrain": spec.retrain_epochs, "s": 0.0}
        )
        row["models"] += 1
        key = (spec.model_key, spec.cell, spec.seed, config)
        if not stored and key not in trained:
            row["base"] += config.epochs
            row["s"] += config.epochs * epoch_seconds(spec, config, None)
        trained.add(key)
        row["levels"] += len(todo)
        row["s"] += sum(spec.retrain_epochs * epoch_seconds(spec, config, p) for p in todo)
    return [
        Projection(label, r["models"], r["base"], r["levels"], r["retrain"], r["s"])
        for label, r in rows.items()
    ]


def wall_seconds(rows: Sequence[Projection], workers: int, longest_base: float = 0.0) -> float:
    """Projected wall time on ``workers`` workers: the work shared out, but never less than the
    longest single base model's training (one model trains on one worker)."""
    total = sum(r.seconds for r in rows)
    return max(total / max(workers, 1), longest_base)


def longest_base(work: Sequence[tuple[PruneSpec, TrainConfig, bool, Sequence[float]]]) -> float:
    """Seconds of the longest base training still to do (0 if all are stored)."""
    return max(
        (
            config.epochs * epoch_seconds(spec, config, None)
            for spec, config, stored, _ in work
            if not stored
        ),
        default=0.0,
    )


def plan_work(
    study: Path, experiments: Sequence[tuple[PruneSpec, TrainConfig]], workers: int = 1
) -> tuple[list[Projection], float]:
    """Projected rows of ``experiments`` (`project`) and their wall seconds on ``workers``:
    what the study at ``study`` (if it exists) holds already, base models and levels, is
    skipped, and so is a base that its train-all run's kept weights give
    (`structure.kept_run`)."""
    import contextlib

    from randrnn.pruning import results
    from randrnn.pruning.protocol import todo_levels
    from randrnn.pruning.structure import kept_run
    from randrnn.store import DB_NAME, Study

    work = []
    with contextlib.ExitStack() as stack:
        st = stack.enter_context(Study.open(study)) if (study / DB_NAME).is_file() else None
        stored = st is not None and results.has_tables(st)
        for spec, config in experiments:
            base = (
                results.find_base(st, spec.model_key, spec.cell, spec.seed, config.to_dict())
                if stored
                else None
            )
            todo = list(spec.levels) if base is None else todo_levels(st, spec, base)
            kept = base is None and st is not None and kept_run(st, [(spec, config)]) is not None
            work.append((spec, config, base is not None or kept, todo))
    projected = project(work)
    return projected, wall_seconds(projected, workers, longest_base(work))


def benchmark(
    cell: str,
    levels: Sequence[float] = (0.0, 50.0, 90.0),
    copies: int = 10,
    max_train: int = 1000,
    max_test: int = 500,
    batch_size: int = 32,
    hidden: tuple[int, ...] = (50, 50, 50),
) -> dict[str, float]:
    """Time the packed pruning path on the dense model, one thread, in CPU seconds (the wall
    time of an idle core), scaled to the full data: an epoch of the base model alone
    (``base``), and per copy in a pack of ``copies`` random-pruned copies at each level an
    epoch of training plus one evaluation of the test set (``level_<p>``); and the least-squares
    ``fixed`` and ``visited`` of `epoch_seconds` over the levels."""
    import numpy as np

    from randrnn.pruning.protocol import new_model, prune_copy
    from randrnn.reber import load_data
    from randrnn.training.engine import evaluate_many, train_many
    from randrnn.training.loop import prepare_data
    from randrnn.training.process import worker_setup

    worker_setup()
    config = TrainConfig(epochs=1, batch_size=batch_size, max_train=max_train, max_test=max_test)
    train, test = prepare_data(*load_data(None), config)
    train_scale, test_scale = FULL_TRAIN / len(train), FULL_TEST / len(test)
    spec = PruneSpec(cell, method="random", hidden=hidden)
    train_many([new_model(spec)], train, test, replace(config, max_train=64))  # warm-up

    def seconds(models: list) -> float:
        start = time.process_time()
        train_many(models, train, test, config, pack_size=len(models))
        middle = time.process_time()
        evaluate_many(models, test, config.eval_batch_size)
        end = time.process_time()
        return ((middle - start) * train_scale + (end - middle) * test_scale) / len(models)

    out = {"base": seconds([new_model(spec)])}
    shares, measured = [], []
    for level in levels:
        models = []
        for n in range(copies):
            model = new_model(spec)
            prune_copy(model, replace(spec, seed=n), level)
            models.append(model)
        out[f"level_{level:g}"] = seconds(models)
        shares.append(kernel_share(spec, level))
        measured.append(out[f"level_{level:g}"])
    visited, fixed = np.polyfit(shares, measured, 1) if len(levels) > 1 else (0.0, measured[0])
    out["fixed"], out["visited"] = float(fixed), float(visited)
    return out


def project_step(
    get: Callable[[str, Any], Any],
    graphs: int,
    train_get: Callable[[str, Any], Any] | None,
    stored: set[str],
) -> tuple[str, float, set[str]]:
    """A study file's prune stage: (what it trains, projected wall seconds, the cells whose base
    models it trains). ``get(key, default)`` reads the stage's options, ``train_get`` those of
    the study's train-all stage (the config of the models ``graphs = "all"`` prunes), ``graphs``
    is how many graphs the study generates, ``stored`` the cells whose bases an earlier stage
    trains."""
    from randrnn.pruning.protocol import base_config, parse_levels

    def names(value: Any) -> list[str]:
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(v).strip().lower() for v in items if str(v).strip()]

    cells = names(get("cells", get("cell", "lstm")))
    waea = len(names(get("alpha", "0.3"))) * len(names(get("waea_reading", "signed")))
    methods = sum(waea if m == "waea" else 1 for m in names(get("method", "magnitude")))
    experiments = methods * len(names(get("target", "both")))
    levels = parse_levels(str(get("levels", "10:100:10")))
    retrain = int(get("retrain_epochs", 10))
    workers = int(get("workers", 1))
    chosen = get("graphs", None)
    if chosen is None:
        config = base_config(
            int(get("base_epochs", 50)),
            int(get("batch_size", 32)),
            max_train=get("max_train", None),
        )
        models, graph_id = 1, None
    else:
        train_get = train_get or (lambda key, default: default)
        # train-all keeps its models' weights (by default): no base is trained, unless WAEA
        # reads the last training epoch (its statistics are recorded only while training)
        waea_epoch = "waea" in names(get("method", "magnitude")) and get("waea_steps", None) is None
        if train_get("keep_weights", True) and not waea_epoch:
            stored = stored | set(cells)
        config = TrainConfig(
            epochs=int(train_get("epochs", 15)),
            batch_size=int(train_get("batch_size", 128)),
            max_train=train_get("max_train", None),
        )
        text = str(chosen).strip().lower()
        models = graphs if text == "all" else len(names(text))
        graph_id = 0
    targets = names(get("target", "both"))  # the kernel's share left differs by target
    work = []
    for cell in cells:
        for n, target in enumerate(targets * methods):
            spec = PruneSpec(
                cell, target=target, retrain_epochs=retrain, graph_id=graph_id, levels=levels
            )
            for m in range(models):
                # one base per (cell, model); its first experiment trains it
                work.append((replace(spec, seed=m), config, cell in stored or n > 0, levels))
    rows = project(work)
    seconds = wall_seconds(rows, workers, longest_base(work))
    what = f"{len(cells) * experiments} experiment(s)"
    if models > 1:
        what += f" × {models} graphs"
    what += f" × {len(levels)} levels × {retrain} epochs"
    fresh = [c for c in cells if c not in stored]
    if fresh:
        what += f" + {len(fresh) * models} base model(s) × {config.epochs} epochs"
    return f"{what} on {workers} worker(s)", seconds, set(cells)
