"""The ``graphs`` table: a study's graphs, their parameters and properties."""

from __future__ import annotations

import json
import sqlite3

from randrnn.errors import RandRNNError
from randrnn.graphs.io import from_json, to_json
from randrnn.store.base import Database, dumps, utc_now


class GraphTable(Database):
    """The graph methods of `randrnn.store.Study`."""

    def add_graphs(self, records: list[dict]) -> list[int]:
        """Store graphs in one transaction and return their ids, in record order.

        Record keys: ``generator``, ``graph`` (an nx graph, or node-link JSON text), and
        optionally ``index`` (used as the id), ``params``, ``seed``, ``properties``. Records
        without an index get the next free ids. If any id is taken (or repeated in the batch),
        nothing is written and ``RandRNNError`` names the ids.
        """
        rows = [_graph_row(record) for record in records]
        with self.transaction() as conn:
            taken = {row["id"] for row in conn.execute("SELECT id FROM graphs")}
            given = [row["id"] for row in rows if row["id"] is not None]
            clashes = sorted({i for i in given if i in taken or given.count(i) > 1})
            if clashes:
                raise RandRNNError(f"graph ids already in the study or repeated: {clashes}")
            next_id = max([*taken, *given], default=-1) + 1
            for row in rows:
                if row["id"] is None:
                    row["id"] = next_id
                    next_id += 1
            conn.executemany(
                "INSERT INTO graphs (id, generator, params, seed, nodes, edges, graph,"
                " properties, created) VALUES (:id, :generator, :params, :seed, :nodes,"
                " :edges, :graph, :properties, :created)",
                rows,
            )
        return [row["id"] for row in rows]

    def graph_count(self) -> int:
        """Number of graphs in the study."""
        return self._conn.execute("SELECT COUNT(*) AS n FROM graphs").fetchone()["n"]

    def graph_ids(self) -> list[int]:
        """All graph ids, ascending."""
        return [row["id"] for row in self._conn.execute("SELECT id FROM graphs ORDER BY id")]

    def graphs(self) -> list[dict]:
        """All graphs by id: id, generator, params, seed, nodes, edges, graph (nx), properties."""
        rows = self._conn.execute("SELECT * FROM graphs ORDER BY id").fetchall()
        return [_graph_dict(row) for row in rows]

    def graph(self, graph_id: int) -> dict:
        """One graph as in ``graphs()``; an unknown id raises ``RandRNNError``."""
        row = self._conn.execute("SELECT * FROM graphs WHERE id = :id", {"id": graph_id}).fetchone()
        if row is None:
            raise RandRNNError(f"no graph {graph_id} in study '{self.path}'")
        return _graph_dict(row)


def _graph_row(record: dict) -> dict:
    """A ``graphs`` table row (by column name) from an ``add_graphs`` record."""
    graph = record["graph"]
    text = graph if isinstance(graph, str) else to_json(graph)
    g = from_json(text) if isinstance(graph, str) else graph
    index = record.get("index")
    return {
        "id": None if index is None else int(index),
        "generator": str(record["generator"]),
        "params": dumps(record.get("params") or {}),
        "seed": None if record.get("seed") is None else int(record["seed"]),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "graph": text,
        "properties": dumps(record.get("properties") or {}),
        "created": utc_now(),
    }


def _graph_dict(row: sqlite3.Row) -> dict:
    """A stored graph as a dict with its JSON fields parsed."""
    return {
        "id": row["id"],
        "generator": row["generator"],
        "params": json.loads(row["params"]),
        "seed": row["seed"],
        "nodes": row["nodes"],
        "edges": row["edges"],
        "graph": from_json(row["graph"]),
        "properties": json.loads(row["properties"]),
        "created": row["created"],
    }
