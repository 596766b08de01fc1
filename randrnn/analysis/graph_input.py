"""A graph as the graph-reading predictors see it: the DAG the model is built from, each node
labelled with its layer index and its in- and out-degree (docs/method.md §7).

One example: the graph with edges 0-2, 1-2, 1-3, 2-3, 2-4, 3-4 is oriented along node order
(`randrnn.graphs.dag.to_dag`) and gets the layers 0, 0, 1, 2, 3; node 2 has in-degree 2 and
out-degree 2, so its label is ``"1|2|2"`` (degrees clipped at 2) and its numeric features are (layer 1, in 2, out 2).
Plain numpy and networkx: no GraKeL or PyTorch Geometric here, so the core install reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from randrnn.errors import RandRNNError
from randrnn.graphs.dag import layer_index, to_dag

GRAPH = "graph_id"  # the column naming a row's graph
LAYER_CAP = 12  # deeper layers share a label
DEGREE_CAP = 2  # degrees 0, 1 and "2 or more"


@dataclass(frozen=True)
class GraphInput:
    """One encoded graph: ``edges`` (2, E) node positions u → v along the DAG, and per node its
    ``layer``, ``indeg`` and ``outdeg`` (int arrays of the graph's node count)."""

    edges: np.ndarray
    layer: np.ndarray
    indeg: np.ndarray
    outdeg: np.ndarray

    @property
    def nodes(self) -> int:
        return len(self.layer)

    def labels(self, layer_cap: int = LAYER_CAP, degree_cap: int = DEGREE_CAP) -> list[str]:
        """Each node's discrete label 'layer|in|out', each number clipped at its cap (so that
        labels recur across graphs: a label no training graph has carries no information)."""
        return [
            f"{min(a, layer_cap)}|{min(b, degree_cap)}|{min(c, degree_cap)}"
            for a, b, c in zip(self.layer, self.indeg, self.outdeg)
        ]


def encode(g: nx.Graph) -> GraphInput:
    """The DAG of ``g`` (oriented as the model orients it) with its layers and degrees."""
    dag = to_dag(g)
    position = {v: i for i, v in enumerate(dag.nodes)}
    index = layer_index(dag)
    edges = np.array([[position[u], position[v]] for u, v in dag.edges], dtype=np.int64)
    return GraphInput(
        edges=edges.T.reshape(2, -1),
        layer=np.array([index[v] for v in dag.nodes], dtype=np.int64),
        indeg=np.array([dag.in_degree(v) for v in dag.nodes], dtype=np.int64),
        outdeg=np.array([dag.out_degree(v) for v in dag.nodes], dtype=np.int64),
    )


def study_graphs(df: pd.DataFrame, ids: Sequence[int], why: str) -> dict[int, nx.Graph]:
    """The graphs with ``ids`` from the study the table was read from (``df.attrs['study']``,
    set by `randrnn.analysis.table.load_study`); a table read from a CSV has none: one error
    line saying so, ``why`` naming what needs them."""
    path = df.attrs.get("study")
    if path is None:
        raise RandRNNError(
            f"{why}: predicting from the graph itself needs the study's graphs, and "
            f"{df.attrs.get('source', 'this table')} holds only their properties: give --study"
        )
    from randrnn.store import Study

    wanted = {int(i) for i in ids}
    with Study.open(path) as study:
        found = {g["id"]: g["graph"] for g in study.graphs() if g["id"] in wanted}
    missing = sorted(wanted - set(found))
    if missing:
        raise RandRNNError(f"study '{path}' has no graph {missing[0]} (of {len(missing)} missing)")
    return found


def encode_rows(graph_ids: np.ndarray, graphs: Mapping[int, nx.Graph]) -> list[GraphInput]:
    """The encoded graph of each row (a graph with several rows is encoded once)."""
    missing = sorted({int(i) for i in graph_ids} - {int(k) for k in graphs})
    if missing:
        raise RandRNNError(f"no graph given for graph id {missing[0]}")
    done = {int(i): encode(graphs[int(i)]) for i in dict.fromkeys(graph_ids.tolist())}
    return [done[int(i)] for i in graph_ids]
