"""The study database: one SQLite file (``study.sqlite``) that holds a study's graphs, runs and
metadata, in a directory that holds any files the study makes (figures, checkpoints; use
``study.path``).

One module per reason to change: `base` (the connection, transactions, ``meta``), `schema`
(the tables, their version and the migrations: adding a column to ``runs`` is one line there),
`graphs` and `runs` (the two tables' methods), `weights` (each run's kept trained weights),
`study` (`Study`, which has them all; created, opened and migrated there). Import the names
from here: ``from randrnn.store import Study``.
"""

from randrnn.store.base import config_hash, utc_now
from randrnn.store.runs import RESULT_COLUMNS
from randrnn.store.schema import SCHEMA_VERSION, STATUSES
from randrnn.store.study import DB_NAME, DEFAULT_PATH, Study

__all__ = [
    "DB_NAME",
    "DEFAULT_PATH",
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "STATUSES",
    "Study",
    "config_hash",
    "utc_now",
]
