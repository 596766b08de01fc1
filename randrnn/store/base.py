"""The study database's connection: transactions, reads, DDL and the ``meta`` table.

`Database` wraps one SQLite connection; `randrnn.store.Study` adds the tables (`graphs`,
`runs`) and the lifecycle (create, open, migrate). Every write runs in one ``BEGIN IMMEDIATE``
transaction that is committed on success and rolled back on any exception, so a crash never
leaves a half-written batch. The file is in WAL mode, so a reader (a report, a progress
display) can hold its own ``Study`` on the same directory while a driver writes.

Other modules (pruning, kept weights) own their own tables: they create them with
``study.execute_script("CREATE TABLE IF NOT EXISTS ...")``, write through
``with study.transaction() as conn: ...`` and read through ``with study.reading() as conn: ...``
(no write lock).
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

from randrnn.errors import RandRNNError

if TYPE_CHECKING:
    from typing import Self


def config_hash(config: dict) -> str:
    """Identify a training config: the first 16 hex digits of sha256 of its sorted-key JSON."""
    return hashlib.sha256(dumps(config, canonical=True).encode()).hexdigest()[:16]


def utc_now() -> str:
    """The current UTC time as a fixed-width ISO string (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays (``np.int64`` is not a Python int)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any, canonical: bool = False) -> str:
    """JSON text; ``canonical`` sorts keys so equal values give equal text."""
    return json.dumps(value, sort_keys=canonical, default=_plain)


class Database:
    """A study directory and its open database connection (one per object)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        """Wrap an open connection; use ``Study.create`` or ``Study.open`` instead."""
        self.path = path
        self._conn = conn

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Study('{self.path}')"

    # ------------------------------------------------------------------ transactions

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

    def has_table(self, name: str) -> bool:
        """Whether the database holds the table ``name``: tables made on first use (kept
        weights, curves, pruning results) are absent from a study that never needed them."""
        found = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name", {"name": name}
        ).fetchone()
        return found is not None

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
                {"key": key, "value": dumps(value)},
            )


def connect(db: Path) -> sqlite3.Connection:
    """Open the database in WAL mode with foreign keys on and explicit transactions."""
    # isolation_level=None: sqlite3 opens no implicit transactions; Database.transaction does.
    conn = sqlite3.connect(db, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RandRNNError(f"'{db}' is not a randrnn study database ({exc})") from exc
    return conn
