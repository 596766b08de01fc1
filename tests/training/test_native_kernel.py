"""The native kernel's own numbers: its float tanh and sigmoid against double precision, its
backward with the readout's gradient given sparsely, and the pack's Adam against torch's."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.cells import CELLS, get_cell
from randrnn.models.graph_rnn import build_model
from randrnn.training.adam import PackAdam
from randrnn.training.engine import PackedModels
from randrnn.training.native import NativePlan, NativeRecurrence, step_widths

pytestmark = pytest.mark.usefixtures("one_thread")


def _lone_units(cell: str, g: int) -> NativePlan:
    """G models of one layer-0 unit and no edge: the unit's gates are its table entries."""
    int32 = torch.int32
    empty = torch.zeros(0, dtype=int32)
    return NativePlan(cell=get_cell(cell).code, g=g, n=1, gates=get_cell(cell).gates,
                      ptr=torch.zeros(g, 2, dtype=int32), src=empty, toff=empty,
                      woff=torch.zeros(0, dtype=torch.int64), live=empty,
                      units=torch.ones(g, dtype=int32), first=torch.ones(g, dtype=int32))  # fmt: skip


def _grid() -> torch.Tensor:
    """Float32 inputs from −100 to 100, dense near 0 (where tanh is steep), zero and tiny ones."""
    dense = torch.linspace(-12, 12, 40_000)
    wide = torch.linspace(-100, 100, 2_001)
    tiny = torch.logspace(-30, 0, 500)
    return torch.cat([dense, wide, tiny, -tiny, torch.zeros(1)]).float()


