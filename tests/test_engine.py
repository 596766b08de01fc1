"""The engine trains packed models to exactly the result each gets alone with `fit`."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.reber import make_dataset
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig
from randrnn.training.engine import ENGINES, PackedModels, train_many
from randrnn.training.loop import encode_split, fit
from randrnn.training.native import NativeRecurrence
from randrnn.training.wavefront import Wavefront

CONFIG = TrainConfig(epochs=1, batch_size=32)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data() -> tuple[Encoded, Encoded]:
    train, test = make_dataset(n=300, seed=3, test_fraction=1 / 3)
    return encode_split(train), encode_split(test)


@pytest.fixture(scope="module")
def dags() -> list:
    """Three small graphs of different sizes and depths (WS and BA)."""
    specs = [("ws", 0, (10, 10)), ("ba", 1, (14, 14)), ("ws", 2, (20, 20))]
    return [to_dag(generate_graph(gen, i, 11, nodes)["graph"]) for gen, i, nodes in specs]


def _models(dags: list, cell: str, readout: str = "last") -> list:
    return [build_model(d, cell, seed=100 + i, readout=readout) for i, d in enumerate(dags)]


def _max_diff(a, b) -> float:
    return max((x - y).abs().max().item() for x, y in
               zip(a.state_dict().values(), b.state_dict().values(), strict=True))  # fmt: skip


@pytest.mark.parametrize("readout", ["last", "sinks"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_same_weights_as_fit(cell: str, readout: str, data, dags) -> None:
    """Packed training ends with fit's weights (1e-5) and test accuracy, for every cell."""
    train, test = data
    packed, alone = _models(dags, cell, readout), _models(dags, cell, readout)
    assert len({m.layer_sizes for m in packed}) == 3
    results = train_many(packed, train, test, CONFIG, pack_size=3)
    for model, reference, metrics in zip(packed, alone, results, strict=True):
        expected = fit(reference, train, test, CONFIG)
        assert _max_diff(model, reference) < 1e-5
        assert metrics["test_acc"] == expected["test_acc"]
        assert metrics["test_loss"] == pytest.approx(expected["test_loss"], abs=1e-5)
        assert metrics["train_acc"] == expected["train_acc"]
        assert metrics["effective_params"] == expected["effective_params"]
        assert set(metrics) == set(expected)


def test_pack_size_does_not_matter(data, dags) -> None:
    """Packs of one and of three give the same weights."""
    train, test = data
    one, three = _models(dags, "gru"), _models(dags, "gru")
    train_many(one, train, test, CONFIG, pack_size=1)
    train_many(three, train, test, CONFIG, pack_size=3)
    assert max(_max_diff(a, b) for a, b in zip(one, three)) < 1e-5


@pytest.mark.parametrize("cell", list(CELLS))
def test_padding_gets_no_gradient(cell: str, data, dags) -> None:
    """Padding entries and masked weights of the packed tensors get exactly zero gradient."""
    train, _ = data
    pack = PackedModels(_models(dags, cell, "sinks"))
    codes, lengths, labels = train.batch(torch.arange(64).numpy())
    logits = pack.forward(codes, lengths)
    F.cross_entropy(logits.reshape(-1, 2), labels.repeat(3)).backward()
    real = PackedModels(_models(dags, cell, "sinks"))  # same layout; mark every real entry
    for model in real.models:
        for p in model.parameters():
            p.data.fill_(1.0)
    real = PackedModels(real.models)
    for param, mask in zip(pack.params, real.params, strict=True):  # same order in both packs
        assert param.grad[mask.detach() == 0].abs().sum() == 0
    masked = [(pack.w0, pack.w0_mask), (pack.w, pack.w_mask), (pack.w_out, pack.out_mask)]
    if cell == "gru":
        masked.append((pack.w_hh, pack.w_hh_mask))
    for w, m in masked:
        assert w.grad[m == 0].abs().sum() == 0


def test_masked_weights_stay_zero(data, dags) -> None:
    """After training, masked input weights are still exactly zero and the masks unchanged."""
    train, test = data
    models = _models(dags, "lstm")
    masks = [layer.weight_ih_l0_mask.clone() for m in models for layer in m.layers]
    train_many(models, train, test, CONFIG)
    after = [layer for m in models for layer in m.layers]
    for layer, mask in zip(after, masks, strict=True):
        assert torch.equal(layer.weight_ih_l0_mask, mask)
        assert (layer.weight_ih_l0[mask == 0] == 0).all()


