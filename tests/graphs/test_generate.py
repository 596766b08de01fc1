"""Seeded graph generators (docs/method.md §3)."""

from __future__ import annotations

import networkx as nx
import pytest

from randrnn.errors import RandRNNError
from randrnn.graphs import GENERATORS, build_graph, generate, generate_graph, graph_seed
from randrnn.graphs.generate import parse_params

NAMES = sorted(GENERATORS)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_and_index_give_the_same_graph(name: str) -> None:
    """The same (study seed, index) regenerates an identical graph and record."""
    a, b = generate_graph(name, 5, 42), generate_graph(name, 5, 42)
    assert a["params"] == b["params"] and a["seed"] == b["seed"]
    assert list(a["graph"].nodes) == list(b["graph"].nodes)
    assert list(a["graph"].edges) == list(b["graph"].edges)


@pytest.mark.parametrize("name", NAMES)
def test_different_index_gives_a_different_graph(name: str) -> None:
    """Different indices (or study seeds) give different graphs."""
    edges = {frozenset(generate_graph(name, i, 42)["graph"].edges) for i in range(5)}
    assert len(edges) == 5
    assert set(generate_graph(name, 0, 43)["graph"].edges) != set(
        generate_graph(name, 0, 42)["graph"].edges
    )


@pytest.mark.parametrize("name", NAMES)
def test_record_regenerates_from_its_params_and_seed(name: str) -> None:
    """A stored record (generator, params, seed) rebuilds exactly its graph."""
    rec = generate_graph(name, 7, 3)
    again = build_graph(rec["generator"], rec["params"], rec["seed"])
    assert set(again.edges) == set(rec["graph"].edges)
    assert rec["seed"] == graph_seed(3, 7)


@pytest.mark.parametrize("name", NAMES)
def test_node_count_in_range_and_nodes_are_0_to_n_minus_1(name: str) -> None:
    """n lies in the inclusive node range and the nodes are 0..n-1."""
    for rec in generate(40, 1, generators=(name,), nodes=(10, 14)):
        n = rec["params"]["n"]
        assert 10 <= n <= 14
        assert list(rec["graph"].nodes) == list(range(n))
    assert {r["params"]["n"] for r in generate(40, 1, generators=(name,), nodes=(10, 14))} == {
        10,
        11,
        12,
        13,
        14,
    }


def test_ba_uses_thesis_parameters() -> None:
    """BA: m = n//10, grown from m isolated nodes, m·(n−m) edges."""
    for rec in generate(20, 9, generators=("ba",)):
        n, m = rec["params"]["n"], rec["params"]["m"]
        assert m == n // 10 and rec["params"]["seed_graph"] == "isolated"
        assert rec["graph"].number_of_edges() == m * (n - m)


def test_ws_uses_thesis_parameters() -> None:
    """WS: k = n//5, p = 1, n·(k//2) edges (k//2 neighbours a side), connected."""
    for rec in generate(20, 9, generators=("ws",)):
        n, k = rec["params"]["n"], rec["params"]["k"]
        assert k == n // 5 and rec["params"]["p"] == 1.0 and rec["params"]["tries"] == 10
        assert rec["graph"].number_of_edges() == n * (k // 2)
        assert nx.is_connected(rec["graph"])


def test_er_is_connected_with_documented_p() -> None:
    """ER: p = (n//5)/(n−1) by default and every graph is connected."""
    for rec in generate(20, 9, generators=("er",)):
        n = rec["params"]["n"]
        assert rec["params"]["p"] == pytest.approx((n // 5) / (n - 1))
        assert nx.is_connected(rec["graph"])


def test_round_robin_and_start() -> None:
    """Graph i uses generators[i % len]; `start` continues the same sequence."""
    recs = generate(4, 5)
    assert [r["generator"] for r in recs] == ["ws", "ba", "ws", "ba"]
    assert [r["index"] for r in recs] == [0, 1, 2, 3]
    tail = generate(2, 5, start=2)
    assert [set(r["graph"].edges) for r in tail] == [set(r["graph"].edges) for r in recs[2:]]


def test_params_override_thesis_defaults() -> None:
    """Overrides replace defaults: WS with p=0 is the ring lattice."""
    rec = generate_graph("ws", 0, 1, params={"p": 0.0, "k": 4, "n": 12})
    assert rec["params"] == {"n": 12, "k": 4, "p": 0.0, "tries": 10}
    assert nx.is_isomorphic(rec["graph"], nx.watts_strogatz_graph(12, 4, 0.0))
    recs = generate(2, 1, params={"ba": {"m": 2}})
    assert recs[1]["params"]["m"] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generators": ("xx",)}, "known: ws, ba, er"),
        ({"n": 0}, "number of graphs"),
        ({"nodes": (1, 5)}, "node range"),
        ({"nodes": (20, 10)}, "node range"),
        ({"nodes": (5, 9), "generators": ("ba",)}, "m=0"),
        ({"params": {"ws": {"k": 0}}}, "k=0"),
        ({"params": {"ws": {"q": 1}}}, "unknown parameter"),
        ({"params": {"er": {"p": 0}}, "generators": ("er",)}, "p=0"),
    ],
)
def test_bad_arguments_raise_one_clear_error(kwargs: dict, message: str) -> None:
    """Impossible requests raise RandRNNError with a one-line message."""
    args = {"n": 4, "seed": 1, **kwargs}
    with pytest.raises(RandRNNError, match=message) as info:
        generate(**args)
    assert "\n" not in str(info.value)


def test_unknown_generator_in_generate_graph() -> None:
    """generate_graph rejects an unknown name, listing the known ones."""
    with pytest.raises(RandRNNError, match="unknown graph generator 'sw'; known: ws, ba, er"):
        generate_graph("sw", 0, 1)


def test_parse_params_reads_generator_name_value() -> None:
    """'ba.seed_graph=star,ws.p=0.5,ws.k=4' → per-generator overrides with numbers read."""
    assert parse_params("ba.seed_graph=star, ws.p=0.5,ws.k=4") == {
        "ba": {"seed_graph": "star"},
        "ws": {"p": 0.5, "k": 4},
    }
    assert parse_params("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed_graph=star", "must look like generator.name=value"),
        ("ba.seed_graph", "must look like generator.name=value"),
        ("ba.=3", "must look like generator.name=value"),
        ("xx.m=2", "unknown graph generator 'xx'; known: ws, ba, er"),
    ],
)
def test_parse_params_rejects_bad_text_in_one_line(text: str, message: str) -> None:
    """Malformed overrides or an unknown generator raise one line."""
    with pytest.raises(RandRNNError, match=message) as info:
        parse_params(text)
    assert "\n" not in str(info.value)
