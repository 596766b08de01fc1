"""Train many graph-RNNs together: packed into one set of tensors, each gets exactly its own result.

A *pack* holds G models of one cell type, padded to the same number of units N, as one set of
parameter tensors (so loss, clipping and Adam are a few tensor operations for all of them). Three
engines run the recurrence (`randrnn.training.engines` lists them and the devices they run on):

- ``native`` (the CPU's default where a C++ compiler is found): `randrnn.training.native` —
  compiled loops over steps, units and edges, one multiply-add over the batch per edge and gate,
  so the work is exactly the graph's;
- ``wavefront``: `randrnn.training.wavefront` — pure PyTorch: all layers advance together, a
  step is one gather of each unit's inputs and one batched product (several times slower);
- ``sparse`` (the default on CUDA, runs on the CPU too): `randrnn.training.sparse` — the
  wavefront over every model's own edges as one sparse product per step, fused gate steps and a
  hand-written backward, everything on the device;
- ``dense`` (CPU or CUDA): `randrnn.training.dense` — the wavefront as masked dense batched
  products over (delay, unit) rows padded to the pack's widest model, autograd backward.

The readout reads every model's readout units at each string's true last step.

Why the result is the same as `loop.fit` on each model alone: every packed parameter entry belongs
to one model or is padding; padding weights are zero and masked, padding units are held at zero,
so all padding entries get exactly zero gradient. The loss is the sum of the models' own mean
losses, so each model's gradient is its own; clipping uses each model's own norm; and Adam is
elementwise, so one Adam over the packed tensors is G independent Adams. All models see the same
batches (`train_batches` depends only on data, epoch and seed). Floating-point sums run in
another order, so weights agree to about 1e-6, not bit for bit.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch.nn import functional as F

from randrnn.callbacks import Callbacks, Progress, Step
from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import VOCAB, GraphRNN
from randrnn.training import dense, native, sparse
from randrnn.training.batches import Encoded, eval_batches, on_device, train_batches
from randrnn.training.config import TrainConfig
from randrnn.training.engines import ENGINES, resolve_engine
from randrnn.training.layout import Wiring, hh, ih, make_layout, wiring
from randrnn.training.packsize import cuda_pack_size
from randrnn.training.wavefront import STEPS, Wavefront

__all__ = ["DEFAULT_PACK_SIZE", "ENGINES", "PackedModels", "resolve_engine", "train_many"]

DEFAULT_PACK_SIZE = 8  # models per pack on the CPU: 4, 8, 16 measured within 10%, 8 best (README)
# The tensors of a pack, by attribute name (moved to the device, copied back to store).
_TENSORS = ("embedding", "w0", "w0_mask", "w", "w_mask", "w_hh", "w_hh_mask", "b_ih", "b_hh",
            "w_out", "out_mask", "b_out")  # fmt: skip


@dataclass(frozen=True)
class _Place:
    """Where one tensor of a model sits in a pack: ``packed[m][index]`` holds the model's tensor
    ``own`` (a view, transposed to packed orientation), or only its ``rows`` if given; masked
    tensors have the packed ``mask`` and the model's ``own_mask`` (same orientation)."""

    name: str  # "embedding", "<layer>.i2h", "<layer>.h2h", "<layer>.b_ih", ..., "readout"
    packed: torch.Tensor
    mask: torch.Tensor | None
    index: object
    own: torch.Tensor
    rows: torch.Tensor | None = None
    own_mask: torch.Tensor | None = None


class _Edges(NamedTuple):
    """Edges of the native plan, one entry each (see `native.NativePlan`)."""

    model: torch.Tensor
    target: torch.Tensor  # unit i that the edge feeds
    source: torch.Tensor  # unit it reads
    toff: torch.Tensor  # steps back: 0 (an earlier layer) or 1 (own layer, previous step)
    woff: torch.Tensor  # flat offset of its gate-0 weight
    live: torch.Tensor  # bit mask of the gates whose weight exists

    def then(self, other: _Edges | None) -> _Edges:
        """These edges followed by the other's (if any)."""
        return self if other is None else _Edges(*map(torch.cat, zip(self, other)))


