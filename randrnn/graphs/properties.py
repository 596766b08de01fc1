"""Graph properties: the thesis' 23 features (docs/method.md §6) and some extras.

The features are computed on the undirected graph with networkx, except the layer counts, which
come from the DAG. `_var` and `_std` are sample statistics (n-1 denominator); a statistic of a
single value has variance 0, of no values (edge betweenness of an edgeless graph) NaN.

Disconnected graphs (imported ones may be): diameter, average_shortest_path_length and
eccentricity are computed on the largest connected component (first in node order on ties);
the `connected_components` extra says how many components there were.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np

from randrnn.errors import RandRNNError
from randrnn.graphs.dag import layer_index, layers, to_dag
from randrnn.models.cells import family_gates
from randrnn.models.params import family_params

FEATURES: list[str] = [
    "layers",
    "nodes",
    "edges",
    "source_nodes",
    "sink_nodes",
    "diameter",
    "density",
    "average_shortest_path_length",
    "eccentricity_mean",
    "eccentricity_var",
    "eccentricity_std",
    "degree_mean",
    "degree_var",
    "degree_std",
    "closeness_mean",
    "closeness_var",
    "closeness_std",
    "nodes_betweenness_mean",
    "nodes_betweenness_var",
    "nodes_betweenness_std",
    "edge_betweenness_mean",
    "edge_betweenness_var",
    "edge_betweenness_std",
]

EXTRAS: list[str] = [
    "average_clustering",
    "transitivity",
    "widest_layer",
    "skip_edges",
    "dead_end_nodes",
    "longest_path",
    "connected_components",
    *(f"params_{family}" for family in family_gates()),  # the model's weights, per cell family
]


def _stats(prefix: str, values: Iterable[float]) -> dict[str, float]:
    """Mean, sample variance and sample standard deviation of `values`."""
    x = np.fromiter(values, dtype=float)
    if x.size == 0:
        mean = var = math.nan
    else:
        mean = float(x.mean())
        var = float(x.var(ddof=1)) if x.size > 1 else 0.0
    return {f"{prefix}_mean": mean, f"{prefix}_var": var, f"{prefix}_std": math.sqrt(var)}


def properties(g: nx.Graph, dag: nx.DiGraph | None = None) -> dict[str, float]:
    """FEATURES then EXTRAS of graph `g` (the DAG from `to_dag(g)` unless given)."""
    if g.number_of_nodes() < 2:
        raise RandRNNError(f"graph has {g.number_of_nodes()} node(s); properties need at least 2")
    dag = to_dag(g) if dag is None else dag
    u = nx.Graph(g.to_undirected()) if g.is_directed() or g.is_multigraph() else g
    n, m = u.number_of_nodes(), u.number_of_edges()

    index = layer_index(dag)
    layer_list = layers(dag, index)
    last = len(layer_list) - 1

    components = list(nx.connected_components(u))
    # max keeps the first of equal-sized components, i.e. the one found first in node order
    lcc = u if len(components) == 1 else u.subgraph(max(components, key=len))
    dist = dict(nx.all_pairs_shortest_path_length(lcc))
    ecc = nx.eccentricity(lcc, sp=dist)
    k = lcc.number_of_nodes()
    aspl = sum(sum(d.values()) for d in dist.values()) / (k * (k - 1)) if k > 1 else 0.0

    out: dict[str, float] = {
        "layers": len(layer_list),
        "nodes": n,
        "edges": m,
        "source_nodes": len(layer_list[0]),
        "sink_nodes": len(layer_list[-1]),
        "diameter": max(ecc.values()),  # = nx.diameter(lcc)
        "density": m / (n * (n - 1)),  # the thesis' formula: half of nx.density
        "average_shortest_path_length": aspl,  # = nx.average_shortest_path_length(lcc)
    }
    out |= _stats("eccentricity", ecc.values())
    out |= _stats("degree", nx.degree_centrality(u).values())
    out |= _stats("closeness", nx.closeness_centrality(u).values())
    out |= _stats("nodes_betweenness", nx.betweenness_centrality(u).values())
    out |= _stats("edge_betweenness", nx.edge_betweenness_centrality(u).values())

    out |= {
        "average_clustering": nx.average_clustering(u),
        "transitivity": nx.transitivity(u),
        "widest_layer": max(len(layer) for layer in layer_list),
        "skip_edges": sum(1 for a, b in dag.edges if index[b] - index[a] > 1),
        "dead_end_nodes": sum(1 for v in dag.nodes if dag.out_degree(v) == 0 and index[v] != last),
        "longest_path": nx.dag_longest_path_length(dag),
        "connected_components": len(components),
    }
    sizes = [len(layer) for layer in layer_list]
    params = family_params(sizes, dag.number_of_edges())
    out |= {f"params_{family}": count for family, count in params.items()}
    return {key: float(out[key]) for key in FEATURES + EXTRAS}
