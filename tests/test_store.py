"""Tests for the study database (randrnn.store)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import pytest

from randrnn.analysis.table import runs_frame
from randrnn.errors import RandRNNError
from randrnn.store import RESULT_COLUMNS, SCHEMA_VERSION, STATUSES, Study, config_hash, schema

CONFIG = {"epochs": 15, "lr": 0.001, "batch_size": 128}
METRICS = {"test_acc": 0.9, "test_loss": 0.3}


def record(index: int | None, n: int = 6, generator: str = "ws") -> dict:
    """An add_graphs record with a small seeded graph and two properties."""
    g = nx.connected_watts_strogatz_graph(n, 2, 0.5, seed=n)
    return {
        "index": index,
        "generator": generator,
        "params": {"n": n, "k": 2},
        "seed": 100 + n,
        "graph": g,
        "properties": {"nodes": float(n), "density": g.number_of_edges() / (n * (n - 1))},
    }


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    """A fresh study with three graphs (ids 0, 1, 2)."""
    with Study.create(tmp_path / "s") as s:
        s.add_graphs([record(0, 6), record(1, 7), record(2, 8)])
        yield s


def finish(
    study: Study, graph_id: int, cell: str, config: dict = CONFIG, replicate: int = 0, **metrics
) -> int:
    """Start and finish one run; return its id."""
    run_id = study.start_run(graph_id, cell, config, replicate=replicate)
    study.finish_run(run_id, {**METRICS, **metrics})
    return run_id


def test_create_open_round_trip(tmp_path: Path) -> None:
    """A created study reopens with its meta, in WAL mode, and create on it again is fine."""
    path = tmp_path / "nested" / "study"
    with Study.create(path, meta={"seed": 7}) as s:
        assert s.path == path
        assert (path / "study.sqlite").is_file()
    with Study.open(path) as s:
        assert s.get_meta("seed") == 7
        assert s.get_meta("schema_version") == SCHEMA_VERSION == 5
        assert s.get_meta("missing", "x") == "x"
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with Study.create(path, meta={"seed": 7}) as s:
        assert s.get_meta("seed") == 7


def test_create_refuses_changed_meta(tmp_path: Path) -> None:
    """Re-creating a study with a different value for a stored meta key fails."""
    Study.create(tmp_path, meta={"seed": 1}).close()
    with pytest.raises(RandRNNError, match="seed"):
        Study.create(tmp_path, meta={"seed": 2})


def test_open_missing_raises(tmp_path: Path) -> None:
    """Opening a missing directory or a directory without a database raises a one-line error."""
    for path in (tmp_path / "absent", tmp_path):
        with pytest.raises(RandRNNError, match="no study at") as info:
            Study.open(path)
        assert "\n" not in str(info.value)


def test_add_graphs_is_atomic(study: Study) -> None:
    """A batch with a clashing id writes nothing, not even its valid records."""
    with pytest.raises(RandRNNError, match=r"\[1\]"):
        study.add_graphs([record(10), record(1)])
    with pytest.raises(RandRNNError, match=r"\[5\]"):
        study.add_graphs([record(5), record(5)])
    assert study.graph_ids() == [0, 1, 2]


def test_imported_graphs_get_next_free_ids(study: Study) -> None:
    """Records without an index get ids after the largest existing or given id."""
    ids = study.add_graphs([record(None, generator="import:a.json"), record(9), record(None)])
    assert ids == [10, 9, 11]
    assert study.graph_count() == 6


def test_graphs_round_trip(study: Study) -> None:
    """A stored graph comes back with the same nodes in order, edges, params and properties."""
    g = nx.relabel_nodes(nx.path_graph(5), {0: 4, 4: 0}, copy=True)
    props = {"b_second": 2.5, "a_first": 1.0}
    [gid] = study.add_graphs(
        [{"generator": "ba", "params": {"m": 1}, "graph": g, "properties": props}]
    )
    got = study.graph(gid)
    assert list(got["graph"].nodes) == list(g.nodes)
    assert sorted(map(sorted, got["graph"].edges)) == sorted(map(sorted, g.edges))
    assert list(got["properties"].items()) == list(props.items())
    assert (got["generator"], got["params"], got["seed"]) == ("ba", {"m": 1}, None)
    assert (got["nodes"], got["edges"]) == (5, 4)
    assert [d["id"] for d in study.graphs()] == [0, 1, 2, gid]
    with pytest.raises(RandRNNError, match="no graph 99"):
        study.graph(99)


def test_todo_excludes_done_includes_failed_and_interrupted(study: Study) -> None:
    """todo lists every pair without a done run for the config, by graph then cell order."""
    finish(study, 0, "gru")
    study.fail_run(study.start_run(1, "lstm", CONFIG), "boom")
    study.start_run(2, "gru", CONFIG)
    study.mark_interrupted()
    assert study.todo(["lstm", "gru"], CONFIG) == [
        (0, "lstm", 0),
        (1, "lstm", 0),
        (1, "gru", 0),
        (2, "lstm", 0),
        (2, "gru", 0),
    ]
    assert (0, "gru", 0) in study.todo(["gru"], {**CONFIG, "epochs": 1})


def test_todo_lists_each_missing_replicate(study: Study) -> None:
    """With K replicates, todo lists exactly the (graph, cell, r < K) without a done run."""
    finish(study, 0, "gru", replicate=0)
    finish(study, 1, "gru", replicate=2)
    finish(study, 2, "gru", replicate=1)
    expected = [(g, "gru", r) for g in range(3) for r in range(3)]
    expected = [t for t in expected if t not in {(0, "gru", 0), (1, "gru", 2), (2, "gru", 1)}]
    assert study.todo(["gru"], CONFIG, replicates=3) == expected
    assert study.todo(["gru"], CONFIG) == [(1, "gru", 0), (2, "gru", 0)]  # K = 1: r = 0 only


def test_replicates_are_separate_runs_each_done_once(study: Study) -> None:
    """Replicates of one pair are separate rows; each can be done once, never twice."""
    first = finish(study, 0, "gru", replicate=0, test_acc=0.8)
    second = finish(study, 0, "gru", replicate=1, test_acc=0.6)
    assert first != second
    for replicate in (0, 1):
        with pytest.raises(RandRNNError, match=f"replicate {replicate}\\) is already done"):
            study.start_run(0, "gru", CONFIG, replicate=replicate)
    with pytest.raises(RandRNNError, match="replicate must be 0 or more"):
        study.start_run(0, "gru", CONFIG, replicate=-1)
    runs = study.runs("done")
    assert sorted((r["replicate"], r["metrics"]["test_acc"]) for r in runs) == [(0, 0.8), (1, 0.6)]
    df = runs_frame(study)
    assert df["replicate"].tolist() == [0, 1] and df["replicate"].dtype == "int64"
    assert df["test_acc"].tolist() == [0.8, 0.6]


def test_finish_twice_is_exactly_once(study: Study) -> None:
    """Finishing again with equal metrics is a no-op, with other metrics an error; one row."""
    run_id = finish(study, 0, "gru")
    study.finish_run(run_id, dict(reversed(METRICS.items())))
    with pytest.raises(RandRNNError, match="already done"):
        study.finish_run(run_id, {"test_acc": 0.1})
    with pytest.raises(RandRNNError, match="already done"):
        study.start_run(0, "gru", CONFIG)
    with pytest.raises(RandRNNError, match="already done"):
        study.fail_run(run_id, "late failure")
    assert len(study.runs()) == 1
    assert study.runs()[0]["metrics"] == METRICS
    assert len(runs_frame(study)) == 1


def test_restart_reuses_the_row(study: Study) -> None:
    """Starting a failed pair again updates the same row and counts the attempt."""
    first = study.start_run(0, "gru", CONFIG, worker="w1")
    study.fail_run(first, "oom")
    second = study.start_run(0, "gru", CONFIG, worker="w2")
    assert second == first
    [run] = study.runs()
    assert (run["status"], run["attempts"], run["worker"], run["error"]) == (
        "running",
        2,
        "w2",
        None,
    )


def test_unknown_ids_raise(study: Study) -> None:
    """A run on a missing graph, or a missing run id, raises RandRNNError."""
    with pytest.raises(RandRNNError, match="no graph 42"):
        study.start_run(42, "gru", CONFIG)
    with pytest.raises(RandRNNError, match="no run 7"):
        study.finish_run(7, METRICS)
    with pytest.raises(RandRNNError, match="no run 7"):
        study.fail_run(7, "x")
    with pytest.raises(RandRNNError, match="unknown run status"):
        study.runs("finished")


def test_mark_interrupted(study: Study) -> None:
    """Only running rows become interrupted, and the count says how many."""
    finish(study, 0, "gru")
    study.start_run(1, "gru", CONFIG)
    study.start_run(2, "gru", CONFIG)
    assert study.mark_interrupted() == 2
    assert study.mark_interrupted() == 0
    assert study.run_counts() == {**dict.fromkeys(STATUSES, 0), "done": 1, "interrupted": 2}
    assert [r["graph_id"] for r in study.runs("interrupted")] == [1, 2]
    assert {r["error"] for r in study.runs("interrupted")} == {
        "still running when a new driver started"
    }
    study.start_run(1, "lstm", CONFIG)
    assert study.mark_interrupted("in flight when the driver stopped (KeyboardInterrupt)") == 1
    assert study.runs("interrupted")[-1]["error"].endswith("(KeyboardInterrupt)")


def test_run_counts_by_config(study: Study) -> None:
    """run_counts filters by config when one is given."""
    finish(study, 0, "gru")
    finish(study, 0, "gru", {"epochs": 1})
    assert study.run_counts()["done"] == 2
    assert study.run_counts(CONFIG)["done"] == 1


def test_results_columns(study: Study) -> None:
    """results has the fixed columns, params, every property and every metric, one row each."""
    finish(study, 0, "gru", effective_params=40)
    finish(study, 1, "lstm", train_seconds=1.5)
    df = runs_frame(study)
    assert list(df.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    for column in ["param_n", "param_k", "density", "test_acc", "effective_params"]:
        assert column in df.columns
    assert "train_seconds" in df.columns
    assert list(zip(df["graph_id"], df["cell"])) == [(0, "gru"), (1, "lstm")]
    assert (df["config_hash"] == config_hash(CONFIG)).all()
    assert df["nodes"].tolist() == [6, 7] and df["nodes"].dtype == "int64"  # property = graph's


def test_results_metric_named_like_a_column_is_prefixed(study: Study) -> None:
    """A metric sharing a property's name gets a metric_ prefix instead of overwriting it."""
    finish(study, 0, "gru", density=-1.0)
    df = runs_frame(study)
    assert df.loc[0, "metric_density"] == -1.0
    assert df.loc[0, "density"] > 0


