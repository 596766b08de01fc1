"""Training configuration: a small dataclass passed whole and saved beside every result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from randrnn.errors import RandRNNError, check_name
from randrnn.tasks.registry import DEFAULT_TASK, spec

BATCHINGS = ("shuffle", "bucket")  # how an epoch is cut into batches (training/batches.py)
# Shuffled, as the thesis did: bucketing by length moved mean accuracy measurably on the shipped
# data, where length predicts the label (docs/findings.md, "Batching").
DEFAULT_BATCHING = "shuffle"


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained. Defaults are the thesis' random-structure protocol (docs/method.md §5)."""

    epochs: int = 15  # passes over the training strings
    batch_size: int = 128  # strings per optimiser step
    lr: float = 1e-3  # Adam learning rate
    clip: float = 5.0  # gradient max-norm, per model
    seed: int = 0  # batch order (shared by all models of a study) — init seeds are per model
    batching: str = DEFAULT_BATCHING  # "shuffle": random batches; "bucket": similar lengths
    readout: str = "last"  # "last": the last layer's units; "sinks": every node without successor
    max_train: int | None = None  # subsample the training strings (pilot runs)
    max_test: int | None = None  # subsample the test strings (pilot runs)
    eval_batch_size: int = 1024  # strings per forward pass when evaluating (no gradients)
    data: str = "shipped"  # which data set (a content hash for user data): part of a run's identity
    task: str = DEFAULT_TASK  # task spec ('reber', 'reber:hard', 'tomita-4'); analysis groups by it

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", spec(self.task))  # canonical: 'reber:thesis' → 'reber'
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise RandRNNError(f"{name} must be at least 1, got {getattr(self, name)}")
        check_name("batching", self.batching, BATCHINGS)
        if self.lr <= 0 or self.clip <= 0:
            raise RandRNNError("lr and clip must be positive")
        for name in ("max_train", "max_test"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise RandRNNError(f"{name} must be at least 1, got {value}")

    def to_dict(self) -> dict:
        """The config as stored with a run and hashed. ``task`` is left out when it is the
        default (reber), so the configs of studies made before tasks existed keep their hash."""
        out = asdict(self)
        if out["task"] == DEFAULT_TASK:
            del out["task"]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """The config of a stored run; older studies stored ``bucket: bool`` for ``batching``,
        and a config without ``task`` is the reber task."""
        data = dict(data)
        if "bucket" in data and "batching" not in data:
            data["batching"] = "bucket" if data.pop("bucket") else "shuffle"
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RandRNNError(f"unknown training option(s): {', '.join(unknown)}")
        return cls(**data)