def _one_step(cell: str, pre: torch.Tensor) -> torch.Tensor:
    """The kernel's state after one step of a lone layer-0 unit whose gate pre-activations
    are ``pre`` (values, gates): one model per 128 values, codes 0…127 pick them."""
    values, gates = pre.shape
    per = -(-values // 128)
    pre = torch.cat([pre, pre.new_zeros(per * 128 - values, gates)])
    plan = _lone_units(cell, per)
    table = pre.view(per, 128, gates).contiguous()
    codes = torch.arange(128).view(128, 1)
    w = table.new_zeros(per, 1, gates)
    w_hh = table.new_zeros(per, 1, gates) if cell == "gru" else None
    b_hh = table.new_zeros(per, gates) if cell == "gru" else None
    with torch.no_grad():
        h = NativeRecurrence.apply(plan, None, table, codes, w, w_hh, b_hh)  # (G, 1, 1, 128)
    return h.reshape(-1)[:values]


def test_float_tanh_is_within_3e_7_of_double() -> None:
    """RNN_Tanh's output is tanh of the table entry: the rational tanh is within 3e-7 of tanh
    in double, everywhere (saturating to ±1 far out), and odd."""
    x = _grid()
    h = _one_step("rnn_tanh", x.view(-1, 1)).double()
    exact = torch.tanh(x.double())
    assert (h - exact).abs().max().item() < 3e-7
    assert torch.equal(_one_step("rnn_tanh", -x.view(-1, 1)), -h.float())
    assert h.abs().max().item() <= 1.0


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_float_gates_are_within_1e_6_of_double(cell: str) -> None:
    """One step of LSTM and GRU from a zero state, the gates' sigmoids and tanhs in float,
    against the same cell in double: h = σ(o)·tanh(σ(i)·tanh(g)) (LSTM),
    h = (1 − σ(z))·tanh(n + σ(r)·b) with b = 0 (GRU)."""
    gates = get_cell(cell).gates
    gen = torch.Generator().manual_seed(0)
    pre = (torch.randn(30_000, gates, generator=gen) * 4).float()
    pre[:2_000] *= 10  # saturated gates
    h = _one_step(cell, pre).double()
    p = pre.double()
    if cell == "lstm":
        c = torch.sigmoid(p[:, 0]) * torch.tanh(p[:, 2])
        exact = torch.sigmoid(p[:, 3]) * torch.tanh(c)
    else:
        exact = (1 - torch.sigmoid(p[:, 1])) * torch.tanh(p[:, 2])
    assert (h - exact).abs().max().item() < 1e-6


@pytest.fixture(scope="module")
def dags() -> list:
    specs = [("ws", 0, (10, 10)), ("ba", 1, (14, 14))]
    return [to_dag(generate_graph(gen, i, 11, nodes)["graph"]) for gen, i, nodes in specs]


def _inputs(pack: PackedModels, gen: torch.Generator) -> list[torch.Tensor]:
    """Random double table, pair weights (masked: only the graph's) and, for GRU, w_hh, b_hh."""
    k = pack.w.shape[2]
    out = [torch.randn(2, 128, k, dtype=torch.float64, generator=gen),
           0.5 * torch.randn(pack.w.shape, dtype=torch.float64, generator=gen) * pack.w_mask]  # fmt: skip
    if pack.step.recurrent_apart:
        out.append(0.5 * torch.randn(pack.w_hh.shape, dtype=torch.float64, generator=gen)
                   * pack.w_hh_mask)  # fmt: skip
        out.append(torch.randn(2, k, dtype=torch.float64, generator=gen))
    return out


def _apply(pack, index, codes, width, inputs):
    w_hh, b_hh = inputs[2:] if len(inputs) > 2 else (None, None)
    return NativeRecurrence.apply(pack.plan, index, inputs[0], codes, inputs[1], w_hh, b_hh,
                                  width)  # fmt: skip


@pytest.mark.parametrize("cell", list(CELLS))
def test_sparse_readout_backward_passes_gradcheck(cell: str, dags) -> None:
    """The backward that takes the readout's gradient at its offsets (the training path: a
    sorted batch, `step_widths`, strings of different lengths) is the derivative (float64)."""
    pack = PackedModels([build_model(d, cell, seed=i, readout="sinks")
                         for i, d in enumerate(dags)], engine="native")  # fmt: skip
    gen = torch.Generator().manual_seed(5)
    lengths = torch.tensor([6, 5, 5, 3, 2, 1, 1, 1, 1])  # sorted, longest first
    codes = torch.randint(1, 6, (9, 6), generator=gen)
    index = pack.plan.readout_index(6, lengths, pack.layout.read_unit)
    width = step_widths(lengths, 6, torch.float64)
    inputs = [x.requires_grad_() for x in _inputs(pack, gen)]
    run = lambda *xs: _apply(pack, index, codes, width, xs)
    assert torch.autograd.gradcheck(run, tuple(inputs), nondet_tol=0.0)


@pytest.mark.parametrize("cell", list(CELLS))
def test_sparse_and_dense_readout_gradients_agree(cell: str, dags) -> None:
    """Offsets that repeat add up: the gradients from (offsets, values) equal those from the
    same values scattered into a full gradient of h (index_add, outside the kernel)."""
    pack = PackedModels([build_model(d, cell, seed=i) for i, d in enumerate(dags)],
                        engine="native")  # fmt: skip
    gen = torch.Generator().manual_seed(7)
    codes = torch.randint(1, 6, (16, 5), generator=gen)
    lengths = torch.full((16,), 5)
    index = pack.plan.readout_index(5, lengths, pack.layout.read_unit)
    index = torch.cat([index, index[:, :, :1]], dim=2)  # every string's first readout twice
    weights = torch.randn(index.shape, dtype=torch.float64, generator=gen)
    grads = []
    for sparse in (True, False):
        inputs = [x.requires_grad_() for x in _inputs(pack, torch.Generator().manual_seed(1))]
        if sparse:
            out = _apply(pack, index, codes, None, inputs)
        else:
            out = torch.take(_apply(pack, None, codes, None, inputs), index)
        (out * weights).sum().backward()
        grads.append([x.grad for x in inputs])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_float_gradients_are_near_double(cell: str, dags) -> None:
    """The float kernel (rational tanh and sigmoid) gives the double kernel's gradients to
    float precision."""
    pack = PackedModels([build_model(d, cell, seed=i) for i, d in enumerate(dags)],
                        engine="native")  # fmt: skip
    gen = torch.Generator().manual_seed(2)
    codes = torch.randint(1, 6, (32, 8), generator=gen)
    lengths = torch.full((32,), 8)
    index = pack.plan.readout_index(8, lengths, pack.layout.read_unit)
    base = _inputs(pack, gen)
    grads = []
    for dtype in (torch.float64, torch.float32):
        inputs = [x.detach().to(dtype).clone().requires_grad_() for x in base]
        _apply(pack, index, codes, None, inputs).sum().backward()
        grads.append([x.grad.double() for x in inputs])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)