def test_results_lists_every_config_none_hidden(study: Study) -> None:
    """Without a hash, a pair done under two configs shows both runs; a hash selects one."""
    finish(study, 0, "gru", test_acc=0.5)
    finish(study, 0, "gru", {"epochs": 1}, test_acc=0.7)
    df = runs_frame(study)
    by_hash = dict(zip(df["config_hash"], df["test_acc"]))
    assert by_hash == {config_hash(CONFIG): 0.5, config_hash({"epochs": 1}): 0.7}
    assert runs_frame(study, config_hash(CONFIG))["test_acc"].tolist() == [0.5]


def test_configs_counts_done_runs_per_config_and_cell(study: Study) -> None:
    """configs() counts done runs, graphs and distinct replicates per (config, cell)."""
    other = {**CONFIG, "epochs": 5}
    for g in (0, 1, 2):
        finish(study, g, "gru", replicate=0)
        finish(study, g, "gru", replicate=1)
    finish(study, 0, "gru", other)
    finish(study, 1, "lstm", other)
    study.fail_run(study.start_run(2, "lstm", other), "boom")  # not done: not counted
    got = {(c["config_hash"], c["cell"]): c for c in study.configs()}
    assert set(got) == {
        (config_hash(CONFIG), "gru"),
        (config_hash(other), "gru"),
        (config_hash(other), "lstm"),
    }
    gru = got[(config_hash(CONFIG), "gru")]
    assert (gru["runs"], gru["graphs"], gru["replicates"], gru["config"]) == (6, 3, 2, CONFIG)
    assert [got[(config_hash(other), c)]["runs"] for c in ("gru", "lstm")] == [1, 1]


