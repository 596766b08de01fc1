"""The native library: built once per machine into the cache, and a clean fallback without it."""

from __future__ import annotations

import os

import pytest

from randrnn.errors import RandRNNError
from randrnn.training import engine, native


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty library cache and forgotten build results (restored afterwards)."""
    monkeypatch.setenv("RANDRNN_CACHE", str(tmp_path))
    native.library.cache_clear()
    native.available.cache_clear()
    yield tmp_path
    native.library.cache_clear()
    native.available.cache_clear()


def test_builds_once_into_the_cache(fresh) -> None:
    """The first use compiles into the cache; later loads reuse the file, nothing half-written."""
    lib = native.library()
    built = list((fresh / "native").glob("*/librandrnn.so"))
    assert len(built) == 1
    assert lib.randrnn_forward_f32 is not None
    stamp = built[0].stat().st_mtime_ns
    native.library.cache_clear()
    native.library()
    assert built[0].stat().st_mtime_ns == stamp
    assert [p.name for p in built[0].parent.iterdir()] == ["librandrnn.so"]


def test_without_a_compiler_the_wavefront_trains(fresh, monkeypatch) -> None:
    """No compiler: one warning, the wavefront is the default, native asked for says why."""
    monkeypatch.setenv("CXX", str(fresh / "no-such-compiler"))
    monkeypatch.delenv("RANDRNN_ENGINE", raising=False)
    with pytest.warns(RuntimeWarning, match="native engine unavailable"):
        assert engine.resolve_engine() == "wavefront"
    with pytest.raises(native.NativeUnavailable, match="does not run"):
        native.library()
    assert not list(fresh.rglob("*.so"))


def test_a_failing_build_leaves_nothing(fresh, monkeypatch) -> None:
    """A compiler that fails: a clear error and no file in the cache."""
    monkeypatch.setenv("CXX", "false")  # runs, prints nothing, fails
    with pytest.raises(native.NativeUnavailable):
        native.library()
    assert not [p for p in fresh.rglob("*") if p.is_file()]


def test_engine_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RANDRNN_ENGINE", "wavefront")
    assert engine.resolve_engine() == "wavefront"
    monkeypatch.setenv("RANDRNN_ENGINE", "turbo")
    with pytest.raises(RandRNNError, match="unknown engine 'turbo'.*native, wavefront"):
        engine.resolve_engine()


def test_a_compile_error_is_one_line(fresh, monkeypatch, tmp_path) -> None:
    """A source that does not compile: the error names the file and the compiler's error line."""
    broken = tmp_path / "native.cpp"
    broken.write_text("this is not C++;\n")
    monkeypatch.setattr(native, "SOURCE", broken)
    with pytest.raises(
        native.NativeUnavailable, match=r"compiling native.cpp with .* failed: .*error"
    ):
        native.library()
    assert not list(fresh.rglob("*.so"))


def test_the_cached_library_is_readable_by_others(fresh) -> None:
    """A cache shared between users works for all of them: the library is not private."""
    before = os.umask(0o022)  # the usual umask; the file follows it, as g++'s own output would
    try:
        native.library()
    finally:
        os.umask(before)
    (built,) = (fresh / "native").glob("*/librandrnn.so")
    assert built.stat().st_mode & 0o055 == 0o055  # read and execute for group and others


# ------------------------------------------------------------------ the kernel's arithmetic


@pytest.fixture(scope="module")
def packs() -> dict:
    """Per cell, a pack of two small graphs' models (WS 10 nodes, BA 14), read at the sinks."""
    from randrnn.graphs.dag import to_dag
    from randrnn.graphs.generate import generate_graph
    from randrnn.models.cells import CELLS
    from randrnn.models.graph_rnn import build_model

    specs = [("ws", 0, (10, 10)), ("ba", 1, (14, 14))]
    dags = [to_dag(generate_graph(gen, i, 11, nodes)["graph"]) for gen, i, nodes in specs]
    return {
        cell: [build_model(d, cell, seed=40 + i, readout="sinks") for i, d in enumerate(dags)]
        for cell in CELLS
    }