@pytest.mark.parametrize("engine", ["native", "wavefront"])  # dense: autograd's own backward
@pytest.mark.parametrize("cell", list(CELLS))
def test_recurrence_backward_matches_autograd(cell: str, engine: str, dags) -> None:
    """The hand-written backward of each engine's recurrence passes gradcheck (float64)."""
    pack = PackedModels(_models(dags[:2], cell, "sinks"), engine=engine)
    gen = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 6, (3, 4), generator=gen)  # six codes: the rest of the table
    k = pack.w.shape[2]  # gets zero gradient, and numerical gradients need one run per entry
    table = torch.randn(2, 6, k, dtype=torch.float64, generator=gen, requires_grad=True)
    mask = pack.w_mask.double()
    w = (0.5 * torch.randn(pack.w.shape, dtype=torch.float64, generator=gen)).requires_grad_()
    gru = pack.step.recurrent_apart
    w_hh = (
        (0.5 * torch.randn(pack.w_hh.shape, dtype=torch.float64, generator=gen)).requires_grad_()
        if gru
        else None
    )
    b_hh = (
        torch.randn(2, k, dtype=torch.float64, generator=gen, requires_grad=True) if gru else None
    )

    def run(table, w, w_hh=None, b_hh=None):
        table = torch.cat([table, table.new_zeros(2, 122, k)], dim=1)
        w = w * mask  # only the graph's weights: the native engine reads no others
        if w_hh is not None:
            w_hh = w_hh * pack.w_hh_mask.double()
        if engine == "native":
            return NativeRecurrence.apply(pack.plan, None, table, codes, w, w_hh, b_hh)
        return Wavefront.apply(pack.step, pack.layout, True, table, codes, w, w_hh, b_hh)

    inputs = (table, w, w_hh, b_hh) if gru else (table, w)
    assert torch.autograd.gradcheck(run, inputs, nondet_tol=0.0)