def test_results_keep_integer_columns_integer(study: Study) -> None:
    """A column of ints stays ints (nullable) where some rows lack a value; floats stay floats."""
    [gid] = study.add_graphs([{"generator": "import:x", "graph": nx.path_graph(4)}])  # seed None
    finish(study, 0, "gru", effective_params=40)
    finish(study, gid, "gru", effective_params=12)
    df = runs_frame(study)
    assert df["seed"].dtype == "Int64" and df["seed"].tolist()[0] == 106
    assert df["seed"].isna().tolist() == [False, True]
    assert df["param_n"].dtype == "Int64"  # the imported graph has no generator parameters
    assert df["effective_params"].dtype == "int64" and df["test_acc"].dtype == "float64"
    assert df.to_csv(index=False).splitlines()[1].split(",")[2] == "106"


def test_results_empty(tmp_path: Path) -> None:
    """An empty study gives an empty table with the fixed leading columns."""
    with Study.create(tmp_path) as s:
        df = runs_frame(s)
    assert df.empty and list(df.columns) == RESULT_COLUMNS


def test_config_hash_stable_across_key_order() -> None:
    """The config hash ignores key order (nested too) and changes with any value."""
    a = {"lr": 0.001, "epochs": 15, "opt": {"b": 1, "a": 2}}
    b = {"opt": {"a": 2, "b": 1}, "epochs": 15, "lr": 0.001}
    assert config_hash(a) == config_hash(b)
    assert len(config_hash(a)) == 16
    assert config_hash(a) != config_hash({**a, "epochs": 16})


