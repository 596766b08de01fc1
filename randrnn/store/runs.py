"""The ``runs`` table: one trained model per (graph, cell, config hash, replicate), its status
and metrics; what is left to train and what is done."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from randrnn.errors import RandRNNError, check_name
from randrnn.store.base import Database, config_hash, dumps, utc_now
from randrnn.store.schema import STATUSES

# Columns that every results table starts with, even when it is empty.
RESULT_COLUMNS = [
    "graph_id", "generator", "seed", "nodes", "edges", "cell", "config_hash", "replicate",
]  # fmt: skip


class RunTable(Database):
    """The run methods of `randrnn.store.Study`."""

    def todo(
        self, cells: list[str], config: dict, replicates: int = 1
    ) -> list[tuple[int, str, int]]:
        """(graph_id, cell, replicate) of every model with no 'done' run for this config, for
        replicates 0 .. ``replicates`` − 1, by graph id, then cell, then replicate."""
        done = {
            (row["graph_id"], row["cell"], row["replicate"])
            for row in self._conn.execute(
                "SELECT graph_id, cell, replicate FROM runs"
                " WHERE config_hash = :hash AND status = 'done'",
                {"hash": config_hash(config)},
            )
        }
        cells = list(dict.fromkeys(cells))
        return [
            (g, c, r)
            for g in self.graph_ids()
            for c in cells
            for r in range(replicates)
            if (g, c, r) not in done
        ]

    def start_run(
        self,
        graph_id: int,
        cell: str,
        config: dict,
        worker: str | None = None,
        replicate: int = 0,
    ) -> int:
        """Mark the (graph, cell, config, replicate) run 'running' (attempts + 1); return its id.

        Creates the row on first start; restarts a failed, interrupted or stale running row.
        A run that is already 'done' raises ``RandRNNError`` (its result is never reset).
        """
        row = {
            "graph_id": graph_id,
            "cell": cell,
            "config_hash": config_hash(config),
            "config": dumps(config, canonical=True),
            "replicate": int(replicate),
            "worker": worker,
            "started": utc_now(),
        }
        if row["replicate"] < 0:
            raise RandRNNError(f"replicate must be 0 or more, got {replicate}")
        with self.transaction() as conn:
            try:
                found = conn.execute(
                    "INSERT INTO runs (graph_id, cell, config_hash, config, replicate, status,"
                    " attempts, worker, started) VALUES (:graph_id, :cell, :config_hash, :config,"
                    " :replicate, 'running', 1, :worker, :started)"
                    " ON CONFLICT (graph_id, cell, config_hash, replicate) DO UPDATE SET"
                    " status = 'running', attempts = runs.attempts + 1, worker = excluded.worker,"
                    " started = excluded.started, finished = NULL, metrics = NULL, error = NULL"
                    " WHERE runs.status != 'done'"
                    " RETURNING id",
                    row,
                ).fetchall()
            except sqlite3.IntegrityError as exc:
                raise RandRNNError(f"no graph {graph_id} in study '{self.path}'") from exc
        if not found:
            raise RandRNNError(
                f"run of graph {graph_id} with {cell} (config {row['config_hash']}, replicate "
                f"{row['replicate']}) is already done"
            )
        return found[0]["id"]

    def finish_run(
        self,
        run_id: int,
        metrics: dict,
        device: str | None = None,
        engine: str | None = None,
        code: str | None = None,
    ) -> None:
        """Mark a run 'done' with its metrics, and where and with which code it trained
        (provenance, not config).

        Finishing a run that is already done is a no-op if the metrics are identical and a
        ``RandRNNError`` otherwise, so a pair is never recorded twice.
        """
        with self.transaction():
            ended = self._end_run(run_id, "done", metrics=dumps(metrics), error=None,
                                  device=device, engine=engine, code=code)  # fmt: skip
            if ended:
                return
            old = json.loads(self._run_row(run_id)["metrics"])
            if dumps(old, canonical=True) != dumps(metrics, canonical=True):
                raise RandRNNError(f"run {run_id} is already done with other metrics")

    def fail_run(self, run_id: int, error: str) -> None:
        """Mark a run 'failed' with its error text; a done run raises ``RandRNNError``."""
        with self.transaction():
            if not self._end_run(run_id, "failed", error=error):
                self._run_row(run_id)
                raise RandRNNError(f"run {run_id} is already done; not marking it failed")

    def _end_run(self, run_id: int, status: str, **fields: str | None) -> bool:
        """Set a run that is not done to ``status`` with ``fields`` (column → value) and the
        finishing time; False if the run is done already (or unknown)."""
        sets = "".join(f", {column} = :{column}" for column in fields)
        with self.transaction() as conn:
            return bool(
                conn.execute(
                    f"UPDATE runs SET status = :status{sets}, finished = :finished"
                    " WHERE id = :id AND status != 'done'",
                    {"id": run_id, "status": status, "finished": utc_now(), **fields},
                ).rowcount
            )

    def mark_interrupted(self, reason: str = "still running when a new driver started") -> int:
        """Mark every 'running' run 'interrupted' (``reason`` as its error) and return how many.

        Call it when a new driver starts (a run still 'running' then was cut off), or when the
        driver itself is stopped.
        """
        with self.transaction() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'interrupted', error = :reason WHERE status = 'running'",
                {"reason": reason},
            ).rowcount

    def runs(self, status: str | None = None) -> list[dict]:
        """All runs by id (config and metrics parsed), optionally only one status."""
        if status is None:
            rows = self._conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
        else:
            _check_status(status)
            rows = self._conn.execute(
                "SELECT * FROM runs WHERE status = :status ORDER BY id", {"status": status}
            ).fetchall()
        return [_run_dict(row) for row in rows]

    def run_counts(self, config: dict | None = None) -> dict[str, int]:
        """Number of runs per status (every status present, zeros included)."""
        sql = "SELECT status, COUNT(*) AS n FROM runs"
        params: dict[str, Any] = {}
        if config is not None:
            sql += " WHERE config_hash = :hash"
            params["hash"] = config_hash(config)
        counts = dict.fromkeys(STATUSES, 0)
        for row in self._conn.execute(sql + " GROUP BY status", params):
            counts[row["status"]] = row["n"]
        return counts

    def configs(self) -> list[dict]:
        """One entry per (config, cell) with done runs, by config hash then cell: ``config_hash``,
        ``config`` (dict), ``cell``, ``runs`` (done), ``graphs``, ``replicates`` (distinct)."""
        rows = self._conn.execute(
            "SELECT config_hash, MIN(config) AS config, cell, COUNT(*) AS runs,"
            " COUNT(DISTINCT graph_id) AS graphs, COUNT(DISTINCT replicate) AS replicates"
            " FROM runs WHERE status = 'done' GROUP BY config_hash, cell"
            " ORDER BY config_hash, cell"
        ).fetchall()
        return [{**dict(row), "config": json.loads(row["config"])} for row in rows]

    def done_runs(self, config_hash: str | None = None) -> list[dict]:
        """Every done run (optionally of one config) joined with its graph, by graph, cell,
        config and replicate: ``RESULT_COLUMNS`` and the parsed ``params``, ``properties`` and
        ``metrics``. The analysis shapes them into a table (`randrnn.analysis.table.runs_frame`).
        """
        where = "WHERE r.status = 'done'"
        params: dict[str, Any] = {}
        if config_hash is not None:
            where += " AND r.config_hash = :hash"
            params["hash"] = config_hash
        rows = self._conn.execute(
            "SELECT r.graph_id, r.cell, r.config_hash, r.replicate, r.metrics, g.generator,"
            " g.seed, g.nodes, g.edges, g.params, g.properties"
            f" FROM runs r JOIN graphs g ON g.id = r.graph_id {where}"
            " ORDER BY r.graph_id, r.cell, r.config_hash, r.replicate",
            params,
        ).fetchall()
        return [
            {**{name: row[name] for name in RESULT_COLUMNS},
             **{key: json.loads(row[key]) for key in ("params", "properties", "metrics")}}
            for row in rows
        ]  # fmt: skip

    def _run_row(self, run_id: int) -> sqlite3.Row:
        """The raw row of one run; an unknown id raises ``RandRNNError``."""
        row = self._conn.execute("SELECT * FROM runs WHERE id = :id", {"id": run_id}).fetchone()
        if row is None:
            raise RandRNNError(f"no run {run_id} in study '{self.path}'")
        return row


def _check_status(status: str) -> None:
    """An unknown status fails here, listing the known ones."""
    if status not in STATUSES:
        check_name("run status", status, STATUSES)


def _run_dict(row: sqlite3.Row) -> dict:
    """A stored run as a dict with its JSON fields parsed."""
    run = dict(row)
    run["config"] = json.loads(run["config"])
    run["metrics"] = None if run["metrics"] is None else json.loads(run["metrics"])
    return run
