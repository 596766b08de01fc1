"""Property-based checks of the graph-to-model build, and of its packed run, on random DAGs.

The DAGs are drawn as a node order and a set of forward edges, then relabelled at random, so
node order and topological order differ. Layers and the weight count are computed here from
first principles (a node's layer is the longest path reaching it), not with the package's code.
"""

from __future__ import annotations

import networkx as nx
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.training.engine import ENGINES, PackedModels


@st.composite
def dags(draw: st.DrawFn) -> nx.DiGraph:
    """A DAG of 1–10 nodes: forward edges over a random order, labels a random permutation."""
    n = draw(st.integers(1, 10))
    pairs = [(u, v) for v in range(n) for u in range(v)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    labels = draw(st.permutations(range(n)))
    dag = nx.DiGraph()
    dag.add_nodes_from(labels)  # node order: the permutation's, not the edges'
    dag.add_edges_from((labels[u], labels[v]) for u, v in edges)
    return dag


def depth(dag: nx.DiGraph) -> dict[int, int]:
    """Layer of every node: 0 for a source, else one more than its deepest predecessor."""
    out: dict[int, int] = {}
    for v in nx.topological_sort(dag):
        out[v] = max((out[p] + 1 for p in dag.predecessors(v)), default=0)
    return out


@settings(max_examples=60, deadline=None)
@given(dag=dags(), cell=st.sampled_from(list(CELLS)))
def test_every_gate_row_sees_exactly_its_predecessors(dag: nx.DiGraph, cell: str) -> None:
    """Every gate row of a unit's input mask is 1 on the columns of its node's predecessors
    and 0 elsewhere; layer 0 (the sources) reads the embedding densely."""
    model = build_model(dag, cell, seed=0)
    plan, gates = model.plan, CELLS[cell].gates
    assert sorted(plan.units) == sorted(dag.nodes)
    for l, layer in enumerate(model.layers):
        mask = layer.weight_ih_l0_mask
        size = plan.layer_sizes[l]
        assert mask.shape[0] == gates * size
        if l == 0:
            assert all(dag.in_degree(v) == 0 for v in plan.units[:size])
            assert bool(mask.eq(1).all())
            continue
        columns = [plan.units[u] for u in plan.layer_inputs(l)]
        for row in range(gates * size):
            node = plan.units[plan.offsets[l] + row % size]
            seen = {columns[c] for c in mask[row].nonzero().flatten().tolist()}
            assert seen == set(dag.predecessors(node)), (l, row, node)


@settings(max_examples=60, deadline=None)
@given(dag=dags(), cell=st.sampled_from(list(CELLS)))
def test_effective_params_equal_the_closed_form(dag: nx.DiGraph, cell: str) -> None:
    """Weights left by the masks = 128·H0 embedding + g·H0² dense input of layer 0 + g per edge
    + g·H² recurrent per layer + 2·H_last readout (g gate rows per unit, biases not counted)."""
    layer = depth(dag)
    sizes = [list(layer.values()).count(d) for d in range(max(layer.values()) + 1)]
    g = CELLS[cell].gates
    embedding, readout = 128 * sizes[0], 2 * sizes[-1]
    inputs = g * sizes[0] ** 2 + g * dag.number_of_edges()
    recurrent = g * sum(size**2 for size in sizes)
    model = build_model(dag, cell, seed=0)
    assert list(model.layer_sizes) == sizes
    assert model.effective_params() == embedding + inputs + recurrent + readout


@settings(max_examples=30, deadline=None)
@given(
    graphs=st.lists(dags(), min_size=1, max_size=3),
    cell=st.sampled_from(list(CELLS)),
    engine=st.sampled_from(list(ENGINES)),
)
def test_packed_logits_equal_each_models_own(graphs: list, cell: str, engine: str) -> None:
    """Models packed together give each the logits it gives alone (float32 sums: 1e-5)."""
    models = [build_model(dag, cell, seed=i) for i, dag in enumerate(graphs)]
    gen = torch.Generator().manual_seed(0)
    lengths = torch.tensor([1, 5, 3, 7])
    codes = torch.randint(1, 128, (4, 7), generator=gen)
    codes[torch.arange(7) >= lengths[:, None]] = 0
    with torch.no_grad():
        packed = PackedModels(models, engine).forward(codes, lengths)
        for m, model in enumerate(models):
            torch.testing.assert_close(packed[m], model(codes, lengths), rtol=0, atol=1e-5)