def test_crash_inside_transaction_leaves_nothing(study: Study) -> None:
    """An exception inside study.transaction() rolls back every write in the block."""
    study.execute_script("CREATE TABLE IF NOT EXISTS prune (run_id INTEGER, level REAL);")
    with pytest.raises(RuntimeError), study.transaction() as conn:
        conn.execute("INSERT INTO prune (run_id, level) VALUES (1, 0.5)")
        study.add_graphs([record(3)])
        study.set_meta("half", True)
        raise RuntimeError("crash")
    assert study._conn.execute("SELECT COUNT(*) FROM prune").fetchone()[0] == 0
    assert study.graph_ids() == [0, 1, 2]
    assert study.get_meta("half") is None


def test_execute_script_is_all_or_nothing(study: Study) -> None:
    """A failing statement in execute_script leaves no table from the script behind."""
    with pytest.raises(sqlite3.OperationalError):
        study.execute_script("CREATE TABLE a (x INTEGER); CREATE TABLE broken (;")
    tables = {r[0] for r in study._conn.execute("SELECT name FROM sqlite_master")}
    assert "a" not in tables


def test_driver_and_reader_on_one_directory(study: Study) -> None:
    """A second Study on the same directory sees committed writes, and both can write."""
    with Study.open(study.path) as reader:
        assert reader.todo(["gru"], CONFIG) == [(0, "gru", 0), (1, "gru", 0), (2, "gru", 0)]
        run_id = study.start_run(0, "gru", CONFIG)
        assert reader.run_counts()["running"] == 1
        study.finish_run(run_id, METRICS)
        assert len(runs_frame(reader)) == 1
        reader.set_meta("note", "from reader")
        assert study.get_meta("note") == "from reader"


