"""Property: packing changes nothing a model computes. For random small DAGs, cells, readouts
and engines, the logits of every model in a pack equal the logits of the model run alone."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.training.engine import ENGINES, PackedModels

LETTERS = [ord(c) for c in "BTSXPVE"]


pytestmark = pytest.mark.usefixtures("one_thread")


@st.composite
def small_dags(draw: st.DrawFn) -> nx.DiGraph:
    """A DAG of 2-9 nodes with shuffled labels, edges from earlier to later positions."""
    n = draw(st.integers(2, 9))
    labels = draw(st.permutations(range(n)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, unique=True))
    dag = nx.DiGraph()
    dag.add_nodes_from(labels)
    dag.add_edges_from((labels[i], labels[j]) for i, j in chosen)
    return dag


@st.composite
def batches(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded codes (B, T) of 1-6 strings over the Reber letters, and their lengths (1-12)."""
    lengths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=6))
    codes = torch.zeros(len(lengths), max(lengths), dtype=torch.int64)
    for row, length in enumerate(lengths):
        letters = draw(st.lists(st.sampled_from(LETTERS), min_size=length, max_size=length))
        codes[row, :length] = torch.tensor(letters)
    return codes, torch.tensor(lengths)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dags=st.lists(small_dags(), min_size=1, max_size=3),
    cell=st.sampled_from(list(CELLS)),
    readout=st.sampled_from(["last", "sinks"]),
    engine=st.sampled_from(list(ENGINES)),
    seed=st.integers(0, 1000),
    batch=batches(),
)
def test_packed_logits_equal_the_plain_models(dags, cell, readout, engine, seed, batch) -> None:
    """Each model's logits from `PackedModels.forward` equal its own `forward` (1e-5)."""
    codes, lengths = batch
    models = [build_model(d, cell, seed=seed + i, readout=readout) for i, d in enumerate(dags)]
    with torch.no_grad():
        packed = PackedModels(models, engine=engine).forward(codes, lengths)
        for g, model in enumerate(models):
            torch.testing.assert_close(packed[g], model(codes, lengths), rtol=1e-5, atol=1e-5)
