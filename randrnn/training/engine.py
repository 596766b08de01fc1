"""Train many graph-RNNs together: packed into one set of tensors, each gets exactly its own result.

A *pack* holds G models of one cell type. Layer l of every model goes into *layer slot* l, padded to
the widest layer l of the pack (models sorted by depth and size first, so padding stays small).
Unit j of a model's layer l becomes packed unit ``offset[l] + j``. A step then runs, per slot, one
batched product for the input projection of all time steps at once (slot 0 reads the embedding;
slot l reads the outputs of the slots it draws from) and a recurrence kernel with a hand-written
backward (`randrnn.training.kernels`); the readout gathers every model's readout units at each
string's true last step.

Why the result is the same as `loop.fit` on each model alone: every packed parameter entry belongs
to one model or is padding; padding weights are zero, so padding units stay zero and all padding
entries get exactly zero gradient. The loss is the sum of the models' own mean losses, so each
model's gradient is its own; clipping uses each model's own norm; and Adam is elementwise, so one
Adam over the packed tensors is G independent Adams. All models see the same batches
(`train_batches` depends only on data, epoch and seed). Floating-point sums run in another order,
so weights agree to about 1e-6, not bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import VOCAB, GraphRNN
from randrnn.training.batches import Encoded, eval_batches, train_batches
from randrnn.training.config import TrainConfig
from randrnn.training.kernels import run_kernel

DEFAULT_PACK_SIZE = 16  # models per pack; measured best of 4, 16, 32 (see bench)


@dataclass(frozen=True)
class _Layout:
    """Where each model's units sit in the packed tensors."""

    gates: int
    widths: tuple[int, ...]  # padded width of each layer slot
    offsets: tuple[int, ...]  # packed index of each slot's first unit
    sources: tuple[tuple[int, ...], ...]  # for each slot, the slots any model of the pack reads

    @property
    def units(self) -> int:
        return sum(self.widths)

    def columns(self, slot: int) -> list[int]:
        """Packed unit of each input column of a slot > 0 (its source slots, concatenated)."""
        return [self.offsets[s] + j for s in self.sources[slot] for j in range(self.widths[s])]


def _packed_unit(model: GraphRNN, layout: _Layout) -> list[int]:
    """Packed index of each global unit of a model."""
    out = []
    for layer, size in enumerate(model.layer_sizes):
        out.extend(layout.offsets[layer] + j for j in range(size))
    return out


def _make_layout(models: Sequence[GraphRNN]) -> _Layout:
    depth = max(len(m.layer_sizes) for m in models)
    widths = tuple(
        max((m.layer_sizes[l] for m in models if len(m.layer_sizes) > l), default=0)
        for l in range(depth)
    )
    offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(widths)[:-1]]))
    sources = tuple(
        tuple(
            sorted({s for m in models if len(m.layer_sizes) > l for s in m.plan.source_layers[l]})
        )
        for l in range(depth)
    )
    return _Layout(models[0].cell.gates, widths, offsets, sources)


