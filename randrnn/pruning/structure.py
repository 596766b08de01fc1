"""Structure × pruning: prune the trained models of a structure study, one per graph and cell.

A structure study (``generate`` + ``train-all``) holds, for every graph and cell, a run: the
model of the graph's DAG trained under one config from the seed `training.runner.model_seed`
gives it. `graph_experiments` turns those into pruning experiments whose base model is that
run's model: the same graph (structural masks kept, so only existing connections can go), the
same initialisation seed, readout and training config, replicate 0. Where train-all kept the
run's weights (its default, ``run_weights``), the base *is* that trained model (`kept_base`: no
training, and its accuracy is the run's). Otherwise the base is trained again; packed with other
models than in train-all, its sums run in another order, and over 15 epochs that can drift: on
200 generated GRU graphs, 121 bases came within 0.001 of their run's test accuracy, 10 differed
by more than 0.01 (r = 0.988). A WAEA experiment that reads the last training epoch
(no ``--waea-steps``) needs that epoch's statistics, which only training records, so its base
is trained again too. Safe levels are measured against the base's own accuracy.

Per graph the study then holds a pruning curve (one row per level) and, derived from it, a safe
level (`results.graph_safe_levels`), which the analysis reads like accuracy
(`results.graph_columns`: ``safe_level_<tag>``, ``acc_<tag>_<level>``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from randrnn.errors import RandRNNError, parse_list
from randrnn.pipeline import study_seed
from randrnn.pruning.protocol import PruneSpec, new_model, store_base
from randrnn.pruning.waea import WaeaOptions
from randrnn.store import Study, config_hash
from randrnn.training.config import TrainConfig
from randrnn.training.runner import model_seed

Experiment = tuple[PruneSpec, TrainConfig]


def parse_graph_ids(text: str) -> str | list[int]:
    """``"all"`` or a comma list of graph ids (``"3,7,12"``); anything else is one error line."""
    text = text.strip()
    if text.lower() == "all":
        return "all"
    return parse_list(text, int, "--graphs takes 'all' or graph ids such as 3,7,12")


def run_config(study: Study, cell: str, config: str | None = None) -> tuple[str, TrainConfig]:
    """(hash, config) under which the study's runs of ``cell`` were trained: the only one, or
    ``config`` (a hash or unique prefix); one error line if there is none or a choice is due."""
    from randrnn.analysis.table import HASH_SHOWN, resolve_config

    found = {c["config_hash"]: c for c in study.configs() if c["cell"] == cell}
    if not found:
        raise RandRNNError(
            f"study '{study.path}' has no finished {cell} runs to prune; "
            f"run: randrnn train-all --study {study.path} --cells {cell}"
        )
    if config is not None:
        chosen = resolve_config(config, list(found))
    elif len(found) == 1:
        chosen = next(iter(found))
    else:
        listed = ", ".join(f"{h[:HASH_SHOWN]} ({c['runs']} runs)" for h, c in found.items())
        raise RandRNNError(
            f"{cell} was trained under {len(found)} configs: {listed}; choose one with --config"
        )
    return chosen, TrainConfig.from_dict(found[chosen]["config"])


def graph_experiments(
    study: Study,
    cells: Sequence[str],
    graphs: str | Sequence[int],
    methods: Sequence[str],
    targets: Sequence[str],
    *,
    scope: str = "global",
    levels: tuple[float, ...],
    retrain_epochs: int,
    tolerance: float,
    waea: WaeaOptions | None = None,
    config: str | None = None,
) -> list[Experiment]:
    """One experiment per (graph, cell, method, target): the graph's trained model (replicate 0
    of its run under the cell's config) pruned at ``levels``. ``graphs``: ``"all"`` (every graph
    with such a run) or ids, each of which must exist and have that run."""
    known = set(study.graph_ids())
    if graphs != "all":
        unknown = [gid for gid in graphs if gid not in known]
        if unknown:
            shown = ", ".join(map(str, unknown[:5])) + (", ..." if len(unknown) > 5 else "")
            raise RandRNNError(
                f"unknown graph id(s) {shown}; the study '{study.path}' has {len(known)} graphs"
                + (f" (ids {min(known)}–{max(known)})" if known else "")
            )
    seed = study_seed(study)
    out: list[Experiment] = []
    for cell in cells:
        chash, cfg = run_config(study, cell, config)
        trained = sorted(
            {
                run["graph_id"]
                for run in study.runs("done")
                if run["cell"] == cell and run["config_hash"] == chash and run["replicate"] == 0
            }
        )
        if graphs == "all":
            chosen = trained
        else:
            missing = [gid for gid in graphs if gid not in set(trained)]
            if missing:
                shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
                raise RandRNNError(
                    f"graph(s) {shown} have no finished {cell} run under config "
                    f"{chash[:8]} to prune; train them first (randrnn train-all)"
                )
            chosen = list(graphs)
        for gid in chosen:
            for method in methods:
                for target in targets:
                    spec = PruneSpec(
                        cell=cell,
                        method=method,
                        target=target,
                        scope=scope,
                        levels=levels,
                        retrain_epochs=retrain_epochs,
                        tolerance=tolerance,
                        seed=cfg.seed,
                        graph_id=gid,
                        waea=waea or WaeaOptions(),
                        init_seed=model_seed(seed, gid, cell, 0),
                        readout=cfg.readout,
                    )
                    out.append((spec, cfg))
    return out


def kept_run(study: Study, experiments: Sequence[Experiment]) -> dict | None:
    """The train-all run whose kept weights are the base of experiments sharing one base
    (`runner.run_experiments`' groups), as `Study.kept_weights` gives it; None (train the base)
    for the dense model, a spec whose model is not the run's replicate 0 (seeds, readout), a
    run without kept weights, or a WAEA experiment that reads the last training epoch."""
    spec, config = experiments[0]
    if spec.graph_id is None or any(
        s.method == "waea" and s.waea.window_steps is None for s, _ in experiments
    ):
        return None
    if (spec.init_seed, spec.seed, spec.readout) != (
        model_seed(study_seed(study), spec.graph_id, spec.cell, 0),
        config.seed,
        config.readout,
    ):
        return None
    return study.kept_weights(spec.graph_id, spec.cell, config_hash(config.to_dict()))


def kept_base(study: Study, experiments: Sequence[Experiment]) -> dict | None:
    """Store the base of ``experiments`` from its run's kept weights (`kept_run`) and return its
    row: no training, and its accuracy is the run's; None if there are none to use."""
    kept = kept_run(study, experiments)
    if kept is None:
        return None
    from randrnn.models.weights import unpack

    spec, config = experiments[0]
    model = new_model(spec, study.graph(spec.graph_id)["graph"])
    unpack(model, kept["layout"], kept["weights"])
    run = kept["metrics"]
    last = {"epoch": config.epochs, **{k: run[k] for k in ("train_acc", "train_loss",
            "test_acc", "test_loss") if k in run}}  # fmt: skip
    metrics = {key: run[key] for key in ("test_acc", "test_loss", "train_seconds",
               "effective_params")}  # fmt: skip
    return store_base(study, spec, config, model.state_dict(), None, {**metrics, "history": [last]})
