"""The study database's own tables, their schema version, and the steps that migrate an older
study (run when it is opened).

Tables:

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
    ``worker``, ``started``, ``finished`` (UTC ISO strings), and the `RUN_COLUMNS` added since.

Versions: 1 had no ``replicate`` column (`_add_replicate` rebuilds ``runs``); 2 is the table
above; each entry of `RUN_COLUMNS` with a higher version is one more (3: ``device`` and
``engine``; 5: ``code``); 4 derives the data recipes of older runs (meta only, `_derive_recipes`).

Adding a column to ``runs`` is one line: append ``(version, name, "TYPE DEFAULT ...")`` to
`RUN_COLUMNS`, with the next version number, `SCHEMA_VERSION` + 1 (one number per change that
ships; two changes never share one, and a version a `MIGRATIONS` step made is taken: a clash
fails at import). `SCHEMA_VERSION` follows, a new study gets the column in its ``CREATE TABLE``, and an
older study gets it by ``ALTER TABLE runs ADD COLUMN`` when it is opened (give a ``DEFAULT``, or
accept NULL, for the rows already there). Writing and reading the value is `runs.RunTable`'s
business (``start_run``, ``finish_run``, ``done_runs``). Any other change (a new constraint, a
rebuilt table, a meta value) is a function in `MIGRATIONS` under the version it upgrades from
(`SCHEMA_VERSION` then), which raises `SCHEMA_VERSION` by one. tests/test_store.py checks both
kinds on a study written with the old DDL.

Other modules (pruning, kept weights) own their own tables, created with ``CREATE TABLE IF NOT
EXISTS`` when first written (`Study.execute_script`); they need no version, and this module
never reads or migrates them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from randrnn.errors import RandRNNError

if TYPE_CHECKING:
    from randrnn.store.base import Database

STATUSES = ("pending", "running", "done", "failed", "interrupted")

# Columns added to ``runs`` after version 2: (the version that adds it, name, SQL type and
# default). Adding a column is adding a line here (see the module docstring).
RUN_COLUMNS: list[tuple[int, str, str]] = [
    (3, "device", "TEXT"),  # where a run trained: provenance, not config (NULL before 3)
    (3, "engine", "TEXT"),
    (5, "code", "TEXT"),  # the code that trained it (`randrnn.version.code_version`; NULL before 5)
]

_BASE_VERSION = 2  # the version of the tables above, before any of RUN_COLUMNS
SCHEMA_VERSION = max([_BASE_VERSION, *(version for version, _, _ in RUN_COLUMNS)])  # see MIGRATIONS


def runs_table(name: str, version: int | None = None) -> str:
    """DDL of the runs table at ``version`` (default: the current one); a parameter, because a
    migration builds it under a new name."""
    version = SCHEMA_VERSION if version is None else version
    added = "".join(f"\n    {col} {sql}," for v, col, sql in RUN_COLUMNS if v <= version)
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
    finished TEXT,{added}
    UNIQUE (graph_id, cell, config_hash, replicate)
);"""


def schema() -> str:
    """DDL of a new study's tables (``IF NOT EXISTS``: running it on a study changes nothing)."""
    return f"""
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
{runs_table("runs")}
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
"""


def _add_replicate(conn: sqlite3.Connection) -> None:
    """Schema 1 → 2: runs gain ``replicate`` (old runs are replicate 0) and the unique key
    becomes (graph, cell, config hash, replicate). SQLite cannot change a UNIQUE constraint in
    place, so the table is rebuilt and renamed (inside the caller's transaction)."""
    columns = (
        "id, graph_id, cell, config_hash, config, status, metrics, error, attempts, worker,"
        " started, finished"
    )
    conn.execute(runs_table("runs_v2", version=2))
    conn.execute(f"INSERT INTO runs_v2 ({columns}, replicate) SELECT {columns}, 0 FROM runs")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    conn.execute("CREATE INDEX IF NOT EXISTS runs_status ON runs (status)")


# Schema version → the step that upgrades a study from it to the next version (other than a
# column added to runs: those are `RUN_COLUMNS`).
def _derive_recipes(conn: sqlite3.Connection) -> None:
    """Schema 3 → 4: the meta ``recipes`` (data key → data recipe, `randrnn.tasks.recipe`) gets
    a recipe derived from each stored config's task and data key, for runs made before it."""
    import json

    from randrnn.store.base import dumps
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
        {"value": dumps(recipes)},
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _add_replicate,
    3: _derive_recipes,
}
# A migration that only touches other tables (meta) raises the version too.
SCHEMA_VERSION = max(SCHEMA_VERSION, *(version + 1 for version in MIGRATIONS))
# Each version after the base is made by exactly one kind of step: columns of RUN_COLUMNS or a
# function of MIGRATIONS. A column given a version a migration already took would never reach
# the studies at that version, so a clash fails here, at import, not in a user's study.
_COLUMN_VERSIONS = {version for version, _, _ in RUN_COLUMNS}
_MIGRATED_TO = {version + 1 for version in MIGRATIONS}
assert not _COLUMN_VERSIONS & _MIGRATED_TO, "RUN_COLUMNS and MIGRATIONS share a version"
assert _COLUMN_VERSIONS | _MIGRATED_TO == set(range(2, SCHEMA_VERSION + 1)), "a version gap"


def migration(version: int) -> Callable[[sqlite3.Connection], None]:
    """The step from ``version`` to ``version + 1``: a `MIGRATIONS` function, else adding the
    `RUN_COLUMNS` of the next version."""
    if version in MIGRATIONS:
        return MIGRATIONS[version]
    added = [(col, sql) for v, col, sql in RUN_COLUMNS if v == version + 1]
    if not added:
        raise RandRNNError(f"no migration from schema version {version}")

    def add_columns(conn: sqlite3.Connection) -> None:
        for col, sql in added:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {col} {sql}")

    return add_columns


def upgrade(db: Database) -> None:
    """Bring a study written by an older randrnn to `SCHEMA_VERSION`, all steps in one
    transaction (a failure leaves the old schema untouched)."""
    version = db.get_meta("schema_version")
    if version is None or version >= SCHEMA_VERSION:
        return
    # Rebuilding a table drops it; foreign keys are switched off for that (a no-op inside a
    # transaction, so here) and every reference is checked before the commit.
    db._conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.transaction() as conn:
            version = db.get_meta("schema_version")  # another process may have upgraded
            while version < SCHEMA_VERSION:
                migration(version)(conn)
                version += 1
                db.set_meta("schema_version", version)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RandRNNError(
                    f"cannot upgrade study at '{db.path}': {len(broken)} rows refer to "
                    f"missing rows (first in table {broken[0][0]})"
                )
    finally:
        db._conn.execute("PRAGMA foreign_keys = ON")


def check_version(path: Path, version: int) -> None:
    """Refuse a study written by a newer randrnn."""
    if version > SCHEMA_VERSION:
        raise RandRNNError(
            f"study at '{path}' has schema version {version}; this randrnn reads up to "
            f"{SCHEMA_VERSION} (upgrade randrnn)"
        )
