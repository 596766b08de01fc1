"""The study database: one SQLite file that holds a study's graphs, runs and metadata.

A study is a directory (default ``./study``) holding ``study.sqlite`` and any files the study
makes (figures, checkpoints; use ``study.path``). The database has three tables of its own:

``meta``
    ``key TEXT PRIMARY KEY, value TEXT`` (JSON). ``schema_version`` lives here.
``graphs``
    One row per graph: ``id`` (the generation index, or the next free id for imported graphs),
    ``generator`` ('ws', 'ba', 'er', 'import:<file>', ...), ``params`` (JSON), ``seed``,
    ``nodes``, ``edges``, ``graph`` (node-link JSON), ``properties`` (JSON), ``created``.
``runs``
    One row per (graph, cell, config hash, replicate), so each model can land as 'done' only
    once: ``replicate`` (0, 1, ...: seed replicates of one pair under one config), ``status`` in
    pending/running/done/failed/interrupted, ``metrics`` (JSON), ``error``, ``attempts``,
    ``worker``, ``started``, ``finished`` (UTC ISO strings).

Schema versions: 1 had no ``replicate`` column; opening such a study rebuilds ``runs`` with
every old run as replicate 0, in one transaction (``_migrate``).

Other modules (pruning, engine) own their own tables: they create them with
``study.execute_script("CREATE TABLE IF NOT EXISTS ...")``, write through
``with study.transaction() as conn: ...`` and read through ``with study.reading() as conn: ...``
(no write lock). This module never reads or migrates those tables.

Every write runs in one ``BEGIN IMMEDIATE`` transaction that is committed on success and rolled
back on any exception, so a crash never leaves a half-written batch. The file is in WAL mode, so a
reader (a report, a progress display) can hold its own ``Study`` on the same directory while a
driver writes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from randrnn.errors import RandRNNError, check_name
from randrnn.graphs.io import from_json, to_json

if TYPE_CHECKING:
    from typing import Self

DB_NAME = "study.sqlite"
DEFAULT_PATH = Path("study")
SCHEMA_VERSION = 3
STATUSES = ("pending", "running", "done", "failed", "interrupted")
# Columns that every results table starts with, even when it is empty.
RESULT_COLUMNS = [
    "graph_id", "generator", "seed", "nodes", "edges", "cell", "config_hash", "replicate",
]  # fmt: skip


def _runs_table(name: str) -> str:
    """DDL of the runs table (a parameter, because the migration builds it under a new name)."""
    return f"""
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    graph_id INTEGER NOT NULL REFERENCES graphs(id),
    cell TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    config TEXT NOT NULL,
    replicate INTEGER NOT NULL DEFAULT 0 CHECK (replicate >= 0),
    status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
    metrics TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    started TEXT,
    finished TEXT,
    UNIQUE (graph_id, cell, config_hash, replicate)
);"""


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS graphs (
    id INTEGER PRIMARY KEY,
    generator TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{{}}',
    seed INTEGER,
    nodes INTEGER NOT NULL,
    edges INTEGER NOT NULL,
    graph TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{{}}',
    created TEXT NOT NULL
);
{_runs_table("runs")}
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
"""


def config_hash(config: dict) -> str:
    """Identify a training config: the first 16 hex digits of sha256 of its sorted-key JSON."""
    return hashlib.sha256(_dumps(config, canonical=True).encode()).hexdigest()[:16]