class PackedModels:
    """G models of one cell type as packed tensors (see the module docstring); load, run, store."""

    def __init__(self, models: Sequence[GraphRNN]):
        names = {m.cell.name for m in models}
        if len(names) != 1:
            raise RandRNNError(f"train_many needs models of one cell type, got {sorted(names)}")
        self.models = list(models)
        self.cell = models[0].cell.name
        self.layout = lay = _make_layout(models)
        g, k = len(models), lay.gates
        zeros = torch.zeros
        self.embedding = zeros(g, VOCAB, lay.widths[0])
        self.w_ih, self.mask, self.b_ih, self.w_hh, self.b_hh = [], [], [], [], []
        # Slot l > 0 reads, for each model, only its own input columns (in its own order) out of
        # the pack's source columns: a gather, so the projection is as wide as the widest model.
        self.gather = [torch.zeros(g, 1, 0, dtype=torch.long)]
        for l in range(1, len(lay.widths)):
            where = {u: c for c, u in enumerate(lay.columns(l))}
            rows = []
            for model in models:
                unit = _packed_unit(model, lay)
                has = len(model.layer_sizes) > l
                rows.append([where[unit[u]] for u in model.plan.layer_inputs(l)] if has else [])
            width = max(len(r) for r in rows)
            self.gather.append(
                torch.tensor([r + [0] * (width - len(r)) for r in rows]).unsqueeze(1)
            )
        for l, width in enumerate(lay.widths):
            inputs = lay.widths[0] if l == 0 else self.gather[l].shape[2]
            self.w_ih.append(zeros(g, inputs, k * width))
            self.mask.append(zeros(g, inputs, k * width))
            self.b_ih.append(zeros(g, k * width))
            self.w_hh.append(zeros(g, width, k * width))
            self.b_hh.append(zeros(g, k * width))
        self.w_out = zeros(g, lay.units, 2)
        self.out_mask = zeros(g, lay.units, 2)  # the readout reads only each model's readout units
        self.b_out = zeros(g, 2)
        self._copy(to_pack=True)
        self.params = [self.embedding, *self.w_ih, *self.b_ih, *self.w_hh, *self.b_hh,
                       self.w_out, self.b_out]  # fmt: skip
        for p in self.params:
            p.requires_grad_(True)

    def _index(self, m: int, model: GraphRNN, l: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(packed input column of each input column, packed gate row of each gate row)."""
        lay, size = self.layout, model.layer_sizes[l]
        width = lay.widths[l]
        rows = torch.tensor([gate * width + j for gate in range(lay.gates) for j in range(size)])
        cols = torch.arange(size if l == 0 else len(model.plan.layer_inputs(l)))
        return cols, rows

    @torch.no_grad()
    def _copy(self, to_pack: bool) -> None:
        """Copy every model's weights into the packed tensors, or the packed weights back."""
        for m, model in enumerate(self.models):
            unit = _packed_unit(model, self.layout)
            readout = torch.tensor([unit[u] for u in model.plan.readout_units])
            # (packed tensor of this model, index into it, the model's tensor transposed)
            places = [
                (self.embedding[m], (slice(None), slice(0, model.layer_sizes[0])),
                 model.embedding.weight),
                (self.w_out[m], readout, model.readout.weight.t()),
                (self.b_out[m], slice(None), model.readout.bias),
            ]  # fmt: skip
            for l, layer in enumerate(model.layers):
                cols, rows = self._index(m, model, l)
                units = torch.arange(model.layer_sizes[l])[:, None]
                if to_pack:
                    self.out_mask[m][readout] = 1.0
                    self.mask[l][m][cols[:, None], rows[None, :]] = layer.weight_ih_l0_mask.t()
                places += [
                    (self.w_ih[l][m], (cols[:, None], rows[None, :]), layer.weight_ih_l0_orig.t()),
                    (self.w_hh[l][m], (units, rows[None, :]), layer.weight_hh_l0.t()),
                    (self.b_ih[l][m], rows, layer.bias_ih_l0),
                    (self.b_hh[l][m], rows, layer.bias_hh_l0),
                ]
            for packed, index, own in places:
                if to_pack:
                    packed[index] = own
                else:
                    own.copy_(packed[index])
            if not to_pack:
                for layer in model.layers:  # what the pruning hook computes on the next forward
                    layer.weight_ih_l0 = layer.weight_ih_l0_orig * layer.weight_ih_l0_mask

    def store(self) -> None:
        """Write the packed (trained) weights back into the models; masks stay as they are."""
        self._copy(to_pack=False)

    def forward(self, codes: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (G, B, 2) of every model for padded codes (B, T)."""
        lay, g = self.layout, len(self.models)
        b, steps = codes.shape
        fold = self.cell != "gru"  # GRU keeps b_hh inside the recurrence (r gates its n part)
        outs = []
        for l in range(len(lay.widths)):
            w_ih = self.w_ih[l] * self.mask[l]
            bias = self.b_ih[l] + self.b_hh[l] if fold else self.b_ih[l]
            if l == 0:
                # Embedding then projection = projection of the embedding table, then a lookup.
                table = torch.baddbmm(bias.unsqueeze(1), self.embedding, w_ih)  # (G, VOCAB, K)
                index = codes.t().unsqueeze(1) + VOCAB * torch.arange(g).view(1, g, 1)
                gi = table.reshape(g * VOCAB, -1).index_select(0, index.reshape(-1))
                gi = gi.view(steps, g, b, -1)
            else:
                x = torch.cat([outs[s].transpose(0, 1) for s in lay.sources[l]], -1)
                x = x.view(g, steps * b, -1).gather(2, self.gather[l].expand(g, steps * b, -1))
                gi = torch.baddbmm(bias.unsqueeze(1), x, w_ih)
                gi = gi.view(g, steps, b, -1).transpose(0, 1).contiguous()
            outs.append(run_kernel(self.cell, gi, self.w_hh[l], self.b_hh[l]))
        rows = torch.arange(b)
        last = lengths - 1
        features = torch.cat([o[last, :, rows] for o in outs], -1)  # (B, G, units)
        w_out = self.w_out * self.out_mask
        return torch.baddbmm(self.b_out.unsqueeze(1), features.transpose(0, 1), w_out)


def _losses(logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of each model (G,) over one batch."""
    g, b, _ = logits.shape
    each = F.cross_entropy(logits.reshape(g * b, 2), labels.repeat(g), reduction="none")
    each = each.view(g, b)
    return each.mean(1) if reduction == "mean" else each.sum(1)


@torch.no_grad()
def _clip(params: Sequence[torch.Tensor], max_norm: float) -> None:
    """Per-model gradient clipping exactly as `clip_grad_norm_` does it on each model alone."""
    squares = sum(p.grad.pow(2).flatten(1).sum(1) for p in params)
    coef = torch.clamp(max_norm / (squares.sqrt() + 1e-6), max=1.0)
    for p in params:
        p.grad.mul_(coef.view(-1, *[1] * (p.dim() - 1)))


@torch.no_grad()
def _evaluate(pack: PackedModels, data: Encoded, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and mean cross-entropy of every model of a pack on a data split."""
    correct = torch.zeros(len(pack.models), dtype=torch.long)
    loss = torch.zeros(len(pack.models), dtype=torch.float64)
    for index in eval_batches(data.lengths.numpy(), batch_size):
        codes, lengths, labels = data.batch(index)
        logits = pack.forward(codes, lengths)
        loss += _losses(logits, labels, "sum").double()
        correct += (logits.argmax(2) == labels).sum(1)
    return correct.numpy() / len(data), loss.numpy() / len(data)


def _train_pack(
    models: Sequence[GraphRNN],
    train: Encoded,
    test: Encoded,
    config: TrainConfig,
    progress: Callable[[int], None] | None,
) -> list[dict]:
    start = time.perf_counter()
    pack = PackedModels(models)
    optimizer = torch.optim.Adam(pack.params, lr=config.lr)
    lengths = train.lengths.numpy()
    g = len(models)
    history: list[list[dict]] = [[] for _ in range(g)]
    for epoch in range(config.epochs):
        correct = torch.zeros(g, dtype=torch.long)
        loss_sum = torch.zeros(g, dtype=torch.float64)
        for index in train_batches(lengths, config.batch_size, config.seed, epoch, config.bucket):
            codes, batch_lengths, labels = train.batch(index)
            logits = pack.forward(codes, batch_lengths)
            losses = _losses(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            _clip(pack.params, config.clip)
            optimizer.step()
            correct += (logits.detach().argmax(2) == labels).sum(1)
            loss_sum += losses.detach().double() * len(index)
        for m in range(g):
            history[m].append({"epoch": epoch + 1, "train_acc": int(correct[m]) / len(train),
                               "train_loss": float(loss_sum[m]) / len(train)})  # fmt: skip
        if progress is not None:
            progress(g)
    seconds = time.perf_counter() - start
    pack.store()
    acc, loss = _evaluate(pack, test, config.eval_batch_size)
    return [
        {
            "test_acc": float(acc[m]),
            "test_loss": float(loss[m]),
            "train_acc": history[m][-1]["train_acc"] if history[m] else float("nan"),
            "train_seconds": seconds / g,
            "effective_params": model.effective_params(),
            "epochs": config.epochs,
            "history": history[m],
        }
        for m, model in enumerate(models)
    ]


def pack_order(models: Sequence[GraphRNN]) -> list[int]:
    """Model indices sorted so that neighbours have similar depth and layer sizes (less padding)."""
    return sorted(range(len(models)),
                  key=lambda i: (len(models[i].layer_sizes), sum(models[i].layer_sizes)))  # fmt: skip


def train_many(
    models: list[GraphRNN],
    train: Encoded,
    test: Encoded,
    config: TrainConfig,
    pack_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """Train models of one cell type together; return each one's `loop.fit` metrics, in order.

    Each model ends with the weights it would get from `fit` alone (written back into it, masks
    intact). Models are sorted by depth and size and trained in packs of `pack_size` (default
    16). ``train_seconds`` is the pack's training wall time (evaluation excluded, as in `fit`)
    divided by the number of models in the pack. ``progress(k)`` is called after every epoch of
    a pack with k = the pack's size, i.e. the unit is model-epochs (len(models) × epochs in all).
    """
    if not models:
        return []
    names = {m.cell.name for m in models}
    if len(names) != 1:
        raise RandRNNError(
            f"train_many needs models of one cell type, got {', '.join(sorted(names))}"
        )
    size = pack_size or DEFAULT_PACK_SIZE
    if size < 1:
        raise RandRNNError(f"pack size must be at least 1, got {size}")
    order = pack_order(models)
    results: list[dict | None] = [None] * len(models)
    for first in range(0, len(order), size):
        chosen = order[first : first + size]
        for i, metrics in zip(chosen, _train_pack([models[i] for i in chosen], train, test,
                                                  config, progress)):  # fmt: skip
            results[i] = metrics
    return results  # type: ignore[return-value]
