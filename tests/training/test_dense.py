"""The dense engine on the CPU: per model what `fit` gives alone, whatever the pack, with no
read back to the host inside the batch loop; pruning's bases and copies on it as on native."""

from __future__ import annotations

import collections
from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.pruning.packed import Cut, RetrainJob, train_bases
from randrnn.pruning.packed import retrain as retrain_job
from randrnn.pruning.protocol import PruneSpec, base_config
from randrnn.reber import make_dataset
from randrnn.training import dense
from randrnn.training.config import TrainConfig
from randrnn.training.engine import PackedModels, train_many
from randrnn.training.loop import encode_split, fit

CONFIG = TrainConfig(epochs=1, batch_size=32)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data():
    train, test = make_dataset(n=300, seed=3, test_fraction=1 / 3)
    return encode_split(train), encode_split(test)


def _dag(gen: str, index: int, nodes: int):
    return to_dag(generate_graph(gen, index, 11, (nodes, nodes))["graph"])


@pytest.fixture(scope="module")
def dags() -> list:
    """Eight graphs of different sizes and depths: the first is the model under test."""
    return [_dag(g, i, n) for i, (g, n) in
            enumerate([("ws", 12), ("ba", 20), ("ws", 10), ("ba", 14), ("ws", 25), ("ba", 11),
                       ("ws", 16), ("ba", 30)])]  # fmt: skip


def _diff(a, b) -> float:
    return max((x - y).abs().max().item() for x, y in
               zip(a.state_dict().values(), b.state_dict().values(), strict=True))  # fmt: skip


@pytest.mark.parametrize("cell", list(CELLS))
def test_dense_gives_each_model_what_fit_gives(cell, data, dags) -> None:
    """Three models packed on the dense engine: fit's weights (1e-5) and accuracies, each."""
    train, test = data
    packed = [build_model(d, cell, seed=i, readout="sinks") for i, d in enumerate(dags[:3])]
    alone = [build_model(d, cell, seed=i, readout="sinks") for i, d in enumerate(dags[:3])]
    results = train_many(packed, train, test, CONFIG, engine="dense", device="cpu")
    for model, reference, metrics in zip(packed, alone, results, strict=True):
        expected = fit(reference, train, test, CONFIG)
        assert _diff(model, reference) < 1e-5
        assert metrics["test_acc"] == expected["test_acc"]
        assert metrics["train_acc"] == expected["train_acc"]
        assert metrics["test_loss"] == pytest.approx(expected["test_loss"], abs=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_neighbours_and_pack_size_do_not_change_a_model(cell, data, dags) -> None:
    """The same model alone, in a pack of 3 and in a pack of 8 (other neighbours, more
    padding: up to 30 units, other depths): the same weights (float32 sums in another
    order: 1e-6)."""
    train, test = data
    trained = []
    for neighbours in ([], dags[1:3], dags[1:8]):
        models = [build_model(d, cell, seed=i) for i, d in enumerate([dags[0], *neighbours])]
        train_many(models, train, test, CONFIG, pack_size=len(models), engine="dense")
        trained.append(models[0])
    assert _diff(trained[0], trained[1]) < 1e-6
    assert _diff(trained[0], trained[2]) < 1e-6


def test_no_host_read_inside_the_batch_loop(data, dags, monkeypatch) -> None:
    """Reads back to the host (item, tolist, int(), .cpu(), ...) per epoch do not grow with
    the number of batches: four times the batches, the same count."""
    train, test = data
    counts: collections.Counter = collections.Counter()
    for name in ("item", "tolist", "__int__", "__float__", "__bool__", "numpy", "cpu"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    seen = []
    for batch in (100, 25):
        counts.clear()
        models = [build_model(d, "gru", seed=i) for i, d in enumerate(dags[:2])]
        train_many(models, train, test, replace(CONFIG, batch_size=batch), engine="dense")
        seen.append(dict(counts))
    assert seen[0] == seen[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(
        st.tuples(st.sampled_from(["ws", "ba"]), st.integers(0, 50), st.integers(10, 18)),
        min_size=1,
        max_size=4,
    ),
    cell=st.sampled_from(list(CELLS)),
)
def test_dense_rows_hold_every_pair_once(specs, cell) -> None:
    """Each model's input pair (delay d, unit j) sits at dense row block(d)·N + j, every real
    pair exactly once, and the rows of no pair read the zero row."""
    models = [build_model(_dag(g, i, n), cell, seed=0) for g, i, n in specs]
    pack = PackedModels(models, engine="dense")
    plan, n, width = pack.dense, pack.layout.n, pack.w.shape[1]
    for m, wired in enumerate(pack.wirings):
        row = plan.rows[m]
        for (d, j), p in wired.pairs.items():
            assert int(row[plan.delays.index(d) * n + j]) == p
        assert int((row != width).sum()) == len(wired.pairs)


def test_pruning_bases_and_copies_on_dense_equal_native(data) -> None:
    """A dense GRU base (its WAEA statistics included) and its pruned copies retrain on the
    dense engine to the native engine's numbers."""
    train, test = data
    config = base_config(epochs=1, batch_size=32)
    spec = PruneSpec("gru", method="magnitude", target="both", levels=(30.0, 70.0),
                     retrain_epochs=1, hidden=(5, 5))  # fmt: skip
    bases = {e: train_bases([(spec, None)], config, train, test, engine=e)[0]
             for e in ("native", "dense")}  # fmt: skip
    a, b = bases["native"], bases["dense"]
    assert a.metrics["test_acc"] == b.metrics["test_acc"]
    for key in a.state:
        torch.testing.assert_close(a.state[key], b.state[key], atol=1e-5, rtol=0)
    for key in a.waea:
        torch.testing.assert_close(a.waea[key], b.waea[key], atol=1e-5, rtol=1e-5)
    cuts = tuple(Cut(spec, level) for level in spec.levels)
    job = RetrainJob({"id": 1, "test_acc": a.metrics["test_acc"]}, None, a.state, None, cuts,
                     config.to_dict())  # fmt: skip
    rows = {e: retrain_job(job, train, test, engine=e) for e in ("native", "dense")}
    for x, y in zip(rows["native"], rows["dense"], strict=True):
        assert x["acc_pruned"] == y["acc_pruned"] and x["accs"] == y["accs"]


def test_compile_is_gone(monkeypatch) -> None:
    """RANDRNN_DENSE_COMPILE no longer exists: the gate arithmetic is plain PyTorch, set or not."""
    monkeypatch.setenv("RANDRNN_DENSE_COMPILE", "1")
    dense.step_fn.cache_clear()
    assert dense.step_fn(CELLS["gru"]) is dense._gru
    dense.step_fn.cache_clear()
