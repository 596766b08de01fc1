"""Read an atlas: `load` returns an `Atlas` of plain DataFrames, `Atlas.query` finds a graph's
runs under any relabelling, and `Atlas.study_path` gives the atlas as an ordinary study database
(made once per atlas checksum, in the cache) so that every analysis reads it as it reads a study.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pandas as pd

from randrnn.atlas import layout
from randrnn.atlas.hashing import base_hash, from_edge_list, matches, wl_hash
from randrnn.errors import RandRNNError

ENV = "RANDRNN_ATLAS"  # where load() looks first for the shipped atlas


def shipped_path() -> Path:
    """The shipped atlas: ``$RANDRNN_ATLAS``, else ``data/atlas`` of the repository randrnn is
    installed from (an editable install or a checkout)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path(__file__).resolve().parents[2] / "data" / "atlas"


def is_atlas(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding an atlas (its ``atlas.json``)."""
    return (Path(path) / layout.META).is_file()


def read_meta(path: str | Path) -> dict:
    """The ``atlas.json`` of an atlas; one-line errors for anything else."""
    path = Path(path)
    if not path.exists():
        raise RandRNNError(f"no atlas at '{path}' (export one: randrnn atlas export)")
    if not is_atlas(path):
        raise RandRNNError(f"'{path}' is not an atlas (no {layout.META} in it)")
    try:
        meta = json.loads((path / layout.META).read_text())
    except (OSError, ValueError) as exc:
        raise RandRNNError(
            f"'{path / layout.META}' is not readable atlas metadata ({exc})"
        ) from None
    if not isinstance(meta, dict) or meta.get("name") != "randrnn-atlas":
        raise RandRNNError(f"'{path}' is not a randrnn atlas ({layout.META} says otherwise)")
    if int(meta.get("format", 0)) > layout.FORMAT:
        raise RandRNNError(
            f"atlas '{path}' has format {meta['format']}; this randrnn reads up to"
            f" {layout.FORMAT} (upgrade randrnn)"
        )
    return meta


@dataclass
class Atlas:
    """A loaded atlas: its folder, meta (``atlas.json``) and tables."""

    path: Path
    meta: dict
    graphs: pd.DataFrame
    runs: pd.DataFrame
    curves: pd.DataFrame
    _graph_cache: dict = field(default_factory=dict, repr=False)

    @property
    def checksum(self) -> str:
        return str(self.meta["checksum"])

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def graph(self, graph_id: int, directed: bool = False) -> nx.Graph:
        """The graph ``graph_id`` (nodes 0..n-1 in the order that orients it); ``directed``:
        the DAG it trained."""
        key = (int(graph_id), directed)
        if key not in self._graph_cache:
            row = self.graphs.loc[self.graphs["graph_id"] == int(graph_id)]
            if row.empty:
                raise RandRNNError(f"no graph {graph_id} in atlas '{self.path}'")
            row = row.iloc[0]
            g = from_edge_list(row["nodes"], row["edge_list"], bool(row.get("directed", False)))
            if directed and not g.is_directed():
                from randrnn.graphs.dag import to_dag

                g = to_dag(g)
            self._graph_cache[key] = g
        return self._graph_cache[key]

    def find(self, graph: nx.Graph) -> list[int]:
        """Ids of the atlas graphs isomorphic to ``graph``: an undirected graph is matched with
        the atlas' undirected graphs, a directed one with the DAGs they trained."""
        directed = graph.is_directed()
        if self.meta.get("networkx") == nx.__version__:
            column = "dag_hash" if directed else "hash"
            hits = self.graphs[self.graphs[column].map(base_hash) == wl_hash(graph)]
        else:  # WL hashes changed between networkx versions: sizes narrow, the exact test decides
            size = (self.graphs["nodes"] == graph.number_of_nodes()) & (
                self.graphs["edges"] == graph.number_of_edges()
            )
            hits = self.graphs[size]
        found = []
        for gid in hits["graph_id"]:
            mine = self.graph(gid, directed=directed)
            if not directed and mine.is_directed():  # an imported DAG, asked undirected
                mine = mine.to_undirected()
            if matches(graph, mine):
                found.append(int(gid))
        return found

    def query(self, graph: nx.Graph | str | Path) -> pd.DataFrame:
        """The runs of ``graph`` (a networkx graph or a graph file) with its graph row joined;
        empty when the atlas does not hold it."""
        if not isinstance(graph, nx.Graph):
            from randrnn.graphs.io import read_graph

            graph = read_graph(graph)
        ids = self.find(graph)
        runs = self.runs[self.runs["graph_id"].isin(ids)]
        return runs.merge(self.graphs, on="graph_id", how="left").reset_index(drop=True)

    def study_path(self) -> Path:
        """A study database holding this atlas (graphs, runs, curves), made on first use in the
        cache and reused while the atlas' checksum is the same."""
        from randrnn.atlas.study import materialise

        problems = verify(self.path)
        if problems:  # the cache is keyed by the checksum atlas.json states: check it holds
            raise RandRNNError(f"atlas '{self.path}' is not intact: {'; '.join(problems)}")
        return materialise(self)


def load(path: str | Path | None = None) -> Atlas:
    """The atlas at ``path`` (default: the shipped one, `shipped_path`), as DataFrames."""
    path = Path(path) if path is not None else shipped_path()
    meta = read_meta(path)
    tables = []
    for name in (layout.GRAPHS, layout.RUNS, layout.CURVES):
        file = path / name
        if not file.is_file():
            raise RandRNNError(f"atlas '{path}' lacks {name}")
        try:
            tables.append(pd.read_parquet(file))
        except Exception as exc:  # noqa: BLE001 — pyarrow raises several kinds
            raise RandRNNError(f"cannot read {file}: {exc}") from None
    return Atlas(path, meta, *tables)


def verify(path: str | Path) -> list[str]:
    """The files of an atlas whose sha256 differs from its meta, or that are missing (empty:
    all intact). The weights file may be absent (it is not shipped), never different."""
    from randrnn.atlas.export import checksum, sha256

    path = Path(path)
    meta = read_meta(path)
    problems = []
    for name, digest in sorted(meta.get("files", {}).items()):
        file = path / name
        if not file.is_file():
            if name != layout.WEIGHTS:
                problems.append(f"{name} missing")
        elif sha256(file) != digest:
            problems.append(f"{name} changed (sha256 differs)")
    if checksum(meta.get("files", {})) != meta.get("checksum"):
        problems.append("atlas.json's checksum does not match its files' list")
    return problems
