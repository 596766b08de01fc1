"""Graph files and the JSON stored in the study database."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import networkx as nx
import pytest

from randrnn.errors import RandRNNError
from randrnn.graphs import from_json, generate_graph, read_graph, to_json


@pytest.fixture
def graph() -> nx.Graph:
    return generate_graph("ba", 0, 1)["graph"]


def _same(a: nx.Graph, b: nx.Graph) -> bool:
    return (
        list(a.nodes) == list(b.nodes)
        and {frozenset(e) for e in a.edges} == {frozenset(e) for e in b.edges}
        and a.is_directed() == b.is_directed()
    )


@pytest.mark.parametrize("data", [False, True])
@pytest.mark.parametrize("suffix", [".edges", ".edgelist", ".txt"])
def test_edge_list_round_trip(tmp_path: Path, graph: nx.Graph, suffix: str, data: bool) -> None:
    """nx.write_edgelist output (with or without data column) reads back the same edges."""
    path = tmp_path / f"g{suffix}"
    nx.write_edgelist(graph, path, data=data)
    g = read_graph(path)
    assert not g.is_directed()
    assert list(g.nodes) == list(graph.nodes) and all(isinstance(v, int) for v in g.nodes)
    assert {frozenset(e) for e in g.edges} == {frozenset(e) for e in graph.edges}


def test_edge_list_comments_isolated_nodes_and_directed(tmp_path: Path) -> None:
    """Comments are skipped, a single id adds a node, int ids are sorted, directed=True kept."""
    path = tmp_path / "g.txt"
    path.write_text("# a graph\n2 1  # edge\n\n1 0\n7\n")
    g = read_graph(path, directed=True)
    assert g.is_directed() and list(g.nodes) == [0, 1, 2, 7]
    assert set(g.edges) == {(2, 1), (1, 0)}


def test_csv_with_header(tmp_path: Path) -> None:
    """A CSV edge list with a source,target header reads as edges."""
    path = tmp_path / "g.csv"
    path.write_text("source,target\n0,1\n1,2\na,b\n")
    g = read_graph(path)
    assert list(g.nodes) == [0, 1, 2, "a", "b"] and g.number_of_edges() == 3


@pytest.mark.parametrize("directed", [False, True])
def test_graphml_round_trip(tmp_path: Path, graph: nx.Graph, directed: bool) -> None:
    """GraphML keeps nodes (as ints), node order, edges and directedness."""
    g0 = nx.DiGraph((min(e), max(e)) for e in graph.edges) if directed else graph
    path = tmp_path / "g.graphml"
    nx.write_graphml(g0, path)
    assert _same(read_graph(path), g0)


@pytest.mark.parametrize("key", ["edges", "links"])
def test_node_link_json_round_trip(tmp_path: Path, graph: nx.Graph, key: str) -> None:
    """Node-link JSON with either 'edges' or 'links' reads back the same graph."""
    path = tmp_path / "g.json"
    path.write_text(json.dumps(nx.node_link_data(graph, edges=key)))
    assert _same(read_graph(path), graph)


@pytest.mark.parametrize("directed", [False, True])
def test_to_json_from_json_round_trip(graph: nx.Graph, directed: bool) -> None:
    """to_json/from_json keep nodes, node order, edges and directedness."""
    g = nx.DiGraph([(5, 1), (1, 3)]) if directed else nx.relabel_nodes(graph, {0: 99})
    back = from_json(to_json(g))
    assert _same(back, g) and type(back) is type(g)


def test_graphml_directed_false_makes_undirected(tmp_path: Path) -> None:
    """directed=False turns a directed file into an undirected graph; True refuses undirected."""
    path = tmp_path / "g.graphml"
    nx.write_graphml(nx.DiGraph([(0, 1)]), path)
    assert not read_graph(path, directed=False).is_directed()
    nx.write_graphml(nx.Graph([(0, 1)]), path)
    with pytest.raises(RandRNNError, match="undirected"):
        read_graph(path, directed=True)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.edges", "0 1\n0 1 2 3\n", "line 2"),
        ("bad.txt", "0 1 x\n", "line 1"),
        ("empty.edges", "# nothing\n", "no nodes"),
        ("bad.graphml", "<graphml><graph", "cannot read graphml"),
        ("bad.json", "{not json", "cannot read json"),
        ("nodes.json", '{"a": 1}', "cannot read json"),
        ("empty.json", '{"nodes": [], "edges": []}', "no nodes"),
        ("g.gml", "graph [ ]", "unknown graph format"),
    ],
)
def test_malformed_files_raise_one_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    """Malformed or unsupported files raise RandRNNError naming the file, in one line."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(RandRNNError, match=message) as info:
        read_graph(path)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file raises RandRNNError naming it."""
    with pytest.raises(RandRNNError, match="no such file"):
        read_graph(tmp_path / "nope.edges")


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".gpickle"])
def test_pickle_refused(tmp_path: Path, graph: nx.Graph, suffix: str) -> None:
    """Pickle files are refused, never unpickled."""
    path = tmp_path / f"g{suffix}"
    path.write_bytes(pickle.dumps(graph))
    with pytest.raises(RandRNNError, match="pickle"):
        read_graph(path)


def test_malformed_json_string() -> None:
    """from_json on a malformed string raises RandRNNError."""
    with pytest.raises(RandRNNError, match="malformed"):
        from_json("[1, 2")
