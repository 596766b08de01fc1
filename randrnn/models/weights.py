"""A trained model's weights as bytes, the form a study keeps them in (`train-all` keeps every
run's), and back into the model the pruning path builds.

Only what training changed is kept: every entry of the state dict except the structural masks
(``*_mask``), which `build_model` makes again from the graph. The values are the float32 entries
in state-dict order, little-endian, one after the other: 4 bytes per value, on generated graphs
of 10–50 nodes a mean of 4.5 KiB per RNN model, 9.4 (GRU), 11.9 (LSTM), where ``torch.save``
of the state dict takes 19–31 KiB. A 1,000-graph × 4-cell study's database holds 38 MiB with
every run's weights, 5.6 MiB without. The
``layout`` is a hash of the entries' names and shapes: weights load only into a model with the
same layout (same graph, cell and readout), and anything else is one error line.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import GraphRNN


def _kept(model: GraphRNN) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if not k.endswith("_mask")}


def layout(model: GraphRNN) -> str:
    """The first 16 hex digits of sha256 over the kept entries' names and shapes, in order."""
    text = ";".join(f"{k}:{tuple(v.shape)}" for k, v in _kept(model).items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pack(model: GraphRNN) -> tuple[str, bytes]:
    """(layout, bytes) of the model's trained weights."""
    values = [v.detach().to("cpu", torch.float32).reshape(-1) for v in _kept(model).values()]
    flat = torch.cat(values) if values else torch.zeros(0)
    return layout(model), flat.numpy().astype("<f4").tobytes()


def unpack(model: GraphRNN, kept_layout: str, data: bytes) -> None:
    """Load weights packed from a model of the same layout into ``model`` (in place; its
    structural masks stay, and the pruned attributes are recomputed as after any load)."""
    if kept_layout != layout(model):
        raise RandRNNError(
            f"kept weights (layout {kept_layout}) do not fit this model (layout "
            f"{layout(model)}): another graph, cell or readout"
        )
    flat = torch.from_numpy(np.frombuffer(data, dtype="<f4").astype(np.float32))
    state, start = {}, 0
    for key, value in _kept(model).items():
        state[key] = flat[start : start + value.numel()].reshape(value.shape).to(value.dtype)
        start += value.numel()
    if start != flat.numel():
        raise RandRNNError(f"kept weights hold {flat.numel()} values, the model {start}")
    masks = {k: v for k, v in model.state_dict().items() if k.endswith("_mask")}
    model.load_state_dict({**state, **masks})
