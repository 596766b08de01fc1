"""What a study file's stages will do, and how long they should take (for `run --dry-run`).

Training time is projected from seconds per model-epoch (`randrnn.training.speed`): the user's
own last `randrnn bench` (saved in the user cache) if there is one, else the numbers measured on
the reference machine (2-core AMD EPYC, no GPU; see the README). A train-all stage on CUDA
(``device = "cuda"``, or ``auto`` where torch sees a GPU) is projected from the last `randrnn
bench --device cuda` only: without one it says so, and projects nothing. A prune stage is
projected by `randrnn.pruning.plan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from randrnn.models.cells import parse_cells
from randrnn.reber import DEFAULT_N, DEFAULT_TEST_FRACTION
from randrnn.training.speed import gpu_seconds_per_model_epoch, seconds_per_model_epoch

if TYPE_CHECKING:
    from randrnn.studyfile import Step, StudyFile

FULL_TRAIN = round(DEFAULT_N * (1 - DEFAULT_TEST_FRACTION))  # 18,750 strings

GRAPH_SECONDS = 0.01  # generating one graph and computing its properties


def _device(step: Step) -> str:
    """The device a train-all stage will train on (``auto``: where torch sees a GPU)."""
    from randrnn.training.engines import resolve_device

    name = str(_opt(step, "device", "auto"))
    return "cuda" if name == "cuda" else resolve_device(name)


def _opt(step: Step, key: str, default: Any) -> Any:
    for k, v in step.options.items():
        if k.replace("-", "_") == key:
            return v
    return default


def _count_graphs(sf: StudyFile) -> int:
    n = 0
    for step in sf.steps:
        if step.stage == "generate":
            n = int(_opt(step, "n", 1000))
    return n


def _names(value: Any) -> list[str]:
    """'a,b' or ['a', 'b'] → ['a', 'b']."""
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip().lower() for v in items if str(v).strip()]


def length_share(task: str | None, negatives: str | None = None, data: str | None = None) -> float:
    """Mean string length of a train-all stage's data over the shipped Reber set's: an epoch
    costs about the same per letter on every task (`randrnn bench` shows µs / symbol). 1 for
    the shipped set, and for a data folder that a dataset stage has not made yet."""
    from randrnn.errors import RandRNNError
    from randrnn.tasks.data import task_data

    if task is None and negatives is None and data is None:
        return 1.0
    try:
        found = task_data(task, negatives, data)
    except RandRNNError:
        return 1.0
    mean = found.train["string"].str.len().mean()
    return float(mean / task_data().train["string"].str.len().mean())


def project(step: Step, sf: StudyFile) -> tuple[str, float | None]:
    """A short description of a step's work and its projected seconds (None: negligible)."""
    if step.stage == "dataset":
        return f"{_opt(step, 'n', DEFAULT_N):,} strings", 2.0
    if step.stage == "generate":
        n = int(_opt(step, "n", 1000))
        return f"{n:,} graphs", n * GRAPH_SECONDS
    if step.stage == "train-all":
        cells = parse_cells(
            ",".join(_opt(step, "cells", ["gru", "lstm", "rnn_tanh", "rnn_relu"]))
            if isinstance(_opt(step, "cells", ""), list)
            else _opt(step, "cells", "gru,lstm,rnn_tanh,rnn_relu")
        )
        graphs = _count_graphs(sf)
        split = _opt(step, "assign", "all") == "split"
        epochs = int(_opt(step, "epochs", 15))
        workers = int(_opt(step, "workers", 1))
        replicates = int(_opt(step, "replicates", 1))  # each pair trained K times
        share = min(1.0, int(_opt(step, "max_train", FULL_TRAIN)) / FULL_TRAIN)
        share *= length_share(_opt(step, "task", None), _opt(step, "negatives", None),
                              _opt(step, "data", None))  # fmt: skip
        runs = (graphs if split else graphs * len(cells)) * replicates
        per_cell = (graphs / len(cells) if split else graphs) * replicates
        if _device(step) == "cuda":
            gpu = gpu_seconds_per_model_epoch()
            missing = [c for c in cells if c not in gpu]
            work = f"{runs:,} models × {epochs} epochs on CUDA"
            if missing:
                note = (
                    f"no GPU benchmark of {', '.join(missing)} exists (randrnn bench --device cuda)"
                )
                return f"{work}; {note}", None
            return work, sum(per_cell * epochs * share * gpu[c] for c in cells)
        speed = seconds_per_model_epoch()
        seconds = sum(per_cell * epochs * share * speed[c] for c in cells) / workers
        return f"{runs:,} models × {epochs} epochs on {workers} worker(s)", seconds
    if step.stage == "prune":
        from randrnn.pruning.plan import project_step

        # A base model is trained once, by the first prune stage that needs it; `graphs`
        # prunes the models train-all trained (its config).
        earlier: set[str] = set()
        for other in sf.steps:
            if other is step:
                break
            if other.stage == "prune" and (_opt(other, "graphs", None) is None) == (
                _opt(step, "graphs", None) is None
            ):
                earlier.update(_names(_opt(other, "cells", _opt(other, "cell", "lstm"))))
        train = next((s for s in sf.steps if s.stage == "train-all"), None)
        work, seconds, _ = project_step(
            lambda key, default: _opt(step, key, default),
            _count_graphs(sf),
            None if train is None else (lambda key, default: _opt(train, key, default)),
            earlier,
        )
        return work, seconds
    return "tables" if step.stage in ("correlate", "predict") else "figures and page", None
