"""Graph properties: the thesis' 23 features and the extras (docs/method.md §6)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from randrnn.errors import RandRNNError
from randrnn.graphs import EXTRAS, FEATURES, GENERATORS, generate, properties

METHOD = Path(__file__).resolve().parents[2] / "docs" / "method.md"


def documented_features() -> list[str]:
    """The names in the first table of docs/method.md §6, in order: a cell "`a`, `b`" gives
    a and b, and "`x_mean/var/std`" gives x_mean, x_var and x_std."""
    section = METHOD.read_text().split("## 6. Graph properties", 1)[1]
    rows = section.split("| --- | --- |\n", 1)[1].split("\n\n", 1)[0].splitlines()
    names = []
    for row in rows:
        for name in re.findall(r"`([^`]+)`", row.split("|")[1]):
            first, *more = name.split("/")
            stem = first.rsplit("_", 1)[0] if more else first
            names += [first, *(f"{stem}_{suffix}" for suffix in more)]
    return names


# Path 0-1-2-3, computed by hand: distances 1,2,3,1,2,1; eccentricities 3,2,2,3; degree
# centralities 1/3,2/3,2/3,1/3; closeness 3/6,3/4,3/4,3/6; node betweenness (2 pairs)/3 for the
# inner nodes; edge betweenness 3/6, 4/6, 3/6. Variances use n−1.
PATH4 = {
    "layers": 4,
    "nodes": 4,
    "edges": 3,
    "source_nodes": 1,
    "sink_nodes": 1,
    "diameter": 3,
    "density": 3 / 12,
    "average_shortest_path_length": 20 / 12,
    "eccentricity_mean": 2.5,
    "eccentricity_var": 1 / 3,
    "eccentricity_std": math.sqrt(1 / 3),
    "degree_mean": 0.5,
    "degree_var": 1 / 27,
    "degree_std": math.sqrt(1 / 27),
    "closeness_mean": 0.625,
    "closeness_var": 1 / 48,
    "closeness_std": math.sqrt(1 / 48),
    "nodes_betweenness_mean": 1 / 3,
    "nodes_betweenness_var": 4 / 27,
    "nodes_betweenness_std": math.sqrt(4 / 27),
    "edge_betweenness_mean": 5 / 9,
    "edge_betweenness_var": 1 / 108,
    "edge_betweenness_std": math.sqrt(1 / 108),
    "average_clustering": 0,
    "transitivity": 0,
    "widest_layer": 1,
    "skip_edges": 0,
    "dead_end_nodes": 0,
    "longest_path": 3,
    "connected_components": 1,
}


def test_feature_names_are_the_thesis_23() -> None:
    """FEATURES are exactly the 23 names docs/method.md §6 lists, in order; extras differ."""
    assert len(documented_features()) == 23
    assert FEATURES == documented_features()
    assert not set(FEATURES) & set(EXTRAS)


def test_path_of_four_matches_hand_computation() -> None:
    """Every feature of the path 0-1-2-3 equals its hand-computed value."""
    props = properties(nx.path_graph(4))
    assert list(props) == FEATURES + EXTRAS
    for name, expected in PATH4.items():
        assert props[name] == pytest.approx(expected), name


def test_star_layers_and_density() -> None:
    """Star with centre 0 and 3 leaves: 2 layers, 1 source, 3 sinks, density 3/12."""
    props = properties(nx.star_graph(3))
    assert (props["layers"], props["source_nodes"], props["sink_nodes"]) == (2, 1, 3)
    assert props["density"] == pytest.approx(0.25)
    assert props["widest_layer"] == 3
    assert props["degree_var"] == pytest.approx(np.var([1, 1 / 3, 1 / 3, 1 / 3], ddof=1))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_features_equal_networkx_definitions(name: str) -> None:
    """On generated graphs each feature equals a direct networkx computation (ddof=1)."""
    for rec in generate(3, 4, generators=(name,)):
        g = rec["graph"]
        props = properties(g)
        n, m = g.number_of_nodes(), g.number_of_edges()
        assert props["diameter"] == nx.diameter(g)
        assert props["density"] == pytest.approx(m / (n * (n - 1)))
        assert props["average_shortest_path_length"] == pytest.approx(
            nx.average_shortest_path_length(g)
        )
        for prefix, values in [
            ("eccentricity", nx.eccentricity(g)),
            ("degree", nx.degree_centrality(g)),
            ("closeness", nx.closeness_centrality(g)),
            ("nodes_betweenness", nx.betweenness_centrality(g)),
            ("edge_betweenness", nx.edge_betweenness_centrality(g)),
        ]:
            x = np.array(list(values.values()))
            assert props[f"{prefix}_mean"] == pytest.approx(x.mean())
            assert props[f"{prefix}_var"] == pytest.approx(x.var(ddof=1))
            assert props[f"{prefix}_std"] == pytest.approx(x.std(ddof=1))


def test_dag_extras_on_hand_built_dag() -> None:
    """Edges 0→1, 0→2, 0→3, 1→2: layers [0],[1,3],[2]; one skip edge, one dead end."""
    g = nx.Graph([(0, 1), (1, 2), (0, 2), (0, 3)])
    props = properties(g)
    assert props["layers"] == 3
    assert props["widest_layer"] == 2
    assert props["skip_edges"] == 1  # 0→2 jumps from layer 0 to layer 2
    assert props["dead_end_nodes"] == 1  # node 3: no successor, not in the last layer
    assert props["longest_path"] == 2
    assert props["average_clustering"] == pytest.approx(nx.average_clustering(g))


def test_params_gru_by_hand_count() -> None:
    """GRU weights of layers [0],[1,3],[2] (sizes 1,2,1) match a hand count."""
    g = nx.Graph([(0, 1), (1, 2), (0, 2), (0, 3)])
    # embedding 128·1; layer 0 input 3·1·1; layer 1 input 3·2 edges (0→1, 0→3);
    # layer 2 input 3·2 edges (1→2, 0→2); recurrent 3·(1+4+1); readout 1·2
    assert properties(g)["params_gru"] == 128 + 3 + 6 + 6 + 18 + 2
    props = properties(nx.path_graph(4))
    # sizes 1,1,1,1: 128 + g + 3 edges·g + 4·g + 2
    assert (props["params_rnn"], props["params_gru"], props["params_lstm"]) == (138, 154, 162)


def test_directed_input_uses_its_dag_and_undirected_features() -> None:
    """A directed input gives layers from its own edges and features from its undirected form."""
    g = nx.DiGraph([(3, 2), (2, 1), (1, 0)])
    props = properties(g)
    assert props["layers"] == 4 and props["diameter"] == 3 and props["edges"] == 3


def test_disconnected_graph_uses_largest_component() -> None:
    """Disconnected: distance features on the largest component, no crash."""
    g = nx.Graph([(0, 1), (1, 2), (2, 3), (4, 5)])
    g.add_node(6)
    props = properties(g)
    assert props["connected_components"] == 3
    assert props["diameter"] == 3
    assert props["average_shortest_path_length"] == pytest.approx(20 / 12)
    assert props["density"] == pytest.approx(4 / 42)
    assert all(not math.isnan(props[k]) for k in FEATURES)


def test_edgeless_graph_does_not_crash() -> None:
    """A graph without edges still gets properties (edge statistics are NaN)."""
    props = properties(nx.empty_graph(3))
    assert props["layers"] == 1 and props["edges"] == 0
    assert math.isnan(props["edge_betweenness_mean"])


def test_too_small_graph_is_an_error() -> None:
    """Fewer than two nodes raises RandRNNError."""
    with pytest.raises(RandRNNError, match="at least 2"):
        properties(nx.empty_graph(1))
