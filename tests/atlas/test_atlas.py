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


def test_weights_load_without_pickle_and_equal_the_kept_bytes(trained, atlas):
    from safetensors.numpy import load_file

    tensors = load_file(atlas.path / layout.WEIGHTS)
    assert set(tensors) == set(atlas.runs["run_id"])
    with Study.open(trained) as s:
        run = s.runs("done")[0]
        _, blob = s.run_weights(run["id"])
    name = layout.run_id("reber", run["cell"], run["graph_id"], run["replicate"])
    assert np.array_equal(tensors[name], np.frombuffer(blob, dtype=np.float32))


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
    assert result.exit_code == 1 and "cannot write" in str(result.exception)


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