class _Inputs(NamedTuple):
    """What the recurrence reads besides the pairs' weights ``w``: the bias folded into the
    code table, and for a recurrence kept apart its own weights and bias (else None)."""

    bias: torch.Tensor
    w_hh: torch.Tensor | None
    b_hh: torch.Tensor | None


class _PairedRecurrence:
    """A recurrence that enters the gates like any input (RNN, LSTM): unit j's delay-1 pair is
    pair j of ``w``, both biases fold into the table, and the pack has no ``w_hh``."""

    in_pairs = True

    def hh_rows(self, n: int) -> int:
        return 0

    def h2h(self, pack: PackedModels) -> tuple[torch.Tensor, torch.Tensor]:
        """The packed tensor and mask that hold the recurrent weights."""
        return pack.w, pack.w_mask

    def params(self, pack: PackedModels) -> list[torch.Tensor]:
        """Trainable packed tensors beyond those every cell has."""
        return []

    def inputs(self, pack: PackedModels) -> _Inputs:
        return _Inputs(pack.b_ih + pack.b_hh, None, None)

    def edges(self, pack: PackedModels, bits: torch.Tensor) -> _Edges | None:
        """Native-plan edges beyond the pairs' (none: the pairs carry the recurrence)."""
        return None


class _ApartRecurrence(_PairedRecurrence):
    """A recurrence scaled by a gate (GRU's reset gate scales the new gate's recurrent part):
    its own weights ``w_hh`` (N rows: unit j → i) and bias ``b_hh``, its own native edges."""

    in_pairs = False

    def hh_rows(self, n: int) -> int:
        return n

    def h2h(self, pack: PackedModels) -> tuple[torch.Tensor, torch.Tensor]:
        return pack.w_hh, pack.w_hh_mask

    def params(self, pack: PackedModels) -> list[torch.Tensor]:
        return [pack.w_hh]

    def inputs(self, pack: PackedModels) -> _Inputs:
        # a leaf requiring grad would make the native kernel keep every step even without grad
        b_hh = pack.b_hh if torch.is_grad_enabled() else pack.b_hh.detach()
        return _Inputs(pack.b_ih, pack.w_hh * pack.w_hh_mask, b_hh)

    def edges(self, pack: PackedModels, bits: torch.Tensor) -> _Edges:
        """Every recurrent weight w_hh[j → i] of a live gate, read one step back."""
        g, n = pack.layout.g, pack.layout.n
        k = pack.step.gates * n
        live = (pack.w_hh_mask.view(g, n, pack.step.gates, n).ne(0) * bits).sum(2)  # (G, N, N)
        m, j, i = live.ne(0).nonzero().unbind(1)
        return _Edges(m, i, j, torch.ones(len(m), dtype=torch.long), (m * n + j) * k + i,
                      live[m, j, i])  # fmt: skip


