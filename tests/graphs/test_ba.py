"""Barabási–Albert graphs: both seed graphs checked against the process as published."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn.errors import RandRNNError
from randrnn.graphs import build_graph, generate, generate_graph, to_dag
from randrnn.graphs.generate import ba_isolated_graph


@st.composite
def sizes(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(2, 80))
    m = draw(st.integers(1, n - 1))
    return n, m, draw(st.integers(0, 2**32 - 1))


def lower_neighbours(g: nx.Graph, v: int) -> set[int]:
    return {u for u in g[v] if u < v}


def sources(g: nx.Graph) -> list[int]:
    """Nodes without a predecessor after orientation by node order, read off the DAG."""
    dag = to_dag(g)
    return [v for v in dag.nodes if dag.in_degree(v) == 0]


@given(sizes())
@settings(max_examples=80, deadline=None)
def test_isolated_seed_follows_the_published_process(size: tuple[int, int, int]) -> None:
    """m isolated seed nodes; node m joins all of them; every later node has m lower neighbours;
    m·(n−m) edges; after orientation exactly the m seed nodes are sources."""
    n, m, seed = size
    g = ba_isolated_graph(n, m, seed)
    assert list(g.nodes) == list(range(n))
    assert g.number_of_edges() == m * (n - m)
    assert nx.number_of_selfloops(g) == 0
    assert g.subgraph(range(m)).number_of_edges() == 0
    assert lower_neighbours(g, m) == set(range(m))
    assert all(len(lower_neighbours(g, v)) == m for v in range(m, n))
    assert sources(g) == list(range(m))


@given(sizes())
@settings(max_examples=40, deadline=None)
def test_isolated_seed_is_deterministic_per_seed(size: tuple[int, int, int]) -> None:
    """The same (n, m, seed) gives the same edges."""
    n, m, seed = size
    assert set(ba_isolated_graph(n, m, seed).edges) == set(ba_isolated_graph(n, m, seed).edges)


@given(sizes())
@settings(max_examples=40, deadline=None)
def test_star_seed_is_current_networkx(size: tuple[int, int, int]) -> None:
    """seed_graph=star is networkx' barabasi_albert_graph: m·(n−m) edges and one source."""
    n, m, seed = size
    g = build_graph("ba", {"n": n, "m": m, "seed_graph": "star"}, seed)
    assert set(g.edges) == set(nx.barabasi_albert_graph(n, m, seed=seed).edges)
    assert g.number_of_edges() == m * (n - m)
    assert sources(g) == [0]


def test_second_new_node_attaches_by_degree_closed_form() -> None:
    """n=4, m=2: node 3 draws ∝ degree (1, 1, 2) until 2 distinct, so it joins node 2 with
    probability 1 − 2·(1/4)(1/3) = 5/6 (uniform choice would give 2/3)."""
    trials = 4000
    hits = sum(ba_isolated_graph(4, 2, seed).has_edge(3, 2) for seed in range(trials))
    sd = np.sqrt(5 / 6 * 1 / 6 / trials)
    assert abs(hits / trials - 5 / 6) < 4 * sd


def numpy_ba_isolated(n: int, m: int, rng: np.random.RandomState) -> np.ndarray:
    """A second implementation: degrees of the same process, each new node choosing m nodes
    by weighted sampling without replacement over the current degrees (numpy's sequential
    renormalised draws, which is what redrawing repeats amounts to)."""
    degree = np.zeros(n)
    degree[:m] = 1  # node m joins all m seed nodes
    degree[m] = m
    for new in range(m + 1, n):
        weights = degree[:new] / degree[:new].sum()
        targets = rng.choice(new, size=m, replace=False, p=weights)
        degree[targets] += 1
        degree[new] = m
    return degree


def test_degree_profile_matches_a_second_implementation() -> None:
    """Mean degree of every node over many graphs agrees with an independent numpy simulation
    of the process, and older nodes end with higher degree (preferential attachment)."""
    n, m, runs = 30, 3, 1500
    ours = np.array(
        [[d for _, d in sorted(ba_isolated_graph(n, m, s).degree)] for s in range(runs)]
    )
    rng = np.random.RandomState(0)
    other = np.array([numpy_ba_isolated(n, m, rng) for _ in range(runs)])
    se = np.sqrt((ours.var(axis=0) + other.var(axis=0)) / runs)
    assert np.all(np.abs(ours.mean(axis=0) - other.mean(axis=0)) < 4.5 * se + 1e-9)
    mean = ours.mean(axis=0)
    assert mean[m] > mean[m + 5] > mean[15] > mean[n - 1] == m
    # the seed nodes are older than node m but start with degree 1, not m
    assert mean[:m].mean() < mean[m]


def test_thesis_default_is_isolated_and_recorded() -> None:
    """generate() records seed_graph; the thesis default is 'isolated', 'star' can be chosen."""
    rec = generate_graph("ba", 1, 0)
    assert rec["params"]["seed_graph"] == "isolated"
    assert sources(rec["graph"]) == list(range(rec["params"]["m"]))
    star = generate_graph("ba", 1, 0, params={"seed_graph": "star"})
    assert star["params"] == {**rec["params"], "seed_graph": "star"}
    assert set(star["graph"].edges) == set(
        nx.barabasi_albert_graph(star["params"]["n"], star["params"]["m"], seed=star["seed"]).edges
    )


def test_record_without_seed_graph_rebuilds_as_the_star_it_was_made_with() -> None:
    """A record stored before seed_graph existed was grown from a star and rebuilds so."""
    g = build_graph("ba", {"n": 25, "m": 2}, 99)
    assert set(g.edges) == set(nx.barabasi_albert_graph(25, 2, seed=99).edges)


def test_unknown_seed_graph_is_one_line() -> None:
    """An unknown seed graph fails once, listing the known ones."""
    with pytest.raises(RandRNNError, match="unknown ba seed_graph 'ring'; known: isolated, star"):
        generate(2, 0, params={"ba": {"seed_graph": "ring"}})