@pytest.mark.parametrize("cell", list(CELLS))
def test_engines_agree(cell: str, data, dags) -> None:
    """Every engine gives the same logits and gradients on a real batch as native."""
    train, _ = data
    codes, lengths, labels = train.batch(torch.arange(64).numpy())
    out = {}
    for engine in ENGINES:
        pack = PackedModels(_models(dags, cell, "sinks"), engine=engine)
        logits = pack.forward(codes, lengths)
        F.cross_entropy(logits.reshape(-1, 2), labels.repeat(3)).backward()
        out[engine] = [logits.detach()] + [p.grad for p in pack.params]
    for engine in ENGINES:
        for a, b in zip(out["native"], out[engine], strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn_tanh", "gru"])
def test_native_edges_are_the_graph(cell: str, dags) -> None:
    """One native edge per DAG edge (same step) and per pair of units within a layer (previous
    step): the model is exactly the graph."""
    models = _models(dags, cell)
    plan = PackedModels(models, engine="native").plan
    ptr = plan.ptr.long()
    for m, (model, dag) in enumerate(zip(models, dags, strict=True)):
        edges = slice(int(ptr[m, 0]), int(ptr[m, -1]))
        toff = plan.toff[edges]
        assert int((toff == 0).sum()) == dag.number_of_edges()
        assert int((toff == 1).sum()) == sum(k * k for k in model.layer_sizes)
        assert int(plan.units[m]) == dag.number_of_nodes()


def test_mixed_cells_fail(data, dags) -> None:
    """Models of different cell types cannot share a run."""
    train, test = data
    models = [build_model(dags[0], "gru", seed=0), build_model(dags[1], "lstm", seed=0)]
    with pytest.raises(RandRNNError, match="one cell type"):
        train_many(models, train, test, CONFIG)


def test_progress_counts_model_epochs(data, dags) -> None:
    """ "progress" counts model-epochs, after every epoch of a pack: len(models) × epochs in all."""
    train, test = data
    seen: list[Progress] = []
    config = TrainConfig(epochs=2, batch_size=64)
    results = train_many(_models(dags, "rnn_tanh"), train, test, config, pack_size=2,
                         callbacks=Callbacks().add_callback("progress", seen.append))  # fmt: skip
    assert [(p.done, p.total) for p in seen] == [(2, 6), (4, 6), (5, 6), (6, 6)]
    assert all(len(r["history"]) == 2 for r in results)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_native_without_gradients_keeps_two_steps(cell: str, data, dags, monkeypatch) -> None:
    """Evaluation keeps only a ring of two steps of gates (the kernel's gate buffer, 5-d:
    models × steps × gates × units × batch, is 2 steps deep instead of T), and gives the
    training pass' logits."""
    from randrnn.training import native

    passed: list = []
    real = native._ptr
    monkeypatch.setattr(native, "_ptr", lambda x: passed.append(x) or real(x))

    def gate_steps() -> list[int]:
        steps = [x.shape[1] for x in passed if isinstance(x, torch.Tensor) and x.dim() == 5]
        passed.clear()
        return steps

    train, _ = data
    codes, lengths, _ = train.batch(torch.arange(40).numpy())
    pack = PackedModels(_models(dags, cell, "sinks"), engine="native")
    with torch.no_grad():
        evaluated = pack.forward(codes, lengths)
    assert gate_steps() == [2]
    trained = pack.forward(codes, lengths)
    assert gate_steps() == [codes.shape[1]] and codes.shape[1] > 2
    assert torch.equal(evaluated, trained.detach())


def _pruned(dags: list, cell: str, levels: tuple[float, ...]) -> list:
    """One model per level, the same initial weights, pruned at random per weight (so single
    gates of an edge go) over i2h and h2h, each level with its own seed."""
    from randrnn.pruning.criteria import apply_pruning, select_weights

    models = []
    for n, level in enumerate(levels):
        model = build_model(dags[0], cell, seed=7)
        apply_pruning(select_weights(model, "both"), "random", level, "global", seed=n)
        models.append(model)
    return models


@pytest.mark.parametrize("cell", list(CELLS))
def test_native_live_gates_are_the_masks(cell: str, dags) -> None:
    """Every weight the masks keep is one live gate of one native edge, and nothing else is:
    the live bits count exactly the model's remaining recurrent and inner input weights."""
    models = _pruned(dags, cell, (0.0, 0.5, 0.9))
    plan = PackedModels(models, engine="native").plan
    ptr = plan.ptr.long()
    for m, model in enumerate(models):
        live = plan.live[int(ptr[m, 0]) : int(ptr[m, -1])].tolist()
        expected = sum(
            int(layer.weight_hh_l0_mask.sum()) + (int(layer.weight_ih_l0_mask.sum()) if l else 0)
            for l, layer in enumerate(model.layers)
        )
        assert sum(bits.bit_count() for bits in live) == expected
    full = 2 ** models[0].cell.gates - 1
    assert plan.live.max() == full
    if full > 1:
        assert (plan.live < full).any()  # some edges lost single gates


@pytest.mark.parametrize("cell", list(CELLS))
def test_pruned_gates_backward_matches_autograd(cell: str, dags) -> None:
    """With single gates pruned, the native backward still passes gradcheck (float64)."""
    pack = PackedModels(_pruned(dags[:1], cell, (0.3, 0.6)), engine="native")
    gen = torch.Generator().manual_seed(1)
    codes = torch.randint(0, 6, (3, 4), generator=gen)
    k = pack.w.shape[2]
    table = torch.randn(2, 6, k, dtype=torch.float64, generator=gen, requires_grad=True)
    mask = pack.w_mask.double()
    w = (0.5 * torch.randn(pack.w.shape, dtype=torch.float64, generator=gen)).requires_grad_()
    inputs = [table, w]
    gru = pack.step.recurrent_apart
    if gru:
        inputs.append((0.5 * torch.randn(pack.w_hh.shape, dtype=torch.float64, generator=gen))
                      .requires_grad_())  # fmt: skip
        inputs.append(torch.randn(2, k, dtype=torch.float64, generator=gen, requires_grad=True))

    def run(table, w, w_hh=None, b_hh=None):
        table = torch.cat([table, table.new_zeros(2, 122, k)], dim=1)
        w_hh = None if w_hh is None else w_hh * pack.w_hh_mask.double()
        return NativeRecurrence.apply(pack.plan, None, table, codes, w * mask, w_hh, b_hh)

    assert torch.autograd.gradcheck(run, tuple(inputs), nondet_tol=0.0)


@pytest.mark.parametrize("cell", list(CELLS))
def test_pruned_copies_retrain_as_fit(cell: str, data, dags) -> None:
    """Copies of one model pruned at different levels retrain packed (each its own Adam) to
    fit's weights, with fit's test accuracy after every epoch (eval_each_epoch)."""
    train, test = data
    config = TrainConfig(epochs=2, batch_size=32)
    levels = (0.0, 0.3, 0.7, 1.0)
    packed, alone = _pruned(dags, cell, levels), _pruned(dags, cell, levels)
    results = train_many(packed, train, test, config, eval_each_epoch=True)
    for model, reference, metrics in zip(packed, alone, results, strict=True):
        expected = fit(reference, train, test, config, eval_each_epoch=True)
        assert _max_diff(model, reference) < 1e-5
        assert [h["test_acc"] for h in metrics["history"]] == [
            h["test_acc"] for h in expected["history"]
        ]
        assert metrics["test_acc"] == expected["test_acc"]
        assert metrics["effective_params"] == expected["effective_params"]


def test_pack_matrices_are_the_model_tensors(data, dags) -> None:
    """`PackedModels.matrices` reads back each model's own weight matrices and, after a
    backward pass, the gradients the model alone gets (pruned entries: zero)."""
    train, _ = data
    models = _pruned(dags, "lstm", (0.0, 0.8))
    pack = PackedModels(models)
    codes, lengths, labels = train.batch(torch.arange(32).numpy())
    F.cross_entropy(pack.forward(codes, lengths)[1], labels).backward()
    alone = models[1]
    F.cross_entropy(alone(codes, lengths), labels).backward()
    weights, grads = pack.matrices(1), pack.matrices(1, grad=True)
    for l, layer in enumerate(alone.layers):
        for kind, name in (("i2h", "weight_ih_l0"), ("h2h", "weight_hh_l0")):
            param = getattr(layer, f"{name}_orig")
            assert torch.equal(weights[f"{l}.{kind}"], param.detach())
            torch.testing.assert_close(grads[f"{l}.{kind}"], param.grad, rtol=1e-4, atol=1e-6)
            assert (grads[f"{l}.{kind}"][getattr(layer, f"{name}_mask") == 0] == 0).all()


@pytest.mark.parametrize("cell", list(CELLS))
def test_finished_strings_are_left_alone_exactly(cell: str, dags) -> None:
    """With the batch sorted longest first and `step_widths`, the kernel skips strings past
    their end, and the readout states and every gradient are those of the full computation."""
    from randrnn.training.native import step_widths

    pack = PackedModels(_models(dags[:2], cell, "sinks"), engine="native")
    gen = torch.Generator().manual_seed(3)
    lengths = torch.tensor([21, 19, 17, 12, 9, 9, 4, 3, 2, 1] + [1] * 10)  # B = 20, sorted
    codes = torch.randint(1, 6, (20, 21), generator=gen)
    index = pack.plan.readout_index(21, lengths, pack.layout.read_unit)
    table = torch.randn(2, 128, pack.w.shape[2], dtype=torch.float64, generator=gen)
    w = (0.5 * torch.randn(pack.w.shape, dtype=torch.float64, generator=gen)) * pack.w_mask
    extra = ()
    if pack.step.recurrent_apart:
        extra = (0.5 * torch.randn(pack.w_hh.shape, dtype=torch.float64, generator=gen)
                 * pack.w_hh_mask, torch.randn(2, pack.w.shape[2], dtype=torch.float64))  # fmt: skip
    width = step_widths(lengths, 21, torch.float64)
    running = [sum(int(n) > t for n in lengths) for t in range(21)]
    assert width.tolist() == [min(20, -(-r // 8) * 8) for r in running]  # blocks of 8 doubles
    assert width.tolist()[:3] == [20, 16, 8]
    out = []
    for widths in (None, width):
        inputs = [x.clone().requires_grad_() for x in (table, w, *extra)]
        w_hh, b_hh = inputs[2:] if extra else (None, None)
        features = NativeRecurrence.apply(pack.plan, index, inputs[0], codes, inputs[1], w_hh,
                                          b_hh, widths)  # fmt: skip
        (features * torch.linspace(-1, 1, features.numel()).view_as(features)).sum().backward()
        out.append([features.detach()] + [x.grad for x in inputs])
    for full, skipped in zip(*out, strict=True):
        torch.testing.assert_close(skipped, full, rtol=1e-12, atol=1e-12)