def _inputs(pack, seed: int, vocab: int = 128) -> list:
    """float64 leaves: the layer-0 inputs of each code (G, vocab, K), the bias (G, K), w and, for
    a cell whose recurrence stays apart, w_hh and b_hh. `_table` joins the first two as the
    engine's table is; the runs mask the weights as the engine does."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    g, k = len(pack.models), pack.w.shape[2]
    out = [
        torch.randn(g, vocab, k, dtype=torch.float64, generator=gen),
        torch.randn(g, k, dtype=torch.float64, generator=gen),
        0.5 * torch.randn(pack.w.shape, dtype=torch.float64, generator=gen),
    ]
    if pack.step.recurrent_apart:
        out.append(0.5 * torch.randn(pack.w_hh.shape, dtype=torch.float64, generator=gen))
        out.append(torch.randn(g, k, dtype=torch.float64, generator=gen))
    return out


def _table(pack, inputs, bias):
    """The table (G, codes, K): gate-major columns; a layer-0 unit's column holds its input of
    each code, every other unit's column only its bias, the same for every code (as the engine's
    table, bias + embedding × input weights, is: only layer 0 reads the input)."""
    import torch

    gates = pack.w.shape[2] // pack.layout.n
    first = (pack.layout.layer == 0).repeat(1, gates).unsqueeze(1)  # (G, 1, K)
    return torch.where(first, inputs + bias.unsqueeze(1), bias.unsqueeze(1).expand_as(inputs))


def _masked(pack, w, w_hh):
    """The weights as the engine passes them: the graph's entries only (masks of the pack)."""
    w = w * pack.w_mask.to(w.dtype)
    return w, None if w_hh is None else w_hh * pack.w_hh_mask.to(w_hh.dtype)


def _batch(seed: int, vocab: int = 128):
    """Twelve strings of lengths 9 down to 1 (sorted longest first, as the engine sorts)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([9, 9, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1])
    codes = torch.randint(1, vocab, (12, 9), generator=gen)
    codes[torch.arange(9).view(1, -1) >= lengths.view(-1, 1)] = 0  # padding
    return codes, lengths


def _native(pack, codes, lengths, inputs, bias, w, w_hh=None, b_hh=None):
    """The readout features as the engine computes them natively (index and step widths)."""
    import torch

    table = _table(pack, inputs, bias)
    w, w_hh = _masked(pack, w, w_hh)
    t = codes.shape[1]
    index = pack.plan.readout_index(t, lengths, pack.layout.read_unit)
    width = native.step_widths(lengths, t, torch.float64)
    return native.NativeRecurrence.apply(pack.plan, index, table, codes, w, w_hh, b_hh, width)


def _wavefront(pack, codes, lengths, inputs, bias, w, w_hh=None, b_hh=None):
    """The same features from the pure-PyTorch wavefront recurrence."""
    import torch

    from randrnn.training.wavefront import Wavefront

    table = _table(pack, inputs, bias)
    w, w_hh = _masked(pack, w, w_hh)
    states = Wavefront.apply(pack.step, pack.layout, True, table, codes, w, w_hh, b_hh)
    return torch.take(states, pack.layout.readout_index(lengths))


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_forward_and_gradients_equal_the_wavefront(cell: str, packs) -> None:
    """float64: the native kernel's readout features and the gradients of a weighted sum of
    them equal the pure-PyTorch wavefront engine's (1e-10) on a batch of unequal lengths."""
    import torch

    from randrnn.training.engine import PackedModels

    pack = PackedModels(packs[cell], engine="native")
    codes, lengths = _batch(seed=1)
    out = []
    for run in (_native, _wavefront):
        inputs = [x.clone().requires_grad_() for x in _inputs(pack, seed=2)]
        features = run(pack, codes, lengths, *inputs)
        weights = torch.linspace(-1, 1, features.numel(), dtype=torch.float64)
        (features * weights.view_as(features)).sum().backward()
        out.append([features.detach()] + [x.grad for x in inputs])
    assert out[0][0].abs().max() > 1e-3  # the features are not trivially zero
    for a, b in zip(*out, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_native_backward_passes_gradcheck(cell: str, packs) -> None:
    """The kernel's hand-written backward (float64 entry point) agrees with finite differences,
    through the readout index and the step widths the engine uses."""
    import torch

    from randrnn.training.engine import PackedModels

    pack = PackedModels(packs[cell][:1], engine="native")
    vocab = 6  # six codes, so the numerical gradient needs few runs per table entry
    codes, lengths = _batch(seed=3, vocab=vocab)
    inputs = [x.requires_grad_() for x in _inputs(pack, seed=4, vocab=vocab)]
    k = pack.w.shape[2]

    def run(inputs, bias, w, w_hh=None, b_hh=None):
        inputs = torch.cat([inputs, inputs.new_zeros(inputs.shape[0], 128 - vocab, k)], dim=1)
        return _native(pack, codes, lengths, inputs, bias, w, w_hh, b_hh)

    assert torch.autograd.gradcheck(run, tuple(inputs), nondet_tol=0.0)
