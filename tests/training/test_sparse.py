"""The sparse engine on the CPU: per model what `fit` gives alone, in packs of mixed shapes
(units, depth, delays), pruned copies included; its CSR edges hold every live weight once."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.pruning.criteria import apply_pruning, select_weights
from randrnn.reber import make_dataset
from randrnn.training import sparse
from randrnn.training.config import TrainConfig
from randrnn.training.engine import PackedModels, _losses, train_many
from randrnn.training.layout import hh, ih
from randrnn.training.loop import encode_split, fit

CONFIG = TrainConfig(epochs=1, batch_size=32)
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data():
    train, test = make_dataset(n=240, seed=5, test_fraction=1 / 3)
    return encode_split(train), encode_split(test)


def _dag(gen: str, index: int, nodes: int):
    return to_dag(generate_graph(gen, index, 11, (nodes, nodes))["graph"])


# Mixed shapes: 10 to 30 nodes, WS and BA, so units, depths and largest delays all differ.
SHAPES = [("ws", 0, 12), ("ba", 1, 30), ("ws", 2, 10), ("ba", 3, 18)]


def _diff(a, b) -> float:
    return max((x - y).abs().max().item() for x, y in
               zip(a.state_dict().values(), b.state_dict().values(), strict=True))  # fmt: skip


@pytest.mark.parametrize("cell", list(CELLS))
def test_sparse_gives_each_model_what_fit_gives_in_a_mixed_pack(cell, data) -> None:
    """Four models of different units, depths and delays in one pack: each ends with fit's
    weights (1e-5) and fit's accuracies and loss."""
    train, test = data
    dags = [_dag(*s) for s in SHAPES]
    packed = [build_model(d, cell, seed=i, readout="sinks") for i, d in enumerate(dags)]
    alone = [build_model(d, cell, seed=i, readout="sinks") for i, d in enumerate(dags)]
    pack = PackedModels(packed, engine="sparse")
    assert len({len(m.layer_sizes) for m in packed}) > 1 and pack.sparse.delay > 1
    results = train_many(packed, train, test, CONFIG, engine="sparse")
    for model, reference, metrics in zip(packed, alone, results, strict=True):
        expected = fit(reference, train, test, CONFIG)
        assert _diff(model, reference) < 1e-5
        assert metrics["test_acc"] == expected["test_acc"]
        assert metrics["train_acc"] == expected["train_acc"]
        assert metrics["test_loss"] == pytest.approx(expected["test_loss"], abs=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_pruned_copies_on_sparse_equal_native(cell, data) -> None:
    """Copies of one model pruned to different levels retrain together on the sparse engine to
    the native engine's weights: pruned weights are no entries, and stay zero."""
    train, test = data
    base = build_model(_dag("ba", 3, 18), cell, seed=0)
    trained = {}
    for engine in ("native", "sparse"):
        copies = []
        for level in (0.0, 0.3, 0.7):
            model = build_model(_dag("ba", 3, 18), cell, seed=0)
            model.load_state_dict(base.state_dict())
            if level:
                apply_pruning(select_weights(model, "both"), "random", level, "global", seed=1)
            copies.append(model)
        train_many(copies, train, test, CONFIG, engine=engine)
        trained[engine] = copies
    for a, b in zip(trained["native"], trained["sparse"], strict=True):
        assert _diff(a, b) < 1e-5


@pytest.mark.parametrize("cell", list(CELLS))
def test_csr_holds_every_live_weight_once(cell) -> None:
    """The forward CSR matrix has one entry per live recurrent-layer weight except layer 0's
    input (folded into the code table), each in its own (gate row, window row) place, and one
    per gate row (its bias, or its input value); the backward's has the weights' entries (GRU:
    and one direct path per unit) and one per readout unit (its seed)."""
    models = [build_model(_dag(*s), cell, seed=0) for s in SHAPES]
    pack = PackedModels(models, engine="sparse")
    plan = pack.sparse
    live = sum(int(ih(layer)[1].count_nonzero()) * (l > 0) + int(hh(layer)[1].count_nonzero())
               for m in models for l, layer in enumerate(m.layers))  # fmt: skip
    entries, gate_rows = int(plan.crow[-1]), plan.crow.shape[0] - 1
    assert entries == live + gate_rows == plan.col.shape[0] == plan.weight_from.shape[0]
    rows = torch.repeat_interleave(torch.arange(plan.crow.shape[0] - 1), plan.crow.diff())
    assert len(set(zip(rows.tolist(), plan.col.tolist()))) == entries
    direct = plan.units if cell == "gru" else 0
    readouts = len({int(u) for u in plan.read_unit.flatten() if u < plan.units})
    assert plan.seeds == readouts + 1
    assert int(plan.pull_crow[-1]) == live + direct + readouts
    assert sum(plan.prefix[-1:]) == plan.units == sum(sum(m.layer_sizes) for m in models)


def test_prefix_counts_started_units() -> None:
    """At step s < depth the started units (layer ≤ s) are the first prefix[s] flat units."""
    models = [build_model(_dag(*s), "gru", seed=0) for s in SHAPES]
    plan = PackedModels(models, engine="sparse").sparse
    for s, a in enumerate(plan.prefix):
        assert bool((plan.layer[:a] <= s).all()) and bool((plan.layer[a:] > s).all())


def test_sparse_runs_on_both_devices_dense_stays_cudas_default() -> None:
    """Until gpu-check has passed on a GPU, CUDA's default stays the dense engine."""
    from randrnn.training.engines import ENGINES, resolve_engine

    assert resolve_engine(None, "cuda") == "dense"
    assert resolve_engine("sparse", "cuda") == "sparse"
    assert set(ENGINES["sparse"].devices) == {"cpu", "cuda"}
    assert sparse.ROWS["GRU"] == 4  # r, z, n's input part and n's recurrent part: one product


class _NanTorch:
    """torch with ``empty`` filled with NaN: an entry the engine reads before writing shows."""

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def empty(*args, **kwargs):
        made = torch.empty(*args, **kwargs)
        return made.fill_(float("nan")) if made.is_floating_point() else made


def _random_dag(draw, nodes: int) -> nx.DiGraph:
    """A DAG on ``nodes`` shuffled labels: each forward pair an edge with a drawn density (0:
    no edges, one layer, delay 1; 1: a chain of every unit)."""
    density = draw(st.sampled_from([0.0, 0.3, 1.0]))
    order = draw(st.permutations(range(nodes)))
    flips = draw(st.lists(st.floats(0, 1), min_size=nodes * nodes, max_size=nodes * nodes))
    dag = nx.DiGraph()
    dag.add_nodes_from(order)
    dag.add_edges_from((order[i], order[j]) for i in range(nodes) for j in range(i + 1, nodes)
                       if flips[i * nodes + j] < density)  # fmt: skip
    return dag


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_sparse_gradients_equal_the_wavefront_engines_on_any_small_pack(data):
    """Every parameter's gradient (float64, 1e-8) and the logits equal the wavefront engine's
    (gradcheck-tested) for packs of 1–4 random DAGs of 1–7 nodes — single-layer packs, delay 1,
    readouts in layer 0, pruned weights up to all of them — and with NaN where the engine's
    buffers start (an unwritten entry it reads would spread)."""
    cell = data.draw(st.sampled_from(list(CELLS)))
    readout = data.draw(st.sampled_from(["last", "sinks"]))
    prune = data.draw(st.sampled_from([0.0, 0.5, 1.0]))
    dags = [_random_dag(data.draw, data.draw(st.integers(1, 7)))
            for _ in range(data.draw(st.integers(1, 4)))]  # fmt: skip
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 999)))
    lengths = torch.randint(1, 8, (data.draw(st.integers(1, 6)),), generator=gen)
    codes = torch.zeros(len(lengths), int(lengths.max()), dtype=torch.long)
    for row, length in enumerate(lengths.tolist()):
        codes[row, :length] = torch.tensor([ord(c) for c in "BTSXPVE"])[
            torch.randint(0, 7, (length,), generator=gen)]  # fmt: skip
    labels = torch.randint(0, 2, (len(lengths),), generator=gen)
    outcome = {}
    with pytest.MonkeyPatch.context() as patch, torch.random.fork_rng():
        patch.setattr(sparse, "torch", _NanTorch())
        torch.set_default_dtype(torch.float64)
        try:
            for engine in ("wavefront", "sparse"):
                models = [build_model(d, cell, seed=i, readout=readout) for i, d in enumerate(dags)]
                for i, model in enumerate(models):
                    if prune:
                        apply_pruning(select_weights(model, "both"), "random", prune, "global",
                                      seed=i)  # fmt: skip
                pack = PackedModels(models, engine=engine)
                logits = pack.forward(codes, lengths)
                _losses(logits, labels).sum().backward()
                outcome[engine] = [logits.detach()] + [
                    torch.zeros_like(p) if p.grad is None else p.grad for p in pack.params
                ]
        finally:
            torch.set_default_dtype(torch.float32)
    for mine, reference in zip(outcome["sparse"], outcome["wavefront"], strict=True):
        assert torch.isfinite(mine).all()
        assert (mine - reference).abs().max().item() < 1e-8 if mine.numel() else True
