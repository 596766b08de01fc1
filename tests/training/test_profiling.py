"""`bench --profile`'s counters: FLOP, bytes, launches and host reads of known op sequences,
and the engines' counts on a small sample (the targets of the sparse engine)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.graph_rnn import build_model
from randrnn.reber import make_dataset
from randrnn.training import profiling
from randrnn.training.config import TrainConfig
from randrnn.training.loop import encode_split

pytestmark = pytest.mark.usefixtures("one_thread")


def test_counters_on_known_ops() -> None:
    """A product (2·m·k·n FLOP), a pointwise op (one per element), a view (nothing), a host
    read and host data made a tensor (one sync each)."""
    a, b = torch.randn(3, 4), torch.randn(4, 5)
    with profiling.counting() as (ops, flops):
        c = a @ b
        d = c.sigmoid()
        d.view(15)
        float(d.sum())
        torch.as_tensor(np.arange(3))
    counts = ops.counts
    assert flops.get_total_flops() == 2 * 3 * 4 * 5
    assert counts.ops["sigmoid"] == 1 and "view" not in counts.ops
    assert counts.elementwise == 15 + 15  # sigmoid's outputs, the sum's inputs
    assert counts.syncs == 2
    assert counts.launches == 3  # mm, sigmoid, sum
    assert counts.op_bytes["sigmoid"] == 2 * 15 * 4


def test_sparse_products_count_their_entries() -> None:
    """A CSR product: 2 FLOP per entry and column of the dense operand, not the dense shape's;
    a sampled product: 2 per entry and inner index."""
    dense = torch.zeros(50, 40)
    dense[[1, 7, 30], [2, 2, 39]] = 1.0
    csr = dense.to_sparse_csr()
    x = torch.randn(40, 6)
    with profiling.counting() as (_, flops):
        torch.zeros(50, 6).addmm_(csr, x)
        torch.sparse.sampled_addmm(csr, torch.randn(50, 6), torch.randn(6, 40))
    assert flops.get_total_flops() == 2 * 3 * 6 + 2 * 3 * 6


def test_graph_flop_counts_live_weights_and_units() -> None:
    """6 per live recurrent-layer weight and letter plus the gate arithmetic: checked against
    the weights' shapes of a two-layer GRU read off the torch layers."""
    dag = to_dag(generate_graph("ws", 0, 3, (10, 10))["graph"])
    model = build_model(dag, "gru", seed=0)
    live = 0
    for layer in model.layers:
        live += int(layer.weight_ih_l0_mask.sum()) + layer.weight_hh_l0.numel()
    units = sum(model.layer_sizes)
    assert profiling.graph_flop(model, 7) == 7 * (6 * live + 30 * units)


def _count(cell: str, engines: tuple[str, ...]) -> dict:
    """`bench --profile`'s summary per engine for three graphs of mixed sizes as ``cell``."""
    train, _ = make_dataset(n=300, seed=2, test_fraction=0.2)
    train = encode_split(train)
    config = TrainConfig(epochs=1, batch_size=32)
    dags = [to_dag(generate_graph(g, i, 7, (n, n))["graph"])
            for i, (g, n) in enumerate([("ws", 14), ("ba", 22), ("ws", 18)])]  # fmt: skip
    out = {}
    for engine in engines:
        models = [build_model(d, cell, seed=i) for i, d in enumerate(dags)]
        windows = profiling.profile_packs(models, train, config, engine=engine, device="cpu",
                                          pack_size=3, batches=3)  # fmt: skip
        out[engine] = profiling.summary(windows, int(train.lengths.sum()))
    return out


@pytest.fixture(scope="module")
def counted():
    return _count("gru", ("sparse", "dense"))


def test_sparse_engine_meets_its_targets(counted) -> None:
    """GRU on the sparse engine: arithmetic within 4× of the graphs' own, at most 12 launches
    per wavefront step (5 forward + 3 backward by construction), no host synchronisation in a
    batch; less arithmetic and fewer bytes than the dense engine on the same pack."""
    s, d = counted["sparse"], counted["dense"]
    assert s["flop_ratio"] < 4
    assert s["launches_step"] == pytest.approx(8, abs=0.01)
    assert s["syncs_batch"] == 0 and d["syncs_batch"] == 0
    assert s["own_flop_epoch"] == d["own_flop_epoch"]
    assert s["engine_flop_epoch"] < d["engine_flop_epoch"]
    assert s["bytes_batch"] < d["bytes_batch"]


def test_sparse_lstm_meets_its_targets() -> None:
    """LSTM on the sparse engine: within 4× of the graphs' own arithmetic, exactly 12 launches
    per wavefront step (the limit: 7 forward + 5 backward), no host synchronisation."""
    s = _count("lstm", ("sparse",))["sparse"]
    assert s["flop_ratio"] < 4
    assert s["launches_step"] == pytest.approx(12, abs=0.01)
    assert s["syncs_batch"] == 0


def test_out_tensors_are_written_not_read() -> None:
    """``torch.mul(a, b, out=c)`` moves what ``torch.mul(a, b)`` moves: a and b read, c written
    (3 tensors of 6 floats), not c read as well; an in-place op reads its target."""
    a, b, c = torch.randn(2, 3), torch.randn(2, 3), torch.empty(2, 3)
    with profiling.counting() as (ops, _):
        torch.mul(a, b, out=c)
    assert ops.counts.bytes == 3 * 6 * 4
    with profiling.counting() as (ops, _):
        torch.mul(a, b)
    assert ops.counts.bytes == 3 * 6 * 4
    with profiling.counting() as (ops, _):
        c.mul_(a)
    assert ops.counts.bytes == 3 * 6 * 4


def test_sparse_mm_into_out_counts_the_zeros_torch_copies_in() -> None:
    """torch runs a sparse ``mm(out=o)`` as ``zeros_like(o)`` copied into o, then the product:
    3·|o| more bytes and 2 more launches than ``addmm(o, s, d, beta=0, out=o)``, which writes o
    once (its product is the same)."""
    sparse = torch.tensor([[1.0, 0, 2], [0, 3, 0]]).to_sparse_csr()
    dense, out = torch.randn(3, 4), torch.full((2, 4), float("nan"))
    with profiling.counting() as (ops, _):
        torch.addmm(out, sparse, dense, beta=0, out=out)
    fused_bytes, fused_launches = ops.counts.bytes, ops.counts.launches
    assert torch.allclose(out, sparse.to_dense() @ dense)  # beta=0 ignores what out held
    with profiling.counting() as (ops, _):
        torch.mm(sparse, dense, out=out)
    assert ops.counts.bytes - fused_bytes == 3 * out.numel() * 4
    assert ops.counts.launches - fused_launches == 2
