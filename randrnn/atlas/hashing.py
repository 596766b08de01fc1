"""A graph's identity in the atlas: its canonical edge list and two isomorphism-invariant hashes.

A run trains the DAG its graph orients to (`randrnn.graphs.dag.to_dag`: along node order), so
the atlas keeps each graph as its nodes renumbered 0..n-1 in that order and its edges sorted
(``edge_list``): the graph and its orientation, nothing else. Two hashes find a graph again
under any relabelling:

``hash``
    the undirected graph's Weisfeiler–Lehman hash (networkx), for a graph file without
    directions (an edge list, an undirected GraphML);
``dag_hash``
    the trained DAG's, for a directed file.

WL hashes of non-isomorphic graphs can collide: `resolve_collisions` gives each isomorphism
class within one hash its own suffix (``<hash>``, ``<hash>~1``, ...), checked exactly with
networkx's isomorphism test, and `matches` always confirms a hash match the same way.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence

import networkx as nx

WL_ITERATIONS = 4  # rounds of the WL hash; more separate more graphs, the exact check decides
SUFFIX = "~"


def canonical_edges(g: nx.Graph) -> list[list[int]]:
    """The edges of ``g`` with its nodes renumbered 0..n-1 in node order (the order that
    orients it), each edge (u, v) with u < v for an undirected graph, sorted."""
    position = {node: i for i, node in enumerate(g.nodes)}
    edges = []
    for u, v in g.edges():
        a, b = position[u], position[v]
        edges.append([min(a, b), max(a, b)] if not g.is_directed() else [a, b])
    return sorted(edges)


def edge_list_json(g: nx.Graph) -> str:
    """`canonical_edges` as compact JSON text (the atlas' ``edge_list`` column)."""
    return json.dumps(canonical_edges(g), separators=(",", ":"))


def from_edge_list(nodes: int, edge_list: str | Sequence, directed: bool = False) -> nx.Graph:
    """The graph of an ``edge_list`` column: nodes 0..nodes-1 in order, then the edges."""
    edges = json.loads(edge_list) if isinstance(edge_list, str) else edge_list
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(range(int(nodes)))
    g.add_edges_from((int(u), int(v)) for u, v in edges)
    return g


def wl_hash(g: nx.Graph) -> str:
    """The Weisfeiler–Lehman hash of the bare structure (no attributes), directed or not."""
    bare = nx.DiGraph() if g.is_directed() else nx.Graph()
    bare.add_nodes_from(g.nodes)
    bare.add_edges_from(g.edges())
    with warnings.catch_warnings():  # networkx 3.5 notes that its hashes changed: ours are new
        warnings.simplefilter("ignore", UserWarning)
        return nx.weisfeiler_lehman_graph_hash(bare, iterations=WL_ITERATIONS)


def base_hash(value: str) -> str:
    """The WL hash of a suffixed atlas hash."""
    return value.split(SUFFIX, 1)[0]


def resolve_collisions(graphs: Sequence[nx.Graph]) -> list[str]:
    """A hash per graph: equal exactly for isomorphic graphs. Graphs with one WL hash that are
    not isomorphic get suffixes ~1, ~2, ... in the order they first appear."""
    classes: dict[str, list[nx.Graph]] = {}
    out = []
    for g in graphs:
        base = wl_hash(g)
        seen = classes.setdefault(base, [])
        for k, rep in enumerate(seen):
            if nx.is_isomorphic(rep, g):
                break
        else:
            k = len(seen)
            seen.append(g)
        out.append(base if k == 0 else f"{base}{SUFFIX}{k}")
    return out


def matches(query: nx.Graph, candidate: nx.Graph) -> bool:
    """Whether two graphs are isomorphic (directed with directed, undirected with undirected)."""
    if query.is_directed() != candidate.is_directed():
        return False
    if (query.number_of_nodes(), query.number_of_edges()) != (
        candidate.number_of_nodes(),
        candidate.number_of_edges(),
    ):
        return False
    return nx.is_isomorphic(query, candidate)