def utc_now() -> str:
    """The current UTC time as a fixed-width ISO string (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays (``np.int64`` is not a Python int)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _dumps(value: Any, canonical: bool = False) -> str:
    """JSON text; ``canonical`` sorts keys so equal values give equal text."""
    return json.dumps(value, sort_keys=canonical, default=_plain)


class Study:
    """A study directory and its open database connection (one per object).

    Make one with ``Study.create(path)`` or ``Study.open(path)``; use it as a context manager
    or call ``close()``.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        """Wrap an open connection; use ``create`` or ``open`` instead of calling this."""
        self.path = path
        self._conn = conn

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, path: str | Path = DEFAULT_PATH, meta: dict | None = None) -> Study:
        """Create the directory and schema, or open the study already there.

        ``meta`` keys are stored with ``set_meta``; a key the study already holds with a
        different value raises ``RandRNNError`` (a study's seed must not change under it).
        """
        path = Path(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RandRNNError(f"cannot create study directory '{path}': {exc.strerror}") from exc
        study = cls(path, _connect(path / DB_NAME))
        try:
            study.execute_script(_SCHEMA)
            study._upgrade()
            with study.transaction():
                version = study.get_meta("schema_version")
                if version is None:
                    study.set_meta("schema_version", SCHEMA_VERSION)
                else:
                    _check_version(path, version)
                for key, value in (meta or {}).items():
                    old = study.get_meta(key)
                    if old is None:
                        study.set_meta(key, value)
                    elif _dumps(old, canonical=True) != _dumps(value, canonical=True):
                        raise RandRNNError(
                            f"study at '{path}' already has {key}={old!r} (given {value!r})"
                        )
        except BaseException:
            study.close()
            raise
        return study

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PATH) -> Study:
        """Open an existing study; a missing directory or database raises ``RandRNNError``."""
        path = Path(path)
        db = path / DB_NAME
        if not db.is_file():
            raise RandRNNError(
                f"no study at '{path}' (create one with: randrnn generate --study {path})"
            )
        study = cls(path, _connect(db))
        try:
            try:
                version = study.get_meta("schema_version")
            except sqlite3.DatabaseError as exc:
                raise RandRNNError(f"'{db}' is not a randrnn study database ({exc})") from exc
            if version is None:
                raise RandRNNError(f"'{db}' is not a randrnn study database (no schema_version)")
            _check_version(path, version)
            study._upgrade()
        except BaseException:
            study.close()
            raise
        return study

    def _upgrade(self) -> None:
        """Bring a study written by an older randrnn to ``SCHEMA_VERSION``, all steps in one
        transaction (a failure leaves the old schema untouched)."""
        version = self.get_meta("schema_version")
        if version is None or version >= SCHEMA_VERSION:
            return
        # Rebuilding a table drops it; foreign keys are switched off for that (a no-op inside a
        # transaction, so here) and every reference is checked before the commit.
        self._conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction() as conn:
                version = self.get_meta("schema_version")  # another process may have upgraded
                while version < SCHEMA_VERSION:
                    _MIGRATIONS[version](conn)
                    version += 1
                    self.set_meta("schema_version", version)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RandRNNError(
                        f"cannot upgrade study at '{self.path}': {len(broken)} rows refer to "
                        f"missing rows (first in table {broken[0][0]})"
                    )
        finally:
            self._conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Study('{self.path}')"

    # ------------------------------------------------------------------ extension hooks

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Yield the connection inside one write transaction; roll back if the block raises.

        Nested use joins the outer transaction. Other modules write their own tables this way.
        """
        # IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
        # instead of one failing when it upgrades a read lock.
        return self._begin("IMMEDIATE")

    def reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """Yield the connection for reads that see one snapshot, without the write lock.

        A deferred transaction: in WAL mode it reads while a writer writes and never waits for
        one. Nested use joins the outer transaction. Other modules read their own tables this way.
        """
        return self._begin("DEFERRED")

    @contextmanager
    def _begin(self, mode: str) -> Iterator[sqlite3.Connection]:
        """One transaction of ``mode``, committed at the end, rolled back if the block raises."""
        if self._conn.in_transaction:
            yield self._conn
            return
        self._conn.execute(f"BEGIN {mode}")
        try:
            yield self._conn
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def execute_script(self, sql: str) -> None:
        """Run DDL (e.g. ``CREATE TABLE IF NOT EXISTS``) atomically: all of it or none.

        For modules that own their own tables. Not inside ``transaction()``; no BEGIN/COMMIT
        in ``sql``.
        """
        if self._conn.in_transaction:
            raise RandRNNError("execute_script cannot run inside a transaction")
        try:
            self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n;COMMIT;")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.rollback()
            raise

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, or ``default``."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = :key", {"key": key}).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Store ``value`` (anything JSON can hold) under ``key``, replacing an old value."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (:key, :value)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                {"key": key, "value": _dumps(value)},
            )

    # ------------------------------------------------------------------ graphs

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

    # ------------------------------------------------------------------ runs

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
            "config": _dumps(config, canonical=True),
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

    def finish_run(self, run_id: int, metrics: dict) -> None:
        """Mark a run 'done' with its metrics.

        Finishing a run that is already done is a no-op if the metrics are identical and a
        ``RandRNNError`` otherwise, so a pair is never recorded twice.
        """
        with self.transaction():
            if self._end_run(run_id, "done", metrics=_dumps(metrics), error=None):
                return
            old = json.loads(self._run_row(run_id)["metrics"])
            if _dumps(old, canonical=True) != _dumps(metrics, canonical=True):
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
                "UPDATE runs SET status = 'interrupted', error = :reason"
                " WHERE status = 'running'",
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


def _connect(db: Path) -> sqlite3.Connection:
    """Open the database in WAL mode with foreign keys on and explicit transactions."""
    # isolation_level=None: sqlite3 opens no implicit transactions; Study.transaction does.
    conn = sqlite3.connect(db, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RandRNNError(f"'{db}' is not a randrnn study database ({exc})") from exc
    return conn


def _add_replicate(conn: sqlite3.Connection) -> None:
    """Schema 1 → 2: runs gain ``replicate`` (old runs are replicate 0) and the unique key
    becomes (graph, cell, config hash, replicate). SQLite cannot change a UNIQUE constraint in
    place, so the table is rebuilt and renamed (inside the caller's transaction)."""
    columns = (
        "id, graph_id, cell, config_hash, config, status, metrics, error, attempts, worker,"
        " started, finished"
    )
    conn.execute(_runs_table("runs_v2"))
    conn.execute(f"INSERT INTO runs_v2 ({columns}, replicate) SELECT {columns}, 0 FROM runs")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    conn.execute("CREATE INDEX IF NOT EXISTS runs_status ON runs (status)")


def _derive_recipes(conn: sqlite3.Connection) -> None:
    """Schema 2 → 3: the meta ``recipes`` (data key → data recipe, `randrnn.tasks.recipe`) gets
    a recipe derived from each stored config's task and data key, for runs made before it."""
    from randrnn.tasks.recipe import derived

    found = {}
    for (text,) in conn.execute("SELECT DISTINCT config FROM runs"):
        config = json.loads(text)
        found.setdefault(str(config.get("data", "shipped")), derived(config))
    row = conn.execute("SELECT value FROM meta WHERE key = 'recipes'").fetchone()
    recipes = found | (json.loads(row[0]) if row else {})
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('recipes', :value)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        {"value": _dumps(recipes)},
    )


