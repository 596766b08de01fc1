"""`Study`: a study directory and its database, made from the table groups of this package
(`graphs.GraphTable`, `runs.RunTable`, `weights.WeightTable`,
`curves.CurveTable`) on one connection (`base.Database`); created or opened
here, and migrated to the current schema on open (`schema`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from randrnn.errors import RandRNNError
from randrnn.store import schema
from randrnn.store.base import connect, dumps
from randrnn.store.curves import CurveTable
from randrnn.store.graphs import GraphTable
from randrnn.store.runs import RunTable
from randrnn.store.weights import WeightTable

DB_NAME = "study.sqlite"
DEFAULT_PATH = Path("study")


class Study(GraphTable, RunTable, WeightTable, CurveTable):
    """A study directory and its open database connection (one per object).

    Make one with ``Study.create(path)`` or ``Study.open(path)``; use it as a context manager
    or call ``close()``.
    """

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
        study = cls(path, connect(path / DB_NAME))
        try:
            study.execute_script(schema.schema())
            schema.upgrade(study)
            with study.transaction():
                version = study.get_meta("schema_version")
                if version is None:
                    study.set_meta("schema_version", schema.SCHEMA_VERSION)
                else:
                    schema.check_version(path, version)
                for key, value in (meta or {}).items():
                    old = study.get_meta(key)
                    if old is None:
                        study.set_meta(key, value)
                    elif dumps(old, canonical=True) != dumps(value, canonical=True):
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
        study = cls(path, connect(db))
        try:
            try:
                version = study.get_meta("schema_version")
            except sqlite3.DatabaseError as exc:
                raise RandRNNError(f"'{db}' is not a randrnn study database ({exc})") from exc
            if version is None:
                raise RandRNNError(f"'{db}' is not a randrnn study database (no schema_version)")
            schema.check_version(path, version)
            schema.upgrade(study)
        except BaseException:
            study.close()
            raise
        return study