def _grads(shapes, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    return [[torch.randn(s, generator=gen) for s in shapes] for _ in range(steps)]


@pytest.mark.parametrize("fused", [True, False])
def test_pack_adam_is_torch_adam(fused: bool) -> None:
    """The pack's Adam (fused kernel, or the update written out) moves the parameters as
    `torch.optim.Adam` does, over several steps; a tensor without a gradient stays put."""
    shapes = [(3, 4, 5), (3, 7), (2,)]
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(s, generator=gen) for s in shapes]
    ours = [x.clone().requires_grad_() for x in start]
    theirs = [x.clone().requires_grad_() for x in start]
    mine = PackAdam(ours, 0.01)
    mine.fused = mine.fused and fused
    reference = torch.optim.Adam(theirs, lr=0.01)
    for grads in _grads(shapes, 6, 1):
        for params, opt in ((ours, mine), (theirs, reference)):
            for p, g in zip(params[:2], grads[:2]):
                p.grad = g.clone()
            params[2].grad = None
            opt.step()
            opt.zero_grad()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert torch.equal(ours[2], start[2])


def test_pack_adam_imports_no_dynamo() -> None:
    """Making and stepping the pack's optimiser loads neither torch._dynamo nor sympy (a
    torch optimiser loads both: over a second of CPU per worker process)."""
    code = (
        "import sys, torch\n"
        "from randrnn.training.adam import PackAdam\n"
        "p = torch.zeros(3, requires_grad=True); p.grad = torch.ones(3)\n"
        "PackAdam([p], 1e-3).step()\n"
        "assert p.abs().sum() > 0\n"
        "print(sorted(m for m in ('torch._dynamo', 'sympy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"


@pytest.fixture
def doubles():
    """Models and packs in float64 (packs are made in the default dtype)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("cell", list(CELLS))
def test_training_step_is_forward_then_loss(cell: str, dags, doubles) -> None:
    """`PackedModels.train_losses` (one kernel call: each model's forward, readout, loss and
    backward) gives the losses, logits and gradients that `forward`, cross-entropy and
    autograd give (float64, strings of different lengths, in no order)."""
    from torch.nn import functional as F

    gen = torch.Generator().manual_seed(4)
    lengths = torch.randint(1, 9, (24,), generator=gen)
    codes = torch.randint(1, 6, (24, 8), generator=gen) * (torch.arange(8) < lengths[:, None])
    labels = torch.randint(0, 2, (24,), generator=gen)
    out = []
    for fused in (True, False):
        models = [build_model(d, cell, seed=i, readout="sinks") for i, d in enumerate(dags)]
        pack = PackedModels(models, engine="native")
        moved = torch.Generator().manual_seed(9)
        for p in pack.params:  # every weight the kernel reads, the readout's too, is moved
            with torch.no_grad():
                p.add_(0.1 * torch.randn(p.shape, generator=moved))
        if fused:
            losses, logits = pack.train_losses(codes, lengths, labels)
        else:
            logits = pack.forward(codes, lengths)
            losses = torch.stack([F.cross_entropy(x, labels) for x in logits])
        (losses * torch.tensor([1.0, -2.0])).sum().backward()
        out.append([losses.detach(), logits.detach()] + [p.grad for p in pack.params])
    assert out[0][0].dtype == torch.float64
    for a, b in zip(*out, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
