"""The ``run_weights`` table: the trained weights of a run, kept so that pruning starts from the
model that train-all trained (`randrnn.models.weights` packs them; this module stores bytes).

``run_weights``
    ``run_id`` (the run, one row at most), ``layout`` (hash of the kept entries' names and
    shapes), ``weights`` (BLOB, float32), written in the transaction that marks the run done.

The table is created when a train-all first keeps weights (``IF NOT EXISTS``; no schema
version): a study without it simply has no kept weights.
"""

from __future__ import annotations

import json

from randrnn.store.base import Database

WEIGHTS_TABLE = "run_weights"
WEIGHTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS run_weights (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    layout TEXT NOT NULL,
    weights BLOB NOT NULL
);
"""


class WeightTable(Database):
    """The kept-weights methods of `randrnn.store.Study`."""

    def keep_weights_table(self) -> None:
        """Create the table if missing (not inside a transaction: it is DDL)."""
        self.execute_script(WEIGHTS_SCHEMA)

    def put_weights(self, run_id: int, layout: str, weights: bytes) -> None:
        """Keep a run's weights (replacing any kept before)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_weights (run_id, layout, weights)"
                " VALUES (:run_id, :layout, :weights)",
                {"run_id": run_id, "layout": layout, "weights": weights},
            )

    def run_weights(self, run_id: int) -> tuple[str, bytes] | None:
        """(layout, bytes) kept for a run, or None."""
        if not self.has_table(WEIGHTS_TABLE):
            return None
        with self.reading() as conn:
            row = conn.execute(
                "SELECT layout, weights FROM run_weights WHERE run_id = :id", {"id": run_id}
            ).fetchone()
        return None if row is None else (row["layout"], bytes(row["weights"]))

    def kept_runs(self) -> set[int]:
        """Ids of the runs with kept weights."""
        if not self.has_table(WEIGHTS_TABLE):
            return set()
        with self.reading() as conn:
            return {row["run_id"] for row in conn.execute("SELECT run_id FROM run_weights")}

    def kept_weights(
        self, graph_id: int, cell: str, config_hash: str, replicate: int = 0
    ) -> dict | None:
        """The done run of (graph, cell, config hash, replicate) with its kept weights:
        ``run_id``, ``metrics`` (parsed), ``layout``, ``weights``; None if it has none."""
        if not self.has_table(WEIGHTS_TABLE):
            return None
        with self.reading() as conn:
            row = conn.execute(
                "SELECT r.id AS run_id, r.metrics, w.layout, w.weights FROM runs r"
                " JOIN run_weights w ON w.run_id = r.id WHERE r.graph_id = :graph"
                " AND r.cell = :cell AND r.config_hash = :hash AND r.replicate = :replicate"
                " AND r.status = 'done'",
                {"graph": graph_id, "cell": cell, "hash": config_hash, "replicate": replicate},
            ).fetchone()
        if row is None:
            return None
        return {
            **dict(row),
            "metrics": json.loads(row["metrics"]),
            "weights": bytes(row["weights"]),
        }
