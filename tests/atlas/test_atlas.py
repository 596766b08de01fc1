"""The atlas: export, load, query under relabelling, reproduce, and every way an export refuses.

One small study (6 graphs × GRU, RNN_Tanh × 2 replicates × 2 epochs, with curves and weights) is
trained once for the module; each test exports it or a copy of it.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from randrnn.atlas import export_atlas, layout, load, verify
from randrnn.atlas.hashing import canonical_edges, from_edge_list, resolve_collisions, wl_hash
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.pipeline import generate_into
from randrnn.store import Study
from randrnn.tasks.data import task_data
from randrnn.training.config import TrainConfig
from randrnn.training.runner import batch_seed, model_seed, train_study

CELLS = ["gru", "rnn_tanh"]
CONFIG = TrainConfig(epochs=2, batch_size=32, max_train=300, max_test=100)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("atlas") / "study"
    found = task_data()  # the shipped set, as train-all does: reproduce rebuilds it by its key
    with Study.create(path) as study:
        generate_into(study, 6, seed=11, nodes=(10, 13))
        found.record(study)
        list(train_study(study, CELLS, CONFIG, found.train, found.test, replicates=2))
    return path


@pytest.fixture
def study(trained, tmp_path) -> Path:
    """A private copy of the trained study (tests may damage it)."""
    copy = tmp_path / "study"
    shutil.copytree(trained, copy)
    return copy


@pytest.fixture(scope="module")
def atlas(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "atlas"
    export_atlas(trained, out)
    return load(out)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_every_run_is_a_row_with_the_studys_numbers(trained, atlas):
    with Study.open(trained) as s:
        runs = s.runs("done")
        graphs = {g["id"]: g for g in s.graphs()}
        seed = int(s.get_meta("seed"))
    assert len(atlas.runs) == len(runs) == 6 * len(CELLS) * 2
    assert len(atlas.graphs) == 6 and atlas.runs["run_id"].is_unique
    rows = atlas.runs.set_index("run_id")
    for run in runs:
        row = rows.loc[layout.run_id("reber", run["cell"], run["graph_id"], run["replicate"])]
        assert row["test_acc"] == run["metrics"]["test_acc"]
        assert row["test_loss"] == run["metrics"]["test_loss"]
        assert json.loads(row["config"]) == run["config"]
        assert row["model_seed"] == model_seed(seed, run["graph_id"], run["cell"], run["replicate"])
        assert row["batch_seed"] == batch_seed(CONFIG.seed, run["replicate"])
        assert (row["device"], row["engine"], row["code"]) == (run["device"], run["engine"],
                                                               run["code"])  # fmt: skip
    for g in atlas.graphs.itertuples():
        stored = graphs[g.graph_id]
        rebuilt = from_edge_list(g.nodes, g.edge_list)
        assert sorted(map(sorted, nx.relabel_nodes(stored["graph"], {n: i for i, n in enumerate(
            stored["graph"].nodes)}).edges())) == sorted(map(sorted, rebuilt.edges()))  # fmt: skip
        assert nx.is_isomorphic(to_dag(rebuilt), to_dag(stored["graph"]))
        assert g.density == pytest.approx(stored["properties"]["density"])


def test_curves_one_row_per_epoch_ending_at_the_result(atlas):
    assert atlas.runs["has_curve"].all()
    for run_id, curve in atlas.curves.groupby("run_id"):
        assert curve["epoch"].tolist() == list(range(1, CONFIG.epochs + 1))
        final = atlas.runs.loc[atlas.runs["run_id"] == run_id, "test_acc"].item()
        assert curve["test_acc"].iloc[-1] == final


def test_weights_round_trip_by_run_id(trained, atlas):
    """Every run's tensor in weights.safetensors (read without pickle) is found under its run
    id, with its layout in the metadata: the bytes and layout the study kept for that run."""
    from safetensors import safe_open

    with Study.open(trained) as s:
        kept = {layout.run_id("reber", r["cell"], r["graph_id"], r["replicate"]):
                s.run_weights(r["id"]) for r in s.runs("done")}  # fmt: skip
    with safe_open(atlas.path / layout.WEIGHTS, framework="numpy") as f:
        names, lay = set(f.keys()), f.metadata()
        loaded = {name: f.get_tensor(name) for name in names}
    assert names == set(atlas.runs.loc[atlas.runs["has_weights"], "run_id"]) == set(kept)
    for run_id, (lay_kept, blob) in kept.items():
        assert np.array_equal(loaded[run_id], np.frombuffer(blob, dtype=np.float32)), run_id
        assert lay[run_id] == lay_kept


def test_checksums_verify_and_catch_a_changed_file(atlas, tmp_path):
    assert verify(atlas.path) == []
    copy = tmp_path / "copy"
    shutil.copytree(atlas.path, copy)
    pd.read_parquet(copy / layout.RUNS).head(3).to_parquet(copy / layout.RUNS)
    assert verify(copy) == [f"{layout.RUNS} changed (sha256 differs)"]
    assert "atlas.json" not in " ".join(verify(atlas.path))


def _permuted(g: nx.Graph, seed: int) -> nx.Graph:
    nodes = list(g.nodes)
    shuffled = nodes[:]
    random.Random(seed).shuffle(shuffled)
    h = nx.relabel_nodes(g, dict(zip(nodes, [f"n{x}" for x in shuffled])))
    out = h.__class__()
    out.add_nodes_from(sorted(h.nodes, key=lambda n: random.Random(seed + 1).random()))
    out.add_edges_from(h.edges())
    return out


@settings(max_examples=25, deadline=None)
@given(graph_id=st.integers(0, 5), seed=st.integers(0, 10**6), directed=st.booleans())
def test_any_relabelling_finds_the_same_rows(atlas, graph_id, seed, directed):
    g = atlas.graph(graph_id, directed=directed)
    found = atlas.query(_permuted(g, seed))
    assert graph_id in set(found["graph_id"])
    expected = set(atlas.runs.loc[atlas.runs["graph_id"] == graph_id, "run_id"])
    assert expected <= set(found["run_id"])
    others = set(found["graph_id"]) - {graph_id}  # only graphs truly isomorphic to it
    assert all(nx.is_isomorphic(atlas.graph(o, directed), g) for o in others)


def test_a_graph_one_edge_away_finds_nothing(atlas):
    g = atlas.graph(0).copy()
    u, v = next(iter(g.edges))
    g.remove_edge(u, v)
    g.add_edge(*next((a, b) for a in g for b in g if a != b and not g.has_edge(a, b)))
    matches = atlas.query(g)
    assert all(nx.is_isomorphic(atlas.graph(x), g) for x in set(matches["graph_id"]))
    assert 0 not in set(matches["graph_id"]) or nx.is_isomorphic(atlas.graph(0), g)


def test_wl_collisions_get_their_own_hash():
    """Two triangles and a hexagon: 1-WL cannot tell them apart (both 2-regular); the exact
    check gives each its own hash, and isomorphic copies share one."""
    triangles = nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3))
    hexagon = nx.cycle_graph(6)
    assert wl_hash(triangles) == wl_hash(hexagon)
    hashes = resolve_collisions([triangles, hexagon, nx.relabel_nodes(hexagon, {i: 5 - i for i in
                                 range(6)}), triangles])  # fmt: skip
    assert hashes[0] != hashes[1] and hashes[1] == hashes[2] and hashes[0] == hashes[3]


def test_canonical_edges_follow_node_order():
    g = nx.Graph()
    g.add_nodes_from(["c", "a", "b"])
    g.add_edges_from([("a", "c"), ("b", "a")])
    assert canonical_edges(g) == [[0, 1], [1, 2]]


def test_cli_query_by_file_and_by_id(atlas, tmp_path):
    file = tmp_path / "g.graphml"
    nx.write_graphml(_permuted(atlas.graph(3), 7), file)
    by_file = invoke("atlas", "query", file, "--atlas", atlas.path, "--format", "csv")
    assert by_file.exit_code == 0, by_file.output
    got = pd.read_csv(pd.io.common.StringIO(by_file.output))
    assert set(atlas.runs.loc[atlas.runs["graph_id"] == 3, "run_id"]) <= set(got["run_id"])
    other = tmp_path / "other.edgelist"
    other.write_text("0 1\n1 2\n2 3\n3 0\n0 2\n")
    result = invoke("atlas", "query", other, "--atlas", atlas.path)
    assert result.exit_code == 1 and "no graph of atlas" in str(result.exception)


def test_reproduce_retrains_rows_to_the_same_accuracy(atlas):
    for run_id in atlas.runs["run_id"].iloc[[0, 7]]:
        result = invoke("atlas", "reproduce", atlas.path, "--run", run_id)
        assert result.exit_code == 0, result.output
        assert "same accuracy" in result.output


def test_reproduce_exits_1_where_the_record_differs(atlas, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(atlas.path, copy)
    runs = pd.read_parquet(copy / layout.RUNS)
    runs.loc[0, "test_acc"] = runs.loc[0, "test_acc"] + 0.01
    runs.to_parquet(copy / layout.RUNS)
    result = invoke("atlas", "reproduce", copy, "--run", runs.loc[0, "run_id"])
    assert result.exit_code == 1 and "differs" in result.output
    assert "trained by randrnn" not in result.output  # same code: no version to blame


def test_reproduce_names_the_code_versions_where_they_differ(atlas, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(atlas.path, copy)
    runs = pd.read_parquet(copy / layout.RUNS)
    runs.loc[0, "test_acc"] = runs.loc[0, "test_acc"] + 0.01
    runs.loc[0, "code"] = "0.0.1+gdeadbeef00"
    runs.to_parquet(copy / layout.RUNS)
    result = invoke("atlas", "reproduce", copy, "--run", runs.loc[0, "run_id"])
    assert result.exit_code == 1
    assert "trained by randrnn 0.0.1+gdeadbeef00" in " ".join(result.output.split())


def test_an_atlas_reads_as_its_study(trained, atlas):
    """results --study ATLAS gives the study's own results (runs, properties, metrics)."""
    from randrnn.analysis.table import curves_table, results_table

    mine = results_table(trained)
    theirs = results_table(load(atlas.path).study_path())
    key = ["graph_id", "cell", "replicate"]
    columns = [*key, "test_acc", "test_loss", "density", "nodes", "edges", "generator"]
    a = mine[columns].sort_values(key).reset_index(drop=True)
    b = theirs[columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(curves_table(atlas.study_path())) == len(curves_table(trained))
    result = invoke("train-all", "--study", atlas.path)
    assert result.exit_code == 1 and "is an atlas, not a study" in str(result.exception)


def test_an_older_study_exports_with_curves_absent(study, tmp_path):
    with Study.open(study) as s:
        s._conn.execute("DROP TABLE run_curves")
    export_atlas(study, tmp_path / "a")
    a = load(tmp_path / "a")
    assert a.curves.empty and not a.runs["has_curve"].any()
    assert list(a.curves.columns) == layout.CURVE_COLUMNS


def test_unfinished_runs_are_one_line_and_partial_names_them(study, tmp_path):
    with Study.open(study) as s:
        s._conn.execute("UPDATE runs SET status = 'failed', error = 'boom' WHERE id = 3")
    with pytest.raises(RandRNNError, match=r"1 unfinished run\(s\).*--partial"):
        export_atlas(study, tmp_path / "a")
    assert not (tmp_path / "a").exists()
    meta = export_atlas(study, tmp_path / "a", partial=True)
    (missing,) = [m for s in meta["slices"] for m in s["missing"]]
    assert missing in (tmp_path / "a" / layout.DATASHEET).read_text()
    assert missing not in set(load(tmp_path / "a").runs["run_id"])


def test_mixed_configs_are_one_line(study, tmp_path):
    found = task_data()
    with Study.open(study) as s:
        other = TrainConfig(epochs=1, batch_size=32, max_train=300, max_test=100)
        list(train_study(s, ["gru"], other, found.train, found.test))
    with pytest.raises(RandRNNError, match=r"task reber has runs under 2 configs"):
        export_atlas(study, tmp_path / "a")
    with Study.open(study) as s:
        first = min({c["config_hash"] for c in s.configs()})
    export_atlas(study, tmp_path / "b", config=first[:6], partial=True)
    assert set(load(tmp_path / "b").runs["config_hash"]) == {first}


def test_an_interrupted_export_leaves_the_old_atlas(study, tmp_path, monkeypatch):
    from randrnn.atlas import export as export_module

    out = tmp_path / "a"
    export_atlas(study, out, version="old")

    def broken(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "datasheet", broken)
    with pytest.raises(KeyboardInterrupt):
        export_atlas(study, out, version="new")
    assert load(out).version == "old" and verify(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "study"]  # no temp folder left
    with pytest.raises(KeyboardInterrupt):
        export_atlas(study, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_bad_paths_are_one_line(tmp_path, study):
    for args, text in [
        (("atlas", "info", tmp_path / "none"), "no atlas at"),
        (("atlas", "info", study), "is not an atlas"),
        (("atlas", "export", "--study", study, "--out", study), "is not an atlas; give a new"),
        (("atlas", "reproduce", tmp_path / "none", "--run", "x"), "no atlas at"),
    ]:
        result = invoke(*args)
        assert result.exit_code == 1 and text in str(result.exception), (args, result.output)


def test_an_unknown_run_id_is_one_line(atlas):
    result = invoke("atlas", "reproduce", atlas.path, "--run", "reber/gru/999/0")
    assert result.exit_code == 1 and "no run 'reber/gru/999/0'" in str(result.exception)


def test_export_meta_counts_match_the_tables(atlas):
    meta = json.loads((atlas.path / layout.META).read_text())
    assert meta["counts"] == {"graphs": len(atlas.graphs), "runs": len(atlas.runs),
                              "curve_rows": len(atlas.curves), "weights": len(atlas.runs)}  # fmt: skip
    (s,) = meta["slices"]
    assert s["expected"] == s["runs"] == 6 * 2 * 2 and s["missing"] == []


def test_cells_pick_part_of_a_slice_and_the_note_reaches_the_datasheet(study, tmp_path):
    meta = export_atlas(study, tmp_path / "a", cells=["gru"], note="LSTM comes later.")
    a = load(tmp_path / "a")
    assert set(a.runs["cell"]) == {"gru"} and len(a.runs) == 6 * 2
    assert meta["slices"][0]["cells"] == ["gru"] and meta["slices"][0]["missing"] == []
    assert "LSTM comes later." in (tmp_path / "a" / layout.DATASHEET).read_text()
    with pytest.raises(RandRNNError, match="no finished runs of cell"):
        export_atlas(study, tmp_path / "b", cells=["lstm"])


def test_a_partial_atlas_resumes_as_a_study(study, tmp_path):
    """to-study gives a study where train-all trains exactly the runs the atlas lacks, with the
    atlas' seeds: the finished study exports to the same rows as the original."""
    with Study.open(study) as s:
        s._conn.execute("UPDATE runs SET status = 'failed', error = 'cut' WHERE id IN (2, 5)")
        lost = [(r["graph_id"], r["cell"], r["replicate"]) for r in s.runs("failed")]
    export_atlas(study, tmp_path / "wip", partial=True)
    result = invoke("atlas", "to-study", tmp_path / "wip", "--out", tmp_path / "resumed")
    assert result.exit_code == 0, result.output
    found = task_data()
    with Study.open(study) as s:
        asked = s.get_meta("train_requests")
    with Study.open(tmp_path / "resumed") as s:
        assert s.get_meta("train_requests") == asked  # what was asked for, carried over
        todo = s.todo(CELLS, CONFIG.to_dict(), replicates=2)
        assert sorted(todo) == sorted(lost)
        list(train_study(s, CELLS, CONFIG, found.train, found.test, replicates=2))
    export_atlas(tmp_path / "resumed", tmp_path / "whole")
    original = load(tmp_path / "wip")
    whole = load(tmp_path / "whole").runs.set_index("run_id")
    assert len(whole) == 6 * 2 * 2
    for row in original.runs.itertuples():
        assert whole.loc[row.run_id, "test_acc"] == row.test_acc
    again = invoke("atlas", "to-study", tmp_path / "wip", "--out", tmp_path / "resumed")
    assert again.exit_code == 1 and "exists" in str(again.exception)


def test_cli_export_of_one_task(study, tmp_path):
    result = invoke("atlas", "export", "--study", study, "--out", tmp_path / "a", "--task", "reber")
    assert result.exit_code == 0, result.output
    assert set(load(tmp_path / "a").runs["task"]) == {"reber"}
    bad = invoke("atlas", "export", "--study", study, "--out", tmp_path / "b", "--task", "nope")
    assert bad.exit_code == 1 and isinstance(bad.exception, RandRNNError)


def test_an_unfinished_run_of_another_config_does_not_stop_the_export(study, tmp_path):
    found = task_data()
    other = TrainConfig(epochs=1, batch_size=32, max_train=300, max_test=100)
    with Study.open(study) as s:
        list(train_study(s, ["gru"], other, found.train, found.test))
        s._conn.execute("UPDATE runs SET status = 'failed' WHERE id = (SELECT MAX(id) FROM runs)")
    export_atlas(study, tmp_path / "a", config=_hash(CONFIG))
    assert len(load(tmp_path / "a").runs) == 6 * 2 * 2


def _hash(config: TrainConfig) -> str:
    from randrnn.store.base import config_hash

    return config_hash(config.to_dict())


def test_an_imported_dag_is_found_from_its_undirected_file(tmp_path):
    """A directed graph in the atlas (an imported DAG) is found by its undirected version too,
    and by its directed one; an atlas from another networkx version still finds it."""
    dag = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    with Study.create(tmp_path / "s") as s:
        s.add_graphs([{"generator": "import:d", "graph": dag, "properties": {}}])
        run = s.start_run(0, "gru", CONFIG.to_dict())
        s.finish_run(run, {"test_acc": 0.5, "test_loss": 0.7}, "cpu", "native", "x")
    export_atlas(tmp_path / "s", tmp_path / "a")
    a = load(tmp_path / "a")
    assert a.find(_permuted(dag, 3)) == [0]
    assert a.find(nx.Graph(_permuted(dag, 4).to_undirected())) == [0]
    a.meta["networkx"] = "3.1"  # hashes of another version: sizes and the exact test decide
    assert a.find(nx.Graph(dag.to_undirected())) == [0]
    assert a.find(nx.path_graph(5)) == []
    graphs = pd.read_parquet(tmp_path / "a" / layout.GRAPHS)
    assert graphs["nodes"].dtype.kind == "i" and graphs["edges"].dtype.kind == "i"


def test_reproduce_reads_a_missing_engine_as_the_default(atlas, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(atlas.path, copy)
    runs = pd.read_parquet(copy / layout.RUNS)
    runs["engine"] = None
    runs.to_parquet(copy / layout.RUNS)
    result = invoke("atlas", "reproduce", copy, "--run", runs.loc[0, "run_id"])
    assert result.exit_code == 0, result.output


def _drop_replicate(path: Path, replicate: int) -> None:
    """Remove every run of ``replicate`` (and its curve and weights), as if never trained."""
    with Study.open(path) as s, s.transaction() as conn:
        ids = f"SELECT id FROM runs WHERE replicate = {replicate}"
        conn.execute(f"DELETE FROM run_curves WHERE run_id IN ({ids})")
        conn.execute(f"DELETE FROM run_weights WHERE run_id IN ({ids})")
        conn.execute(f"DELETE FROM runs WHERE replicate = {replicate}")


def test_a_replicate_never_trained_is_one_line_and_partial_names_it(study, tmp_path):
    """Asked for 2 replicates, only replicate 0 trained: the export refuses, naming the
    replicate, and writes nothing; --partial names it in the datasheet and every run of it."""
    _drop_replicate(study, 1)
    result = invoke("atlas", "export", "--study", study, "--out", tmp_path / "a")
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert "slice reber is incomplete: replicate 1 of 2 never trained; 12 of 24 runs missing" in (
        str(result.exception)
    )
    assert not (tmp_path / "a").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    result = invoke("atlas", "export", "--study", study, "--out", tmp_path / "a", "--partial")
    assert result.exit_code == 0, result.output
    assert "slice reber: 12 of 24 runs, 12 missing (replicate 1 never trained)" in result.output
    (s,) = json.loads((tmp_path / "a" / layout.META).read_text())["slices"]
    assert s["absent_replicates"] == [1] and s["replicates"] == 2 and s["expected"] == 24
    assert len(s["missing"]) == 12 and all(m.endswith("/1") for m in s["missing"])
    sheet = (tmp_path / "a" / layout.DATASHEET).read_text()
    assert "Slice reber: replicate 1 of 2 was never trained" in sheet


def test_an_unrecorded_study_infers_replicates_from_runs_of_any_status(study, tmp_path):
    """A study trained before requests were recorded: a replicate whose runs all failed is
    still expected (it was started), so --partial names its runs."""
    with Study.open(study) as s:
        s.set_meta("train_requests", {})
        s._conn.execute("UPDATE runs SET status = 'failed', error = 'x' WHERE replicate = 1")
    meta = export_atlas(study, tmp_path / "a", partial=True)
    (s,) = meta["slices"]
    assert s["absent_replicates"] == [1] and len(s["missing"]) == 12 and s["requests"] == []


def test_a_split_study_is_complete_with_one_cell_per_graph(tmp_path):
    """train-all --assign split trains each graph with one cell: the export expects exactly
    those runs (complete, nothing missing), and its datasheet's command says --assign split."""
    found = task_data()
    with Study.create(tmp_path / "s") as study:
        generate_into(study, 4, seed=11, nodes=(10, 12))
        found.record(study)
        list(train_study(study, CELLS, CONFIG, found.train, found.test, assign="split"))
    meta = export_atlas(tmp_path / "s", tmp_path / "a")
    (s,) = meta["slices"]
    assert s["missing"] == [] and s["expected"] == s["runs"] == 4 and s["cells"] == CELLS
    assert load(tmp_path / "a").runs.groupby("graph_id")["cell"].nunique().eq(1).all()
    assert any("--assign split" in line for line in meta["commands"])
    with Study.open(tmp_path / "s") as study:  # one graph's run lost: named, with its own cell
        study._conn.execute("DELETE FROM run_curves WHERE run_id = 1")
        study._conn.execute("DELETE FROM run_weights WHERE run_id = 1")
        lost = study._conn.execute("SELECT graph_id, cell FROM runs WHERE id = 1").fetchone()
        study._conn.execute("DELETE FROM runs WHERE id = 1")
    with pytest.raises(RandRNNError, match=r"slice reber is incomplete: 1 of 4 runs missing"):
        export_atlas(tmp_path / "s", tmp_path / "b")
    meta = export_atlas(tmp_path / "s", tmp_path / "b", partial=True)
    assert meta["slices"][0]["missing"] == [f"reber/{lost['cell']}/{lost['graph_id']}/0"]


def test_package_names_stay_functions_after_every_submodule_is_imported(atlas):
    """`atlas.load` is the loader whatever was imported first: a submodule of the same name
    would replace it on the package the moment anything imported it."""
    import importlib
    import pkgutil

    import randrnn.atlas as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"randrnn.atlas.{info.name}")
    for name in package.__all__:
        value = getattr(package, name)
        assert callable(value) and not isinstance(value, type(package)), name
    assert len(package.load(atlas.path).runs) == len(atlas.runs)