def test_concurrent_workers_write_safely(study: Study) -> None:
    """Threads with their own Study objects finish disjoint pairs without losing a write."""
    pairs = study.todo(["rnn", "gru", "lstm", "relu"], CONFIG)

    def work(mine: list[tuple[int, str, int]], name: str) -> None:
        with Study.open(study.path) as s:
            for graph_id, cell, replicate in mine:
                run_id = s.start_run(graph_id, cell, CONFIG, worker=name, replicate=replicate)
                s.finish_run(run_id, METRICS)

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(work, pairs[i::3], f"w{i}") for i in range(3)]
    for future in futures:
        future.result()  # re-raises a worker's error here
    assert study.run_counts()["done"] == len(pairs) == 12
    assert study.todo(["rnn", "gru", "lstm", "relu"], CONFIG) == []


# ---------------------------------------------------------------------------- migration

# The schema-1 tables exactly as randrnn wrote them before runs had replicates.
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE graphs (
    id INTEGER PRIMARY KEY,
    generator TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    seed INTEGER,
    nodes INTEGER NOT NULL,
    edges INTEGER NOT NULL,
    graph TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    graph_id INTEGER NOT NULL REFERENCES graphs(id),
    cell TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'interrupted')),
    metrics TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    started TEXT,
    finished TEXT,
    UNIQUE (graph_id, cell, config_hash)
);
CREATE INDEX runs_status ON runs (status);
CREATE TABLE prune_note (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id));
"""


def old_study(path: Path) -> list[tuple]:
    """A schema-1 study written with the old DDL: 2 graphs, 3 runs; returns the runs' rows."""
    import json

    path.mkdir()
    conn = sqlite3.connect(path / "study.sqlite")
    conn.executescript(OLD_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('seed', '4')")
    for gid in (0, 1):
        text = json.dumps(nx.node_link_data(nx.path_graph(3 + gid), edges="links"))
        conn.execute(
            "INSERT INTO graphs (id, generator, params, seed, nodes, edges, graph, properties,"
            " created) VALUES (?, 'ws', '{\"k\": 2}', ?, ?, ?, ?, '{\"density\": 0.5}', 't0')",
            (gid, 10 + gid, 3 + gid, 2 + gid, text),
        )
    cfg = json.dumps(CONFIG, sort_keys=True)
    rows = [
        (1, 0, "gru", config_hash(CONFIG), cfg, "done", '{"test_acc": 0.75}', None, 1, "w", "a", "b"),
        (2, 1, "gru", config_hash(CONFIG), cfg, "failed", None, "oom", 2, "w", "c", "d"),
        (3, 1, "lstm", config_hash(CONFIG), cfg, "done", '{"test_acc": 0.5}', None, 1, "w", "e", "f"),
    ]  # fmt: skip
    conn.executemany(f"INSERT INTO runs VALUES ({', '.join('?' * 12)})", rows)
    conn.execute("INSERT INTO prune_note VALUES (1, 3)")
    conn.commit()
    conn.close()
    return rows


RUN_FIELDS = (
    "id", "graph_id", "cell", "config_hash", "config", "status", "metrics", "error", "attempts",
    "worker", "started", "finished",
)  # fmt: skip


@pytest.mark.parametrize("how", ["open", "create"])
def test_old_schema_study_is_migrated_on_open(tmp_path: Path, how: str) -> None:
    """A schema-1 study opens as the current schema: every run kept as replicate 0, keyed by
    replicate, its data recipe derived from its config."""
    rows = old_study(tmp_path / "old")
    with getattr(Study, how)(tmp_path / "old") as s:
        assert s.get_meta("schema_version") == SCHEMA_VERSION
        raw = s._conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
        assert [tuple(r[f] for f in RUN_FIELDS) for r in raw] == rows
        assert [r["replicate"] for r in raw] == [0, 0, 0]
        # the unique key now includes the replicate: replicate 1 of a done pair is new work
        assert s.todo(["gru", "lstm"], CONFIG, replicates=2) == [
            (0, "gru", 1), (0, "lstm", 0), (0, "lstm", 1), (1, "gru", 0), (1, "gru", 1),
            (1, "lstm", 1),
        ]  # fmt: skip
        with pytest.raises(RandRNNError, match="already done"):
            s.start_run(0, "gru", CONFIG)
        assert s.start_run(1, "gru", CONFIG) == 2  # the failed old row is restarted, not copied
        finish(s, 0, "gru", replicate=1, test_acc=0.25)
        df = runs_frame(s)
        assert list(zip(df["graph_id"], df["cell"], df["replicate"], df["test_acc"])) == [
            (0, "gru", 0, 0.75), (0, "gru", 1, 0.25), (1, "lstm", 0, 0.5),
        ]  # fmt: skip
        assert s._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert s._conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r["name"] for r in s._conn.execute("PRAGMA index_list(runs)")}
        assert "runs_status" in indexes
    with Study.open(tmp_path / "old") as s:  # a second open finds nothing to do
        assert s.get_meta("schema_version") == SCHEMA_VERSION and len(s.runs()) == 4


