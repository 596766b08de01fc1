"""From a graph to a DAG and its layer index (docs/method.md §3).

An undirected graph is oriented along its node order: every edge points from the node that
comes first to the one that comes later (nodes 0..n-1: u -> v for u < v), so the result is always
acyclic. A node's layer is the length of the longest path reaching it from a source::

    edges 0->2, 1->2, 1->3, 2->3, 2->4, 3->4   ->   layers 0, 0, 1, 2, 3   (four layers)
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx

from randrnn.errors import RandRNNError


def _cycle_error(g: nx.DiGraph) -> RandRNNError:
    cycle = nx.find_cycle(g)
    path = [str(u) for u, _v, *_ in cycle] + [str(cycle[0][0])]
    return RandRNNError("graph has a cycle: " + " -> ".join(path))


def to_dag(g: nx.Graph) -> nx.DiGraph:
    """The DAG of `g`: undirected edges oriented along node order; a directed g must be acyclic.

    Node order and node attributes are kept, isolated nodes included. Self-loops in an
    undirected graph cannot be oriented and raise RandRNNError (in a directed one, they are
    cycles). Parallel edges of a multigraph collapse to one.
    """
    if g.number_of_nodes() == 0:
        raise RandRNNError("graph has no nodes")
    dag = nx.DiGraph()
    dag.add_nodes_from(g.nodes(data=True))
    if g.is_directed():
        dag.add_edges_from(g.edges(data=True))
        if not nx.is_directed_acyclic_graph(dag):
            raise _cycle_error(dag)
        return dag
    loops = [u for u, v in nx.selfloop_edges(g)]
    if loops:
        raise RandRNNError(
            f"graph has a self-loop at node {loops[0]}, which cannot be oriented; remove it"
        )
    position = {node: i for i, node in enumerate(g.nodes)}
    dag.add_edges_from(
        (u, v, data) if position[u] < position[v] else (v, u, data)
        for u, v, data in g.edges(data=True)
    )
    return dag


def layer_index(dag: nx.DiGraph) -> dict[Hashable, int]:
    """Layer of every node: 0 without predecessors, else 1 + the maximum over its predecessors.

    That is the generation networkx' `topological_generations` puts a node in (a node joins
    once its last predecessor is placed), so its one topological pass computes it.
    Keys follow the graph's node order.
    """
    if not dag.is_directed():
        raise RandRNNError("layer_index needs a directed acyclic graph; orient it with to_dag")
    if dag.number_of_nodes() == 0:
        raise RandRNNError("graph has no nodes")
    try:
        layer = {v: i for i, nodes in enumerate(nx.topological_generations(dag)) for v in nodes}
    except nx.NetworkXUnfeasible:
        raise _cycle_error(dag) from None
    return {v: layer[v] for v in dag.nodes}


def layers(dag: nx.DiGraph, index: dict[Hashable, int] | None = None) -> list[list[Hashable]]:
    """The nodes of each layer, layer 0 first, each layer in the graph's node order."""
    index = layer_index(dag) if index is None else index
    out: list[list[Hashable]] = [[] for _ in range(max(index.values()) + 1)]
    for v in dag.nodes:
        out[index[v]].append(v)
    return out