# Schema version → the step that upgrades a study from it to the next version.
_MIGRATIONS = {1: _add_replicate, 2: _derive_recipes}


def _check_version(path: Path, version: int) -> None:
    """Refuse a study written by a newer randrnn."""
    if version > SCHEMA_VERSION:
        raise RandRNNError(
            f"study at '{path}' has schema version {version}; this randrnn reads up to "
            f"{SCHEMA_VERSION} (upgrade randrnn)"
        )


def _check_status(status: str) -> None:
    """An unknown status fails here, listing the known ones."""
    if status not in STATUSES:
        check_name("run status", status, STATUSES)


def _graph_row(record: dict) -> dict:
    """A ``graphs`` table row (by column name) from an ``add_graphs`` record."""
    graph = record["graph"]
    text = graph if isinstance(graph, str) else to_json(graph)
    g = from_json(text) if isinstance(graph, str) else graph
    index = record.get("index")
    return {
        "id": None if index is None else int(index),
        "generator": str(record["generator"]),
        "params": _dumps(record.get("params") or {}),
        "seed": None if record.get("seed") is None else int(record["seed"]),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "graph": text,
        "properties": _dumps(record.get("properties") or {}),
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


def _run_dict(row: sqlite3.Row) -> dict:
    """A stored run as a dict with its JSON fields parsed."""
    run = dict(row)
    run["config"] = json.loads(run["config"])
    run["metrics"] = None if run["metrics"] is None else json.loads(run["metrics"])
    return run