def test_old_runs_get_a_derived_data_recipe(tmp_path: Path) -> None:
    """Schema 3 → 4: every data key of the stored configs gets randrnn 0.1's recipe, its
    negatives named as today (0.1's plain dyck-2 was today's dyck-2:edit); a recipe already
    recorded is kept."""
    import json

    rows = old_study(tmp_path / "old")
    conn = sqlite3.connect(tmp_path / "old" / "study.sqlite")
    dyck = {**CONFIG, "task": "dyck-2", "data": "0123456789abcdef"}
    conn.execute(
        "INSERT INTO runs VALUES (4, 0, 'gru', ?, ?, 'done', '{\"test_acc\": 0.6}', NULL, 1,"
        " 'w', 'g', 'h')",
        (config_hash(dyck), json.dumps(dyck)),
    )
    conn.execute("""INSERT INTO meta VALUES ('recipes', '{"kept": {"task": "x"}}')""")
    conn.commit()
    conn.close()
    with Study.open(tmp_path / "old") as s:
        recipes = s.get_meta("recipes")
    assert len(rows) == 3 and recipes["kept"] == {"task": "x"}
    assert recipes["0123456789abcdef"] == {"task": "dyck-2:edit", "negatives": "edit",
                                           "split": "shuffled", "version": 1, "derived": True}  # fmt: skip
    key = str(CONFIG.get("data", "shipped"))
    assert recipes[key]["task"] == "reber" and recipes[key]["split"] == "shuffled"


def test_failed_migration_leaves_the_old_schema(tmp_path: Path, monkeypatch) -> None:
    """A migration that fails half-way rolls back: the study is schema 1 with its runs intact."""
    rows = old_study(tmp_path / "old")

    def half(conn: sqlite3.Connection) -> None:
        schema._add_replicate(conn)
        raise sqlite3.OperationalError("disk went away")

    monkeypatch.setattr(schema, "MIGRATIONS", {1: half})
    with pytest.raises(sqlite3.OperationalError, match="disk went away"):
        Study.open(tmp_path / "old")
    conn = sqlite3.connect(tmp_path / "old" / "study.sqlite")
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    assert conn.execute("SELECT * FROM runs ORDER BY id").fetchall() == rows
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "runs_v2" not in tables
    conn.close()


def test_readers_do_not_wait_for_a_writer(study: Study) -> None:
    """While another connection holds the write lock, reading() and pruning's readers read
    (the write lock would make them wait and fail with 'database is locked')."""
    from randrnn.pruning import results

    results.ensure_tables(study)
    study._conn.execute("PRAGMA busy_timeout = 100")
    with Study.open(study.path) as writer, writer.transaction():
        with study.reading() as conn:
            assert conn.execute("SELECT COUNT(*) FROM graphs").fetchone()[0] == 3
        assert results.has_tables(study) and results.bases(study) == []
        assert results.runs(study) == []
        with pytest.raises(sqlite3.OperationalError, match="locked"), study.transaction():
            pass


