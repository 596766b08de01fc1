"""DAG orientation and layer index (docs/method.md §3)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn.errors import RandRNNError
from randrnn.graphs import GENERATORS, generate, layer_index, layers, to_dag


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_to_dag_orients_low_to_high_and_is_acyclic(name: str) -> None:
    """Generated graphs become acyclic DAGs with every edge u→v for u<v, none lost."""
    for rec in generate(10, 2, generators=(name,)):
        g = rec["graph"]
        dag = to_dag(g)
        assert nx.is_directed_acyclic_graph(dag)
        assert all(u < v for u, v in dag.edges)
        assert dag.number_of_edges() == g.number_of_edges()
        assert list(dag.nodes) == list(g.nodes)


def test_to_dag_follows_node_order_not_labels() -> None:
    """Orientation follows the graph's node order, and isolated nodes are kept."""
    g = nx.Graph()
    g.add_nodes_from([3, 1, 2, 9])
    g.add_edges_from([(1, 3), (2, 1)])
    dag = to_dag(g)
    assert set(dag.edges) == {(3, 1), (1, 2)}
    assert list(dag.nodes) == [3, 1, 2, 9]


def test_spec_layer_example() -> None:
    """The example of docs/method.md §3: edges 0→2,1→2,1→3,2→3,2→4,3→4 give layers 0,0,1,2,3."""
    dag = nx.DiGraph()
    dag.add_nodes_from(range(5))
    dag.add_edges_from([(0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4)])
    assert layer_index(dag) == {0: 0, 1: 0, 2: 1, 3: 2, 4: 3}
    assert layers(dag) == [[0, 1], [2], [3], [4]]


def test_layer_is_the_longest_path_from_a_source() -> None:
    """A node fed by a source and by a deep node sits below the deep node."""
    dag = nx.DiGraph([(0, 1), (1, 2), (0, 3), (2, 3)])
    assert layer_index(dag)[3] == 3


@st.composite
def random_dags(draw: st.DrawFn) -> nx.DiGraph:
    """A DAG of 1-12 nodes with shuffled labels: edges only from earlier to later positions."""
    n = draw(st.integers(1, 12))
    labels = draw(st.permutations(range(n)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    dag = nx.DiGraph()
    dag.add_nodes_from(labels)
    dag.add_edges_from((labels[i], labels[j]) for i, j in chosen)
    return dag


@settings(max_examples=200, deadline=None)
@given(random_dags())
def test_layer_index_is_the_longest_path_reaching_each_node(dag: nx.DiGraph) -> None:
    """On random DAGs every node's layer is the length of the longest path that ends in it
    (measured on the subgraph of its ancestors), keyed in node order."""
    index = layer_index(dag)
    assert list(index) == list(dag.nodes)
    for v in dag.nodes:
        reaching = dag.subgraph(nx.ancestors(dag, v) | {v})
        assert index[v] == nx.dag_longest_path_length(reaching)


def test_layers_list_nodes_in_node_order() -> None:
    """Each layer lists its nodes in the graph's node order."""
    dag = nx.DiGraph()
    dag.add_nodes_from([5, 2, 7, 1])
    dag.add_edges_from([(5, 1), (2, 1)])
    assert layers(dag) == [[5, 2, 7], [1]]


def test_directed_input_used_as_given() -> None:
    """A directed acyclic input keeps its orientation, even against node order."""
    g = nx.DiGraph([(2, 1), (1, 0)])
    assert set(to_dag(g).edges) == {(2, 1), (1, 0)}


def test_cycle_error_names_the_cycle() -> None:
    """A directed cycle raises RandRNNError naming it."""
    g = nx.DiGraph([(1, 3), (3, 5), (5, 3)])
    with pytest.raises(RandRNNError, match=r"graph has a cycle: 3 -> 5 -> 3"):
        to_dag(g)
    with pytest.raises(RandRNNError, match="cycle"):
        layer_index(g)


def test_self_loop_in_undirected_graph_is_an_error() -> None:
    """An undirected self-loop cannot be oriented: RandRNNError naming the node."""
    g = nx.Graph([(0, 1), (1, 1)])
    with pytest.raises(RandRNNError, match="self-loop at node 1"):
        to_dag(g)


def test_empty_graph_is_an_error() -> None:
    """A graph without nodes raises RandRNNError."""
    with pytest.raises(RandRNNError, match="no nodes"):
        to_dag(nx.Graph())
    with pytest.raises(RandRNNError, match="no nodes"):
        layers(nx.DiGraph())


def test_layer_index_refuses_undirected() -> None:
    """layer_index needs a DAG, not an undirected graph."""
    with pytest.raises(RandRNNError, match="to_dag"):
        layer_index(nx.path_graph(3))