class PackedModels:
    """G models of one cell type as packed tensors on one device; load, run, store.

    The pack is built on the CPU and its tensors then moved to ``device`` once; ``store`` copies
    them back. ``engine`` (default: the device's, `engines.resolve_engine`) runs the recurrence.
    """

    def __init__(self, models: Sequence[GraphRNN], engine: str | None = None, device: str = "cpu"):
        names = {m.cell.name for m in models}
        if len(names) != 1:
            raise RandRNNError(f"train_many needs models of one cell type, got {sorted(names)}")
        self.models = list(models)
        cell = models[0].cell
        self.step = STEPS[cell.name]
        self.recurrence = _ApartRecurrence() if cell.recurrent_apart else _PairedRecurrence()
        self.wirings = [wiring(m, self.recurrence.in_pairs) for m in models]
        self.layout = lay = make_layout(models, self.wirings)
        g, n, k = lay.g, lay.n, cell.gates * lay.n
        width = lay.unit.shape[2]
        e0 = max(m.layer_sizes[0] for m in models)
        zeros = torch.zeros
        self.embedding = zeros(g, VOCAB, e0)
        self.w0, self.w0_mask = zeros(g, e0, k), zeros(g, e0, k)
        self.w, self.w_mask = zeros(g, width, k), zeros(g, width, k)
        hh_rows = self.recurrence.hh_rows(n)
        self.w_hh, self.w_hh_mask = zeros(g, hh_rows, k), zeros(g, hh_rows, k)
        self.b_ih, self.b_hh = zeros(g, k), zeros(g, k)
        reads = lay.read_unit.shape[2]
        self.w_out, self.out_mask, self.b_out = zeros(g, reads, 2), zeros(g, reads, 2), zeros(g, 2)
        self._copy(to_pack=True)
        self.engine = resolve_engine(engine, torch.device(device).type)
        self.device = torch.device(device)
        for name in _TENSORS:
            setattr(self, name, getattr(self, name).to(self.device))
        self.params = [self.embedding, self.w0, self.w, self.b_ih, self.b_hh, self.w_out,
                       self.b_out] + self.recurrence.params(self)  # fmt: skip
        for p in self.params:
            p.requires_grad_(True)
        self.plan = self._native_plan() if self.engine == "native" else None
        self.dense = None
        if self.engine == "dense":
            pairs = [len(w.pairs) for w in self.wirings]
            self.dense = dense.plan(lay, pairs, self.device)
        self.sparse = sparse.plan(self, self.device) if self.engine == "sparse" else None
        self._matrix_places: dict[int, list[_Place]] = {}

    def _native_plan(self) -> native.NativePlan:
        """Edge lists of the pack for the native recurrence, read off the masks (so pruned
        connections are gone too): edge (model, target unit i, pair p) for every pair with a
        weight to i in any gate, then those of a recurrence kept apart (GRU: every recurrent
        weight w_hh[j → i]); each edge with a bit mask of the gates whose weight exists (pruning
        removes single gates)."""
        lay, gates = self.layout, self.step.gates
        g, n = lay.g, lay.n
        k, width = gates * n, lay.unit.shape[2]
        layer = lay.layer
        bits = (2 ** torch.arange(gates)).view(1, 1, gates, 1)
        live_in = (self.w_mask.view(g, width, gates, n).ne(0) * bits).sum(2)  # (G, P, N)
        m, p, i = live_in.ne(0).nonzero().unbind(1)
        delay, unit = lay.delay[m, 0, p], lay.unit[m, 0, p]
        toff = delay - (layer[m, i] - layer[m, unit])
        edges = _Edges(m, i, unit, toff, (m * width + p) * k + i, live_in[m, p, i])
        edges = edges.then(self.recurrence.edges(self, bits))
        m, i, toff = edges.model, edges.target, edges.toff
        if not bool(((toff == 0) | (toff == 1)).all()):
            raise RandRNNError("internal: an edge reaches further back than one step")
        order = torch.argsort(m * n + i, stable=True)
        counts = torch.bincount((m * n + i)[order], minlength=g * n).view(g, n)
        ends = counts.reshape(-1).cumsum(0).view(g, n)  # global: edges of all models in a row
        ptr = torch.cat([ends[:, :1] - counts[:, :1], ends], dim=1)
        units = [len(w.layer_of) for w in self.wirings]
        first = [model.layer_sizes[0] for model in self.models]
        int32 = torch.int32
        return native.NativePlan(
            cell=self.models[0].cell.code, g=g, n=n, gates=gates,
            ptr=ptr.to(int32), src=edges.source[order].to(int32), toff=toff[order].to(int32),
            woff=edges.woff[order].contiguous(), live=edges.live[order].to(int32).contiguous(),
            units=torch.tensor(units, dtype=int32), first=torch.tensor(first, dtype=int32),
        )  # fmt: skip

    def _places(self, m: int, model: GraphRNN, wiring: Wiring) -> list[_Place]:
        """Where each tensor of model ``m`` sits in the packed tensors (see `_Place`)."""
        n, gates = self.layout.n, model.cell.gates
        out = [_Place("embedding", self.embedding, None,
                      (slice(None), slice(0, model.layer_sizes[0])), model.embedding.weight)]  # fmt: skip
        for l, layer in enumerate(model.layers):
            size, first = model.layer_sizes[l], wiring.offsets[l]
            cols = torch.tensor(
                [gate * n + first + r for gate in range(gates) for r in range(size)]
            )
            ih_w, ih_mask = ih(layer)
            if l == 0:
                rows = torch.arange(ih_w.shape[1])
                out.append(_Place(f"{l}.i2h", self.w0, self.w0_mask,
                                  (rows[:, None], cols[None, :]), ih_w.t(), None, ih_mask.t()))  # fmt: skip
            else:
                keys = [(l - wiring.layer_of[u], u) for u in model.plan.layer_inputs(l)]
                have = torch.tensor([c for c, key in enumerate(keys) if key in wiring.pairs],
                                    dtype=torch.long)  # fmt: skip
                rows = torch.tensor([wiring.pairs[keys[c]] for c in have.tolist()],
                                    dtype=torch.long)  # fmt: skip
                out.append(_Place(f"{l}.i2h", self.w, self.w_mask,
                                  (rows[:, None], cols[None, :]), ih_w.t(), have, ih_mask.t()))  # fmt: skip
            hh_w, hh_mask = hh(layer)
            own = torch.arange(first, first + size)  # delay-1 pair j is pair j; GRU rows too
            packed, mask = self.recurrence.h2h(self)
            out.append(_Place(f"{l}.h2h", packed, mask, (own[:, None], cols[None, :]), hh_w.t(),
                              own_mask=hh_mask.t()))  # fmt: skip
            out.append(_Place(f"{l}.b_ih", self.b_ih, None, cols, layer.bias_ih_l0))
            out.append(_Place(f"{l}.b_hh", self.b_hh, None, cols, layer.bias_hh_l0))
        weight = model.readout.weight.t()
        out.append(_Place("readout", self.w_out, self.out_mask, slice(0, weight.shape[0]), weight,
                          None, torch.ones_like(weight)))  # fmt: skip
        out.append(_Place("readout.bias", self.b_out, None, slice(None), model.readout.bias))
        return out

    @torch.no_grad()
    def _copy(self, to_pack: bool) -> None:
        """Copy every model's weights into the packed tensors, or the packed weights back."""
        for m, (model, wired) in enumerate(zip(self.models, self.wirings)):
            for place in self._places(m, model, wired):
                packed, index, own, rows = place.packed[m], place.index, place.own, place.rows
                if to_pack:
                    packed[index] = own if rows is None else own[rows]
                    if place.mask is not None:
                        mine = place.own_mask if rows is None else place.own_mask[rows]
                        place.mask[m][index] = mine
                elif rows is None:
                    own.copy_(packed[index])
                else:
                    own[rows] = packed[index]
            if not to_pack:
                for layer in model.layers:  # what the pruning hooks compute on the next forward
                    layer.weight_ih_l0 = layer.weight_ih_l0_orig * layer.weight_ih_l0_mask
                    if hasattr(layer, "weight_hh_l0_orig"):
                        layer.weight_hh_l0 = layer.weight_hh_l0_orig * layer.weight_hh_l0_mask

    @torch.no_grad()
    def matrices(self, m: int, grad: bool = False) -> dict[str, torch.Tensor]:
        """Model ``m``'s recurrent weight matrices as they are in the pack now, or their
        gradients, by `WeightRef` key (``"0.i2h"``, ``"0.h2h"``, ...) in the model's own shape.

        What the model alone would hold in ``weight_ih_l0_orig`` / ``weight_hh_l0``(``_orig``)
        and its ``.grad``: input columns the pack leaves out (no weight left in them) keep the
        model's own, never-updated values, and their gradient is zero.
        """
        if m not in self._matrix_places:  # index tensors built once per model
            places = self._places(m, self.models[m], self.wirings[m])
            self._matrix_places[m] = [p for p in places if p.name.endswith(("i2h", "h2h"))]
        out = {}
        for place in self._matrix_places[m]:
            source = place.packed.grad if grad else place.packed
            full = torch.zeros_like(place.own) if grad else place.own.detach().clone()
            if source is not None:
                values = source[m][place.index]
                if place.rows is None:
                    full.copy_(values)
                else:
                    full[place.rows] = values.to(full.device)
            out[place.name] = full.t().contiguous()
        return out

    def store(self) -> None:
        """Write the packed (trained) weights back into the models; masks stay as they are.
        The packed tensors come to the host once (a shallow copy holds them there)."""
        host = copy.copy(self)
        for name in _TENSORS:
            setattr(host, name, getattr(self, name).detach().cpu())
        host._copy(to_pack=False)

    def forward(self, codes: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (G, B, 2) of every model for padded codes (B, T)."""
        lay = self.layout
        bias, w_hh, b_hh = self.recurrence.inputs(self)
        table = torch.baddbmm(bias.unsqueeze(1), self.embedding, self.w0 * self.w0_mask)
        w = self.w * self.w_mask
        if self.dense is not None:
            features = dense.features(self.models[0].cell, self.dense, table, codes, lengths, w,
                                      w_hh, b_hh)  # fmt: skip
        elif self.sparse is not None:
            features = sparse.features(self.models[0].cell, self.sparse, table, codes, lengths,
                                       w, w_hh, b_hh)  # fmt: skip
        elif self.plan is not None:
            # longest strings first, so that the kernel leaves the finished ones alone
            order = torch.argsort(lengths, descending=True, stable=True)
            codes, lengths = codes[order], lengths[order]
            width = native.step_widths(lengths, codes.shape[1], table.dtype)
            index = self.plan.readout_index(codes.shape[1], lengths, lay.read_unit)
            features = native.NativeRecurrence.apply(self.plan, index, table, codes, w, w_hh,
                                                     b_hh, width)  # fmt: skip
            features = features[:, torch.argsort(order)]  # back to the batch's order
        else:
            states = Wavefront.apply(self.step, lay, torch.is_grad_enabled(), table, codes, w,
                                     w_hh, b_hh)  # fmt: skip
            features = torch.take(states, lay.readout_index(lengths))
        return torch.baddbmm(self.b_out.unsqueeze(1), features, self.w_out * self.out_mask)


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
    data = data.to(pack.device)
    correct = torch.zeros(len(pack.models), dtype=torch.long, device=pack.device)
    loss = torch.zeros(len(pack.models), dtype=torch.float64, device=pack.device)
    lengths = data.lengths.cpu().numpy()
    for index in eval_batches(lengths, batch_size):
        codes, batch_lengths, labels = data.batch(index, int(lengths[index].max()))
        logits = pack.forward(codes, batch_lengths)
        loss += _losses(logits, labels, "sum").double()
        correct += (logits.argmax(2) == labels).sum(1)
    return correct.cpu().numpy() / len(data), loss.cpu().numpy() / len(data)


def _adam(params: list[torch.Tensor], lr: float) -> torch.optim.Adam:
    """Adam as `fit` uses it, as one fused kernel per tensor where this torch has it (measured:
    3.2 → 1.2 ms per step for a pack of 8 GRUs); the same update, summed in another order."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # torch without fused CPU Adam
        return torch.optim.Adam(params, lr=lr)


def _train_pack(
    models: Sequence[GraphRNN],
    train: Encoded,
    test: Encoded,
    config: TrainConfig,
    progress: Callable[[int], None],
    engine: str | None,
    eval_each_epoch: bool,
    callbacks: Callbacks,
    device: str = "cpu",
) -> list[dict]:
    """Train one pack; the data are on ``device`` already, and inside the batch loop nothing
    is read back from it (accuracy and loss add up there and come back once per epoch)."""
    start = time.perf_counter()
    pack = PackedModels(models, engine, device)
    optimizer = _adam(pack.params, config.lr)
    lengths = train.lengths.cpu().numpy()
    g = len(models)
    history: list[list[dict]] = [[] for _ in range(g)]
    step = 0
    for epoch in range(config.epochs):
        correct = torch.zeros(g, dtype=torch.long, device=pack.device)
        loss_sum = torch.zeros(g, dtype=torch.float64, device=pack.device)
        batches = train_batches(lengths, config.batch_size, config.seed, epoch, config.batching)
        for index, rows in zip(batches, on_device(batches, pack.device)):
            codes, batch_lengths, labels = train.batch(rows, int(lengths[index].max()))
            logits = pack.forward(codes, batch_lengths)
            losses = _losses(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            _clip(pack.params, config.clip)
            optimizer.step()
            step += 1
            callbacks.trigger_callback("step", Step(pack, step))
            correct += (logits.detach().argmax(2) == labels).sum(1)
            loss_sum += losses.detach().double() * len(index)
        correct_m, loss_m = correct.tolist(), loss_sum.tolist()  # once per epoch
        for m in range(g):
            history[m].append({"epoch": epoch + 1, "train_acc": correct_m[m] / len(train),
                               "train_loss": loss_m[m] / len(train)})  # fmt: skip
        if eval_each_epoch:
            acc, loss = _evaluate(pack, test, config.eval_batch_size)
            for m in range(g):
                history[m][-1].update(test_acc=float(acc[m]), test_loss=float(loss[m]))
        progress(g)
    seconds = time.perf_counter() - start
    pack.store()
    if eval_each_epoch and config.epochs:
        acc = np.array([h[-1]["test_acc"] for h in history])
        loss = np.array([h[-1]["test_loss"] for h in history])
    else:
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


def evaluate_many(
    models: Sequence[GraphRNN],
    data: Encoded,
    batch_size: int = 1024,
    pack_size: int | None = None,
    engine: str | None = None,
    device: str = "cpu",
) -> list[dict[str, float]]:
    """`loop.evaluate` of every model (accuracy and mean loss), packed; models of one cell."""
    out: list[dict[str, float]] = []
    size = pack_size or max(len(models), 1)
    data = data.to(device)
    for first in range(0, len(models), size):
        pack = PackedModels(models[first : first + size], engine, device)
        acc, loss = _evaluate(pack, data, batch_size)
        out += [{"acc": float(a), "loss": float(l)} for a, l in zip(acc, loss)]
    return out


PROBE = 4  # models in the pack that measures a CUDA pack's memory per model


def probe_models(models: Sequence[GraphRNN]) -> list[GraphRNN]:
    """The probe pack: the widest model (most units) and the deepest (most layers), which set
    every pack's padding, then the largest others, `PROBE` in all."""
    size = lambda m: (sum(m.layer_sizes), len(m.layer_sizes))
    widest = max(models, key=size)
    deepest = max(models, key=lambda m: (len(m.layer_sizes), sum(m.layer_sizes)))
    chosen: list[GraphRNN] = []
    for model in [widest, deepest, *sorted(models, key=size, reverse=True)]:
        if len(chosen) < PROBE and all(model is not c for c in chosen):
            chosen.append(model)
    return chosen


def probe_bytes(
    models: Sequence[GraphRNN], train: Encoded, config: TrainConfig, engine: str
) -> float:
    """Peak CUDA bytes per model of a probe pack (`probe_models`: the widest and the deepest of
    ``models``, then the largest), copies: one training step and one evaluation batch on the
    longest strings of ``train`` (`packsize`)."""
    import copy as copying

    probe = [copying.deepcopy(m) for m in probe_models(models)]
    longest = torch.argsort(train.lengths, descending=True).numpy()
    width, data = int(train.lengths.max()), train.to("cuda")
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    pack = PackedModels(probe, engine, "cuda")
    codes, lengths, labels = data.batch(longest[: config.batch_size], width)
    _losses(pack.forward(codes, lengths), labels).sum().backward()
    with torch.no_grad():
        pack.forward(*data.batch(longest[: config.eval_batch_size], width)[:2])
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before
    del pack
    torch.cuda.empty_cache()
    return peak / len(probe)


def pack_order(models: Sequence[GraphRNN]) -> list[int]:
    """Model indices sorted so that neighbours have similar unit counts and depths (less padding)."""
    return sorted(range(len(models)),
                  key=lambda i: (sum(models[i].layer_sizes), len(models[i].layer_sizes)))  # fmt: skip


def train_many(
    models: list[GraphRNN],
    train: Encoded,
    test: Encoded,
    config: TrainConfig,
    pack_size: int | None = None,
    engine: str | None = None,
    eval_each_epoch: bool = False,
    callbacks: Callbacks | None = None,
    device: str = "cpu",
) -> list[dict]:
    """Train models of one cell type together; return each one's `loop.fit` metrics, in order.

    Each model ends with the weights it would get from `fit` alone (written back into it, masks
    intact: structural and pruning masks alike, so pruned copies of one model retrain together,
    each with its own Adam). Models are sorted by depth and size and trained in packs of
    `pack_size` (default: `DEFAULT_PACK_SIZE` on the CPU, on CUDA as many as its free memory
    holds, `packsize.cuda_pack_size`, which also splits a requested pack that does not fit), by
    `engine` (default: the ``device``'s, `resolve_engine`), on ``device`` ('cpu' or 'cuda'; the
    data move there once)
    ``train_seconds`` is the pack's training wall time divided by the number of models in the
    pack. ``eval_each_epoch`` adds test accuracy and loss to every epoch's record, as `fit`
    does. `callbacks`: ``"progress"`` after every epoch of a pack, counting model-epochs
    (len(models) × epochs in all); ``"step"`` after every optimiser step with the
    `PackedModels` (gradients still in ``.grad``; ``pack.models`` says whose they are).
    """
    if not models:
        return []
    names = {m.cell.name for m in models}
    if len(names) != 1:
        raise RandRNNError(
            f"train_many needs models of one cell type, got {', '.join(sorted(names))}"
        )
    if pack_size is not None and pack_size < 1:
        raise RandRNNError(f"pack size must be at least 1, got {pack_size}")
    kind = torch.device(device).type
    engine = resolve_engine(engine, kind)
    order = pack_order(models)
    size = pack_size or DEFAULT_PACK_SIZE
    if kind == "cuda":
        per_model = probe_bytes([models[i] for i in order], train, config, engine)
        size = cuda_pack_size(per_model, pack_size, len(models))
    train, test = train.to(device), test.to(device)
    results: list[dict | None] = [None] * len(models)
    callbacks = callbacks or Callbacks()
    total, done = len(models) * config.epochs, 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        callbacks.trigger_callback("progress", Progress(done, total, "model-epochs"))

    for first in range(0, len(order), size):
        chosen = order[first : first + size]
        pack = [models[i] for i in chosen]
        trained = _train_pack(
            pack, train, test, config, progress, engine, eval_each_epoch, callbacks, device
        )
        for i, metrics in zip(chosen, trained):
            results[i] = metrics
    return results  # type: ignore[return-value]
