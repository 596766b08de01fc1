"""What an engine does per batch, counted op by op: arithmetic, bytes, launches, host reads.

`bench --profile` trains packs as `train_many` does and counts a few of their batches (not the
first, which builds the pack) under two torch dispatch modes: torch's FLOP counter
(`torch.utils.flop_counter.FlopCounterMode`, matrix products) and `OpCounter` (every other
aten op). Counts are properties of the ops and their shapes, not of the machine, so they are
the same on a loaded CPU as on an idle one, and checkable without a GPU:

- arithmetic: the FLOP counter's products, plus one FLOP per element of every pointwise op's
  output and per element a reduction or a scatter-add adds;
- bytes: per op, the tensors it reads and writes, from their shapes (a gather reads what it
  outputs, a scatter-add reads and writes the rows it adds to; broadcast dimensions count once;
  an ``out=`` tensor is written, not read);
- launches: ops that run a kernel (views, allocations and metadata ops do not); on CUDA each is
  about one kernel launch;
- host synchronisations: reads of a tensor's value by the host (``item``, ``int()``,
  ``tolist``), ops whose output size depends on values (``nonzero``, ``masked_select``, ...),
  host data made into a tensor (``torch.as_tensor``: on CUDA a copy the host waits for) and
  copies between devices.

The graph's own work (`graph_flop`) is what the models need for the same strings, counted from
their weights: a multiply-add per live weight and letter forward, twice that backward, and the
gate arithmetic per unit and letter (`GATE_FLOP`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from randrnn.models.graph_rnn import GraphRNN
from randrnn.training.layout import hh, ih

aten = torch.ops.aten

# Elementwise FLOP per unit and letter, forward and backward (3 × the forward's ops): RNN
# f(a); LSTM 4 activations, c = f·c + i·g (3), tanh(c), o·tanh(c); GRU 2 sums and sigmoids,
# n = tanh(x + r·h_n) (3), h = n + z·(h − n) (3).
GATE_FLOP = {"RNN": 3, "LSTM": 27, "GRU": 30}
# Ops that read values back to the host, or whose output size the host must wait for.
SYNC_OPS = {"_local_scalar_dense", "nonzero", "masked_select", "unique", "_unique",
            "_unique2", "unique_consecutive", "unique_dim", "lift_fresh", "repeat_interleave",
            "_assert_async", "equal"}  # fmt: skip
# Ops that run no kernel: allocations and metadata.
NO_KERNEL = {"empty", "empty_strided", "empty_like", "new_empty", "new_empty_strided",
             "detach", "lift_fresh", "_local_scalar_dense", "alias", "set_", "resize_",
             "sparse_compressed_tensor", "_sparse_csr_tensor_unsafe", "values", "crow_indices",
             "col_indices", "_nnz", "_to_copy_noop", "_record_function_enter_new", "_record_function_exit"}  # fmt: skip
GATHERS = {"index_select", "gather", "take", "index", "embedding"}
SCATTERS = {"index_add", "index_add_", "index_put", "index_put_", "scatter_add",
            "scatter_add_", "_index_put_impl_", "index_copy_", "index_copy"}  # fmt: skip
REDUCTIONS = {"sum", "mean", "amax", "max", "norm", "linalg_vector_norm", "prod"}


def _touched(t: torch.Tensor) -> int:
    """Bytes of a tensor's distinct elements (a broadcast dimension, stride 0, counts once); of a
    sparse CSR matrix, its values and indices."""
    if t.layout == torch.sparse_csr:
        parts = (t.values(), t.crow_indices(), t.col_indices())
        return sum(x.numel() * x.element_size() for x in parts)
    count = math.prod(s for s, st in zip(t.shape, t.stride()) if st != 0)
    return count * t.element_size()


def _tensors(values) -> list[torch.Tensor]:
    out = []
    for v in values:
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out += [x for x in v if isinstance(x, torch.Tensor)]
    return out


def _is_view(func) -> bool:
    returns = func._schema.returns
    return bool(returns) and all(r.alias_info is not None and not r.alias_info.is_write
                                 for r in returns)  # fmt: skip


def _used(indices: torch.Tensor) -> int:
    """Distinct values of an index tensor."""
    return int(torch.unique(indices).numel())


def _sparse_bytes(name: str, inputs, outputs, beta=1, zeroed=False) -> int:
    """A product with a sparse CSR matrix: its entries, the rows of the dense operand its
    columns name (a sampled product: the dense rows and columns its entries name), and the
    dense output read and written."""
    sparse = next(t for t in inputs if t.layout == torch.sparse_csr)
    dense = [t for t in inputs if t.layout == torch.strided]
    moved = 2 * _touched(sparse) if name == "sparse_sampled_addmm" else _touched(sparse)
    if name == "sparse_sampled_addmm":
        left, right = dense[-2], dense[-1]
        rows = int((sparse.crow_indices().diff() > 0).sum())
        moved += rows * left.shape[1] * left.element_size()
        moved += _used(sparse.col_indices()) * right.shape[0] * right.element_size()
        return moved
    operand = dense[-1]  # addmm(out, sparse, dense) / mm(sparse, dense)
    moved += _used(sparse.col_indices()) * operand.shape[1] * operand.element_size()
    out = [t for t in outputs if t.layout == torch.strided]
    if zeroed:  # zeros_like(out) written, read and copied into out before the product
        moved += 3 * sum(map(_touched, out))
    return moved + sum(map(_touched, out)) * (2 if name.startswith("addmm") and beta != 0 else 1)


def _matmul_flop(*args, out_val=None, **kwargs) -> int:
    """FLOP of a matrix product, 2 per multiply-add; with a sparse CSR operand, per entry."""
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    left, right = tensors[-2], tensors[-1]
    if left.layout == torch.sparse_csr:
        return 2 * left._nnz() * right.shape[1]
    if right.layout == torch.sparse_csr:
        return 2 * right._nnz() * left.shape[0]
    return 2 * left.shape[0] * left.shape[1] * right.shape[1]


def _sampled_flop(*args, out_val=None, **kwargs) -> int:
    """FLOP of a sampled product: a dot product of the inner size per entry."""
    return 2 * args[0]._nnz() * args[1].shape[1]


_matmul_flop._get_raw = True  # type: ignore[attr-defined]
_sampled_flop._get_raw = True  # type: ignore[attr-defined]
# torch's counter reads a sparse operand as dense; these count its entries.
FLOP_FORMULAS = {aten.addmm: _matmul_flop, aten.addmm_: _matmul_flop, aten.mm: _matmul_flop,
                 aten.sparse_sampled_addmm: _sampled_flop}  # fmt: skip


@dataclass
class Counts:
    """Running totals of `OpCounter`."""

    launches: int = 0
    bytes: int = 0
    elementwise: int = 0  # FLOP of pointwise ops, reductions and scatter-adds
    syncs: int = 0
    ops: Counter = field(default_factory=Counter)
    op_bytes: Counter = field(default_factory=Counter)

    def copy(self) -> Counts:
        return Counts(self.launches, self.bytes, self.elementwise, self.syncs, Counter(self.ops),
                      Counter(self.op_bytes))  # fmt: skip


class OpCounter(TorchDispatchMode):
    """Counts every aten op dispatched inside it (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts = Counts()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = func.overloadpacket.__name__
        counts = self.counts
        outs = {a.name for a in func._schema.arguments if a.is_out}  # written, not read
        inputs = _tensors(list(args) + [v for k, v in kwargs.items() if k not in outs])
        outputs = _tensors(out if isinstance(out, (list, tuple)) else [out])
        devices = {t.device.type for t in inputs + outputs}
        if name in SYNC_OPS or (name in ("_to_copy", "copy_") and len(devices) > 1):
            counts.syncs += 1
        if name in NO_KERNEL or _is_view(func):
            return out
        counts.launches += 1
        counts.ops[name] += 1
        sparse = [t for t in inputs if t.layout == torch.sparse_csr]
        if sparse:
            # torch runs a sparse mm(out=o) as zeros_like(o) copied into o, then the product
            zeroed = name == "mm" and bool(outs & set(kwargs))
            moved = _sparse_bytes(name, inputs, outputs, kwargs.get("beta", 1), zeroed)
            counts.launches += 2 * zeroed  # its zeros_like and copy_
        elif name in GATHERS:
            index = [t for t in inputs[1:] if not t.is_floating_point()]
            moved = 2 * sum(map(_touched, outputs)) + sum(map(_touched, index))
        elif name in SCATTERS:
            source = [t for t in inputs[1:] if t.is_floating_point()]
            index = [t for t in inputs[1:] if not t.is_floating_point()]
            moved = 3 * sum(map(_touched, source)) + sum(map(_touched, index))
            counts.elementwise += sum(t.numel() for t in source)
        else:
            moved = sum(map(_touched, inputs)) + sum(map(_touched, outputs))
            if torch.Tag.pointwise in func.tags:
                counts.elementwise += sum(t.numel() for t in outputs)
            elif name in REDUCTIONS:
                counts.elementwise += sum(t.numel() for t in inputs[:1])
        counts.bytes += moved
        counts.op_bytes[name] += moved
        return out


@contextmanager
def counting() -> Iterator[tuple[OpCounter, FlopCounterMode]]:
    """Both counters, active together; ``Tensor.tolist`` (which dispatches no op) counted as a
    host read."""
    flops = FlopCounterMode(display=False, custom_mapping=FLOP_FORMULAS)
    ops = OpCounter()
    original = torch.Tensor.tolist

    def tolist(self, *args, **kwargs):
        ops.counts.syncs += 1
        return original(self, *args, **kwargs)

    torch.Tensor.tolist = tolist  # type: ignore[method-assign]
    try:
        with flops, ops:
            yield ops, flops
    finally:
        torch.Tensor.tolist = original  # type: ignore[method-assign]


def live_weights(model: GraphRNN) -> int:
    """Recurrent-layer weights the model's masks leave (input and recurrent)."""
    return sum(int(ih(layer)[1].count_nonzero()) + int(hh(layer)[1].count_nonzero())
               for layer in model.layers)  # fmt: skip


def graph_flop(model: GraphRNN, letters: int) -> int:
    """The model's own work, forward and backward, for ``letters`` letters read: 6 FLOP per
    live weight (a multiply-add forward, two backward) and `GATE_FLOP` per unit."""
    units = sum(model.layer_sizes)
    return letters * (6 * live_weights(model) + GATE_FLOP[model.cell.layer] * units)


@dataclass
class Window:
    """The counts of one profiled batch of one pack."""

    models: int
    steps: int  # wavefront steps: the batch's width + the pack's depth − 1
    letters: int  # letters of the batch's strings (their true lengths)
    matmul: int  # FLOP, torch's counter
    counts: Counts
    own: int  # the graphs' own FLOP for these strings, all models of the pack


def profile_packs(
    models: Sequence[GraphRNN], train, config, *, engine: str, device: str, pack_size: int,
    batches: int = 2,
) -> list[Window]:  # fmt: skip
    """Train ``models`` in packs of ``pack_size`` (sorted as `train_many` sorts them) and count
    batches 2 … ``batches`` + 1 of each pack's first epoch (batch 1 also builds the pack)."""
    import numpy as np

    from randrnn.callbacks import Callbacks
    from randrnn.training.batches import train_batches
    from randrnn.training.engine import pack_order, train_many

    lengths = train.lengths.cpu().numpy()
    cut = train_batches(lengths, config.batch_size, config.seed, 0, config.batching)
    batches = min(batches, len(cut) - 1)
    order = pack_order(models)
    windows: list[Window] = []

    class Enough(Exception):
        pass

    for first in range(0, len(order), pack_size):
        pack = [models[i] for i in order[first : first + pack_size]]
        own_step = [6 * live_weights(m) + GATE_FLOP[m.cell.layer] * sum(m.layer_sizes)
                    for m in pack]  # fmt: skip
        marks: list[tuple[Counts, int]] = []
        depth = [0]
        callbacks = Callbacks()
        with counting() as (ops, flops):

            def step(event, ops=ops, flops=flops, marks=marks, depth=depth):
                marks.append((ops.counts.copy(), flops.get_total_flops()))
                depth[0] = event.model.layout.depth
                if len(marks) > batches:
                    raise Enough

            callbacks.add_callback("step", step)
            try:
                train_many(pack, train, train, config, pack_size=len(pack), engine=engine,
                           callbacks=callbacks, device=device)  # fmt: skip
            except Enough:
                pass
        for i in range(1, len(marks)):
            index = cut[i]
            (before, f0), (after, f1) = marks[i - 1], marks[i]
            delta = Counts(after.launches - before.launches, after.bytes - before.bytes,
                           after.elementwise - before.elementwise, after.syncs - before.syncs,
                           after.ops - before.ops, after.op_bytes - before.op_bytes)  # fmt: skip
            letters = int(lengths[index].sum())
            width = int(np.max(lengths[index]))
            windows.append(Window(len(pack), width + depth[0] - 1, letters, f1 - f0, delta,
                                  letters * sum(own_step)))  # fmt: skip
    return windows


def summary(windows: Sequence[Window], epoch_letters: int) -> dict[str, float]:
    """Per model-batch and per model-epoch figures over the profiled windows; the epoch's are
    the windows' scaled by the epoch's letters over theirs (engine and graph alike). Launches
    per wavefront step are the slope of launches over steps across the windows (what a step
    adds, forward and backward), the rest of a batch's launches its fixed part."""
    import numpy as np

    from randrnn.errors import RandRNNError

    if not windows:
        raise RandRNNError("nothing to profile: an epoch needs at least 2 batches (more "
                           "training strings, or a smaller batch size)")  # fmt: skip
    models = sum(w.models for w in windows)
    count = len(windows)
    letters = sum(w.letters * w.models for w in windows) / models  # per model-batch
    arithmetic = sum(w.matmul + w.counts.elementwise for w in windows)
    own = sum(w.own for w in windows)
    scale = epoch_letters / letters  # one model-batch → one model-epoch
    steps = np.array([w.steps for w in windows], dtype=float)
    launches = np.array([w.counts.launches for w in windows], dtype=float)
    if len(set(steps.tolist())) > 1:
        per_step, fixed = np.polyfit(steps, launches, 1)
    else:
        per_step, fixed = launches.sum() / steps.sum(), 0.0
    return {
        "models": models / count,
        "batches": count,
        "engine_flop_batch": arithmetic / models,
        "own_flop_batch": own / models,
        "engine_flop_epoch": arithmetic / models * scale,
        "matmul_flop_epoch": sum(w.matmul for w in windows) / models * scale,
        "own_flop_epoch": own / models * scale,
        "flop_ratio": arithmetic / own,
        "bytes_batch": sum(w.counts.bytes for w in windows) / models,
        "bytes_epoch": sum(w.counts.bytes for w in windows) / models * scale,
        "launches_batch": float(launches.mean()),
        "launches_step": float(per_step),
        "launches_fixed": float(fixed),
        "steps_batch": float(steps.mean()),
        "syncs_batch": sum(w.counts.syncs for w in windows) / count,
    }