def test_schema_2_study_gains_device_and_engine(tmp_path: Path) -> None:
    """A schema-2 study (runs without device/engine) opens with both columns, NULL for its
    runs; a run finished now records where it trained, outside its config hash."""
    with Study.create(tmp_path / "s") as s:
        s.add_graphs([{"generator": "ws", "graph": nx.path_graph(3), "seed": 0}])
        old = s.start_run(0, "gru", CONFIG)
        s.finish_run(old, {"test_acc": 0.5})
        s._conn.execute("ALTER TABLE runs DROP COLUMN device")
        s._conn.execute("ALTER TABLE runs DROP COLUMN engine")
        s._conn.execute("ALTER TABLE runs DROP COLUMN code")
        s.set_meta("schema_version", 2)
    with Study.open(tmp_path / "s") as s:
        assert s.get_meta("schema_version") == SCHEMA_VERSION
        new = s.start_run(0, "lstm", CONFIG)
        s.finish_run(new, {"test_acc": 0.75}, device="cuda", engine="dense", code="0.1.0+gabc")
        rows = {r["cell"]: r for r in s.runs()}
        assert (rows["gru"]["device"], rows["gru"]["engine"], rows["gru"]["code"]) == (None,) * 3
        assert (rows["lstm"]["device"], rows["lstm"]["engine"]) == ("cuda", "dense")
        assert rows["lstm"]["code"] == "0.1.0+gabc"
        assert rows["gru"]["config_hash"] == rows["lstm"]["config_hash"]


def _columns(path: Path) -> list[tuple]:
    """(name, type, not null, default) of every column of ``runs``, in order."""
    conn = sqlite3.connect(path / "study.sqlite")
    rows = conn.execute("PRAGMA table_info(runs)").fetchall()
    conn.close()
    return [(r[1], r[2], r[3], r[4]) for r in rows]


def test_a_run_column_is_one_line_for_new_and_old_studies(tmp_path: Path, monkeypatch) -> None:
    """A column added in RUN_COLUMNS: a new study has it in its CREATE TABLE; a schema-2 and a
    schema-1 study gain it on open (old rows take the default), ending with the same columns,
    in the same order, as the new study."""
    now = schema.SCHEMA_VERSION
    with Study.create(tmp_path / "v2") as s:  # written by the current schema
        s.add_graphs([record(0)])
        finish(s, 0, "gru")
    old_study(tmp_path / "v1")
    added = (now + 1, "probe", "TEXT NOT NULL DEFAULT 'cpu'")
    monkeypatch.setattr(schema, "RUN_COLUMNS", [*schema.RUN_COLUMNS, added])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", now + 1)
    with Study.create(tmp_path / "new") as s:
        assert s.get_meta("schema_version") == now + 1
    fresh = _columns(tmp_path / "new")
    assert fresh[-1] == ("probe", "TEXT", 1, "'cpu'")
    for name, runs in (("v2", 1), ("v1", 3)):
        with Study.open(tmp_path / name) as s:
            assert s.get_meta("schema_version") == now + 1
            assert [r["probe"] for r in s.runs()] == ["cpu"] * runs
        assert _columns(tmp_path / name) == fresh


def test_a_study_newer_than_the_code_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A study written with a column this randrnn does not know fails with one line."""
    now = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "RUN_COLUMNS", [*schema.RUN_COLUMNS, (now + 1, "probe", "TEXT")])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", now + 1)
    Study.create(tmp_path / "s").close()
    monkeypatch.undo()
    with pytest.raises(
        RandRNNError, match=f"schema version {now + 1}; this randrnn reads up to {now}"
    ):
        Study.open(tmp_path / "s")


def test_has_table_names_the_tables_made_on_first_use(study: Study) -> None:
    """`has_table` answers for any table by name: the core ones are there, kept weights only
    once a train-all keeps them; it is the one check (no per-table copy of it)."""
    assert study.has_table("runs") and study.has_table("graphs")
    assert not study.has_table("run_weights") and not study.has_table("no_such_table")
    study.keep_weights_table()
    assert study.has_table("run_weights")
    assert not hasattr(study, "has_weights_table") and not hasattr(study, "has_curves_table")
