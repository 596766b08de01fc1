"""What one `randrnn prune` runs: its experiments (one `PruneSpec` and base config each) and the
data they train on, from the options as the command line gives them.

`prune_work` is the one call the command makes; every name and number is checked here or by
the types it builds (`PruneSpec`, `WaeaOptions`, `TrainConfig`), once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from randrnn.errors import RandRNNError, parse_list, parse_names
from randrnn.models.cells import parse_cells
from randrnn.pruning.criteria import CRITERIA, TARGETS
from randrnn.pruning.grid import grid
from randrnn.pruning.protocol import BASE_HIDDEN, DEFAULT_LEVELS, PruneSpec, base_config
from randrnn.pruning.runner import Experiment
from randrnn.pruning.waea import READINGS, WaeaOptions
from randrnn.training.config import DEFAULT_BATCHING, TrainConfig


@dataclass(frozen=True)
class Work:
    """The experiments of one prune command and the data their base models train on."""

    experiments: list[Experiment]
    train: pd.DataFrame
    test: pd.DataFrame


def parse_sizes(text: str) -> tuple[int, ...]:
    """'50,50,50' → (50, 50, 50): the layer sizes of the dense base model."""
    try:
        sizes = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise RandRNNError(f"hidden sizes must look like 50,50,50, got '{text}'") from None
    if min(sizes) < 1:
        raise RandRNNError(f"hidden sizes must be at least 1, got '{text}'")
    return sizes


def parse_alphas(text: str) -> list[float]:
    """'0.3' or '0.3,0.9' → the WAEA α values (each checked by WaeaOptions)."""
    return parse_list(text, float, "--alpha takes numbers in [0, 1] such as 0.3,0.9")


def method_variants(
    methods: Sequence[str], waeas: Sequence[WaeaOptions]
) -> list[tuple[str, WaeaOptions]]:
    """(method, WAEA options): one experiment per WAEA variant, one for the other methods."""
    return [(m, w) for m in methods for w in (waeas if m == "waea" else waeas[:1])]


def dense_experiments(
    cells: Sequence[str],
    variants: Sequence[tuple[str, WaeaOptions]],
    targets: Sequence[str],
    *,
    scope: str = "global",
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    retrain_epochs: int = 10,
    tolerance: float = 0.01,
    seed: int = 0,
    hidden: tuple[int, ...] = BASE_HIDDEN,
    base: TrainConfig | None = None,
) -> list[Experiment]:
    """One experiment on the dense model of ``hidden`` per (cell, variant, target)."""
    base = base if base is not None else base_config(seed=seed)
    combos = grid({"cell": cells, "variant": variants, "target": targets})
    return [
        (PruneSpec(cell=c["cell"], method=c["variant"][0], target=c["target"], scope=scope,
                   levels=levels, retrain_epochs=retrain_epochs, tolerance=tolerance, seed=seed,
                   hidden=hidden, waea=c["variant"][1]), base)
        for c in combos
    ]  # fmt: skip


def graph_work(
    study: Path,
    cells: Sequence[str],
    graphs: str,
    variants: Sequence[tuple[str, WaeaOptions]],
    targets: Sequence[str],
    *,
    config: str | None = None,
    data: Path | None = None,
    **spec: object,
) -> Work:
    """--graphs: the experiments on the study's trained models, and the data they trained on.
    ``spec``: scope, levels, retrain_epochs and tolerance of every experiment."""
    from randrnn.pruning.structure import graph_experiments, parse_graph_ids
    from randrnn.store import Study

    ids = parse_graph_ids(graphs)
    experiments: list[Experiment] = []
    with Study.open(study) as st:
        for method, waea in variants:
            experiments += graph_experiments(
                st, cells, ids, [method], targets, waea=waea, config=config, **spec
            )
    keys = {(getattr(cfg, "task", None), cfg.data) for _, cfg in experiments}
    if len(keys) > 1:
        raise RandRNNError("the cells chosen were trained on different data; prune one at a time")
    ((task, key),) = keys
    if task is None:
        from randrnn.reber import load_data

        train, test = load_data(data)
        found = "shipped" if data is None else None
    else:
        from randrnn.tasks.data import task_data

        loaded = task_data(task, None, data)
        train, test, found = loaded.train, loaded.test, loaded.key
    if found is not None and found != key:
        raise RandRNNError(
            f"the runs were trained on data {key}, not {found}; pass their folder with --data"
        )
    return Work(experiments, train, test)


def prune_work(
    *,
    study: Path,
    cells: str,
    methods: str = "magnitude",
    targets: str = "both",
    scope: str = "global",
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    retrain_epochs: int = 10,
    tolerance: float = 0.01,
    waea: WaeaOptions | None = None,
    alphas: str = "0.3",
    readings: str = "signed",
    graphs: str | None = None,
    config: str | None = None,
    data: Path | None = None,
    base_epochs: int = 50,
    batch_size: int = 32,
    seed: int = 0,
    max_train: int | None = None,
    max_test: int | None = None,
    batching: str = DEFAULT_BATCHING,
    hidden: str = "50,50,50",
) -> Work:
    """The experiments of `randrnn prune` and their data: the grid of ``cells`` × ``methods``
    (each WAEA reading × α a method of its own) × ``targets``, comma lists as on the command
    line; on the dense model of ``hidden``, or with ``graphs`` on a structure study's models.
    ``waea``: the WAEA options other than α and the reading."""
    from dataclasses import replace

    waea = waea or WaeaOptions()
    waeas = [
        replace(waea, alpha=a, reading=r)
        for r in parse_names(readings, READINGS, "WAEA reading")
        for a in parse_alphas(alphas)
    ]
    variants = method_variants(parse_names(methods, CRITERIA, "method"), waeas)
    cell_names = parse_cells(cells)
    target_names = parse_names(targets, TARGETS, "target")
    spec = {"scope": scope, "levels": levels, "retrain_epochs": retrain_epochs,
            "tolerance": tolerance}  # fmt: skip
    if graphs is not None:
        return graph_work(
            study, cell_names, graphs, variants, target_names, config=config, data=data, **spec
        )
    from randrnn.reber import load_data

    base = base_config(
        epochs=base_epochs, batch_size=batch_size, seed=seed, max_train=max_train,
        max_test=max_test, batching=batching,
    )  # fmt: skip
    experiments = dense_experiments(
        cell_names, variants, target_names, seed=seed, hidden=parse_sizes(hidden), base=base,
        **spec,
    )  # fmt: skip
    return Work(experiments, *load_data(data))
