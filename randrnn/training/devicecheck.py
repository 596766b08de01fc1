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
