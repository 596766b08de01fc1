"""The ``run_curves`` table: a run's learning curve, one row per epoch, written with its result.

``run_curves``
    ``run_id`` (the run), ``epoch`` (1 .. epochs), ``train_loss`` and ``train_acc`` (running
    numbers over the epoch's batches, as seen during training), ``test_loss`` and ``test_acc``
    (the test strings after that epoch; NULL where the run was trained without them).

The table is created when a train-all first records curves (``IF NOT EXISTS``; no schema
version): a study trained before curves existed simply has none, and reads as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from randrnn.store.base import Database

CURVE_FIELDS = ("train_loss", "train_acc", "test_loss", "test_acc")

CURVES_TABLE = "run_curves"
CURVES_SCHEMA = """
CREATE TABLE IF NOT EXISTS run_curves (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    epoch INTEGER NOT NULL CHECK (epoch >= 1),
    train_loss REAL,
    train_acc REAL,
    test_loss REAL,
    test_acc REAL,
    PRIMARY KEY (run_id, epoch)
);
"""

# The long table `curves` returns: one row per (run, epoch).
CURVE_COLUMNS = ["run_id", "graph_id", "cell", "config_hash", "replicate", "epoch", *CURVE_FIELDS]


class CurveTable(Database):
    """The learning-curve methods of `randrnn.store.Study`."""

    def keep_curves_table(self) -> None:
        """Create the table if missing (not inside a transaction: it is DDL)."""
        self.execute_script(CURVES_SCHEMA)

    def put_curve(self, run_id: int, history: Sequence[dict]) -> None:
        """Keep a run's per-epoch records (``epoch`` and any of `CURVE_FIELDS`), replacing any
        kept before for that run."""
        rows = [
            {"run_id": run_id, "epoch": int(rec["epoch"]),
             **{name: _number(rec.get(name)) for name in CURVE_FIELDS}}
            for rec in history
        ]  # fmt: skip
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_curves WHERE run_id = :id", {"id": run_id})
            conn.executemany(
                "INSERT INTO run_curves (run_id, epoch, train_loss, train_acc, test_loss,"
                " test_acc) VALUES (:run_id, :epoch, :train_loss, :train_acc, :test_loss,"
                " :test_acc)",
                rows,
            )

    def curves(self, config_hash: str | None = None) -> list[dict]:
        """Every done run's curve in long form (`CURVE_COLUMNS`), by run then epoch; optionally
        one config's. Empty for a study without curves."""
        if not self.has_table(CURVES_TABLE):
            return []
        where = "WHERE r.status = 'done'"
        params = {}
        if config_hash is not None:
            where += " AND r.config_hash = :hash"
            params["hash"] = config_hash
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT c.run_id, r.graph_id, r.cell, r.config_hash, r.replicate, c.epoch,"
                " c.train_loss, c.train_acc, c.test_loss, c.test_acc"
                f" FROM run_curves c JOIN runs r ON r.id = c.run_id {where}"
                " ORDER BY r.graph_id, r.cell, r.config_hash, r.replicate, c.epoch",
                params,
            ).fetchall()
        return [dict(row) for row in rows]


def _number(value: object) -> float | None:
    """A float, or None for a missing value (NaN is stored as NULL: SQLite has no NaN)."""
    if value is None:
        return None
    value = float(value)  # type: ignore[arg-type]
    return None if math.isnan(value) else value
