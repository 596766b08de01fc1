"""What the docs say about generated graphs under the thesis' parameters (n from 10..50,
m = n//10 for BA, k = n//5 for WS): how many source nodes (units reading the input) they have."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from randrnn.graphs import generate, properties

GRAPHS = 300  # per generator


def no_lower_neighbour(g: nx.Graph) -> int:
    """Sources counted on the undirected graph: nodes with no neighbour earlier in node order."""
    return sum(1 for v in g.nodes if all(u > v for u in g[v]))


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    recs = generate(2 * GRAPHS, 0, generators=("ws", "ba"))
    return {name: [r for r in recs if r["generator"] == name] for name in ("ws", "ba")}


def test_thesis_ba_graphs_have_m_sources(records: dict[str, list[dict]]) -> None:
    """Every BA graph has exactly m = n//10 sources (1–5); their mean is near E[n//10] for n
    uniform on 10..50, which is 105/41 ≈ 2.56."""
    counts = []
    for rec in records["ba"]:
        props = properties(rec["graph"])
        assert props["source_nodes"] == rec["params"]["m"] == rec["params"]["n"] // 10
        assert no_lower_neighbour(rec["graph"]) == rec["params"]["m"]
        counts.append(props["source_nodes"])
    assert set(counts) <= {1, 2, 3, 4, 5}
    assert abs(np.mean(counts) - 105 / 41) < 0.2


def test_star_ba_graphs_have_one_source() -> None:
    """With seed_graph=star (current networkx) every BA graph has one source, whatever m."""
    recs = generate(60, 0, generators=("ba",), params={"ba": {"seed_graph": "star"}})
    assert {properties(r["graph"])["source_nodes"] for r in recs} == {1}
    assert len({r["params"]["m"] for r in recs}) >= 4


def test_thesis_ws_graphs_have_about_six_sources(records: dict[str, list[dict]]) -> None:
    """WS graphs (p = 1, every edge rewired) have a varying number of sources, not set by k:
    about 6 on average, most between 3 and 8."""
    counts = np.array([properties(r["graph"])["source_nodes"] for r in records["ws"]])
    assert counts.tolist() == [no_lower_neighbour(r["graph"]) for r in records["ws"]]
    assert abs(counts.mean() - 5.8) < 0.4
    assert 0.8 < np.mean((counts >= 3) & (counts <= 8))
    assert counts.min() >= 1 and counts.max() <= 12
    by_k: dict[int, set[int]] = {}
    for rec, c in zip(records["ws"], counts):
        by_k.setdefault(rec["params"]["k"], set()).add(int(c))
    assert all(len(values) > 1 for k, values in by_k.items() if k >= 3)
