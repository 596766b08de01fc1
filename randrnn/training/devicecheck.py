"""The same models trained on the CPU and on a device: do they end the same?

`scripts/gpu_check.py` and the CUDA tests ask it."""

from __future__ import annotations

from collections.abc import Sequence

TOLERANCE = 1e-4  # weights after an epoch, CPU vs device (float32 sums in another order)


def compare_devices(
    device: str, graphs: int, max_train: int, cells: Sequence[str], engine: str = "sparse"
) -> list[dict]:
    """Per cell: the largest weight difference between the CPU's default engine and ``engine``
    on ``device`` after one epoch of the same models, and whether accuracies agree."""
    import torch

    from randrnn.models.graph_rnn import build_model
    from randrnn.tasks.data import task_data
    from randrnn.training.bench import sample_dags
    from randrnn.training.config import TrainConfig
    from randrnn.training.engine import train_many
    from randrnn.training.engines import resolve_engine
    from randrnn.training.loop import prepare_data

    found = task_data(None)
    config = TrainConfig(epochs=1, max_train=max_train, max_test=max(max_train // 4, 32))
    train, test = prepare_data(found.train, found.test, config)
    dags = sample_dags(graphs, seed=0, nodes=(10, 50))
    reference = resolve_engine(None, "cpu")
    rows = []
    for cell in cells:
        runs = {}
        for where, name in (("cpu", reference), (device, engine)):
            models = [build_model(d, cell, seed=i) for i, d in enumerate(dags)]
            metrics = train_many(models, train, test, config, engine=name, device=where)
            runs[where, name] = (models, metrics)
        (ref_models, ref), (models, got) = runs.values()
        diff = max(
            (a - b).abs().max().item()
            for m, r in zip(models, ref_models)
            for a, b in zip(m.state_dict().values(), r.state_dict().values())
        )
        same_acc = all(x["test_acc"] == y["test_acc"] for x, y in zip(got, ref))
        rows.append({"cell": cell, "reference": f"cpu/{reference}", "checked": f"{device}/{engine}",
                     "max_weight_diff": diff, "same_test_acc": same_acc,
                     "ok": diff < TOLERANCE and same_acc})  # fmt: skip
        del runs
        if device == "cuda":
            torch.cuda.empty_cache()
    return rows


def host_syncs_per_batch(device: str, engine: str, cell: str = "gru", graphs: int = 8) -> float:
    """Host synchronisations per training batch on CUDA, counted by torch itself: one epoch
    of ``graphs`` models trained twice, on 2 and on 6 batches of 32 strings, under
    ``torch.cuda.set_sync_debug_mode("warn")``, which warns at every synchronisation; the
    difference of the two counts over the 4 extra batches is the per-batch figure (what an
    epoch does once, such as reading its accuracies, cancels). CUDA only."""
    import warnings

    import torch

    from randrnn.models.graph_rnn import build_model
    from randrnn.tasks.data import task_data
    from randrnn.training.bench import sample_dags
    from randrnn.training.config import TrainConfig
    from randrnn.training.engine import train_many
    from randrnn.training.loop import prepare_data

    if torch.device(device).type != "cuda":
        raise ValueError("host_syncs_per_batch counts CUDA synchronisations: give a CUDA device")
    found = task_data(None)
    dags = sample_dags(graphs, seed=0, nodes=(10, 50))
    counts = []
    for batches in (2, 6):
        config = TrainConfig(epochs=1, batch_size=32, max_train=32 * batches, max_test=32)
        train, test = prepare_data(found.train, found.test, config)
        models = [build_model(d, cell, seed=i) for i, d in enumerate(dags)]
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                train_many(models, train, test, config, engine=engine, device=device)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchroniz" in str(w.message) for w in seen))
    return (counts[1] - counts[0]) / 4
