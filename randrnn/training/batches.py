"""Seeded mini-batches that depend only on the data, the epoch and a seed — never on the model.

Because the order is a function of (lengths, batch size, seed, epoch), every model of a study sees
the same batches, which is what lets the engine train many models in one pass and still give each
exactly the result it would get alone. Two ways to cut an epoch into batches (``BATCHINGS``):

- ``bucket``: strings are sorted by length (ties broken at random) and cut into batches, and the
  batch order is shuffled. A batch is padded only to its own longest string, so an epoch costs
  far less; but on data where length predicts the label, a batch can be nearly one class.
- ``shuffle``: a random permutation of the strings cut into batches (the thesis' way); every
  batch is a random sample of the training set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from randrnn.errors import check_name
from randrnn.training.config import BATCHINGS, DEFAULT_BATCHING


@dataclass(frozen=True)
class Encoded:
    """A data split as tensors: padded ASCII codes (N, T), true lengths (N,), labels (N,)."""

    codes: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(
        self, index: np.ndarray, width: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Codes trimmed to the batch's longest string (``width``, if the caller knows it: then
        nothing is read back from the device), lengths and labels of the given rows (indices,
        or a tensor of them already on the device: `on_device`)."""
        rows = torch.as_tensor(index, dtype=torch.long).to(self.codes.device)
        lengths = self.lengths[rows]
        width = int(lengths.max()) if width is None else width
        return self.codes[rows, :width], lengths, self.labels[rows]

    def to(self, device: torch.device | str) -> Encoded:
        """The split on ``device`` (moved once; batches are then cut there)."""
        return Encoded(self.codes.to(device), self.lengths.to(device), self.labels.to(device))


def train_batches(
    lengths: np.ndarray, batch_size: int, seed: int, epoch: int, batching: str = DEFAULT_BATCHING
) -> list[np.ndarray]:
    """Row indices of each batch of one training epoch, cut as ``batching`` says."""
    check_name("batching", batching, BATCHINGS)
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    if batching == "bucket":
        order = order[np.argsort(lengths[order], kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def on_device(batches: list[np.ndarray], device: torch.device | str) -> list[torch.Tensor]:
    """An epoch's batch indices as views of one tensor moved to ``device`` once: one copy per
    epoch instead of one per batch (on CUDA a copy from host memory that the host waits for)."""
    if not batches:
        return []
    whole = torch.as_tensor(np.concatenate(batches), dtype=torch.long).to(device)
    return list(whole.split([len(b) for b in batches]))


def eval_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Row indices for evaluation: sorted by length, so padding is minimal; order is irrelevant."""
    order = np.argsort(lengths, kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
