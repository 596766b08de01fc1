"""Tests for the study database (randrnn.store)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import pytest

from randrnn.errors import RandRNNError
from randrnn.store import RESULT_COLUMNS, STATUSES, Study, config_hash

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


def finish(study: Study, graph_id: int, cell: str, config: dict = CONFIG, **metrics) -> int:
    """Start and finish one run; return its id."""
    run_id = study.start_run(graph_id, cell, config)
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
        assert s.get_meta("schema_version") == 1
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
        (0, "lstm"),
        (1, "lstm"),
        (1, "gru"),
        (2, "lstm"),
        (2, "gru"),
    ]
    assert (0, "gru") in study.todo(["gru"], {**CONFIG, "epochs": 1})


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
    assert len(study.results()) == 1


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
    df = study.results()
    assert list(df.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    for column in ["param_n", "param_k", "density", "test_acc", "effective_params"]:
        assert column in df.columns
    assert "train_seconds" in df.columns
    assert list(zip(df["graph_id"], df["cell"])) == [(0, "gru"), (1, "lstm")]
    assert (df["config_hash"] == config_hash(CONFIG)).all()
    assert df["nodes"].tolist() == [6, 7]


def test_results_metric_named_like_a_column_is_prefixed(study: Study) -> None:
    """A metric sharing a property's name gets a metric_ prefix instead of overwriting it."""
    finish(study, 0, "gru", density=-1.0)
    df = study.results()
    assert df.loc[0, "metric_density"] == -1.0
    assert df.loc[0, "density"] > 0


def test_results_latest_config_wins(study: Study) -> None:
    """Without a hash, a pair done under two configs shows the most recently finished run."""
    finish(study, 0, "gru", test_acc=0.5)
    finish(study, 0, "gru", {"epochs": 1}, test_acc=0.7)
    df = study.results()
    assert len(df) == 1 and df.loc[0, "test_acc"] == 0.7
    assert study.results(config_hash(CONFIG)).loc[0, "test_acc"] == 0.5


def test_results_empty(tmp_path: Path) -> None:
    """An empty study gives an empty table with the fixed leading columns."""
    with Study.create(tmp_path) as s:
        df = s.results()
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
        assert reader.todo(["gru"], CONFIG) == [(0, "gru"), (1, "gru"), (2, "gru")]
        run_id = study.start_run(0, "gru", CONFIG)
        assert reader.run_counts()["running"] == 1
        study.finish_run(run_id, METRICS)
        assert len(reader.results()) == 1
        reader.set_meta("note", "from reader")
        assert study.get_meta("note") == "from reader"


def test_concurrent_workers_write_safely(study: Study) -> None:
    """Threads with their own Study objects finish disjoint pairs without losing a write."""
    pairs = study.todo(["rnn", "gru", "lstm", "relu"], CONFIG)

    def work(mine: list[tuple[int, str]], name: str) -> None:
        with Study.open(study.path) as s:
            for graph_id, cell in mine:
                s.finish_run(s.start_run(graph_id, cell, CONFIG, worker=name), METRICS)

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(work, pairs[i::3], f"w{i}") for i in range(3)]
    for future in futures:
        future.result()  # re-raises a worker's error here
    assert study.run_counts()["done"] == len(pairs) == 12
    assert study.todo(["rnn", "gru", "lstm", "relu"], CONFIG) == []
