"""`randrnn predict --atlas` and `randrnn design` on a small exported atlas: the numbers the
library gives, the coverage warning, one-line errors, and a design study ready to train."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn.analysis import atlas_model
from randrnn.atlas import export_atlas
from randrnn.cli import app
from randrnn.graphs.properties import properties
from randrnn.store import Study
from tests.analysis.conftest import make_graph, make_study


@pytest.fixture(scope="module")
def atlas(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("atlas")
    make_study(root / "study", n_graphs=24, replicates=2)
    export_atlas(root / "study", root / "atlas")
    return root / "atlas"


@pytest.fixture(autouse=True)
def quick(tmp_path, monkeypatch):
    """A private cache, and a quick choice of regressor (two, 3-fold, once)."""
    monkeypatch.setenv("RANDRNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(atlas_model, "REGRESSORS", {"bayesian_ridge": None, "dummy": None})
    monkeypatch.setattr(atlas_model, "CV", 3)
    monkeypatch.setattr(atlas_model, "REPEATS", 1)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def graph_file(tmp_path: Path, g: nx.Graph) -> Path:
    path = tmp_path / "g.graphml"
    nx.write_graphml(g, path)
    return path


def test_predict_atlas_prints_the_models_prediction(atlas, tmp_path):
    g = make_graph(5)[1]
    result = invoke("predict", "--atlas", atlas, "--graph-file", graph_file(tmp_path, g),
                    "--cells", "gru", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout))
    model = atlas_model.model_for(atlas_model.atlas_source(atlas), "reber", "gru")
    expected = model.predict(model.matrix([properties(g)]))["prediction"].iloc[0]
    assert list(got["cell"]) == ["gru"] and got["regressor"].iloc[0] == model.regressor
    assert got["prediction"].iloc[0] == pytest.approx(expected, rel=1e-5)
    assert got["cv_r2"].iloc[0] == pytest.approx(model.cv_r2, rel=1e-5)


def test_predict_atlas_without_a_value_reads_the_shipped_atlas(atlas, tmp_path, monkeypatch):
    """`--atlas` alone, followed by another option: the shipped atlas ($RANDRNN_ATLAS)."""
    monkeypatch.setenv("RANDRNN_ATLAS", str(atlas))
    path = graph_file(tmp_path, make_graph(5)[1])
    result = invoke("predict", "--atlas", "--graph-file", path, "--cells", "gru")
    assert result.exit_code == 0, result.output
    assert f"from atlas {atlas}" not in result.stdout and "shipped atlas" in result.stdout


def test_a_graph_outside_the_atlas_gets_the_warning(atlas, tmp_path):
    big = nx.connected_watts_strogatz_graph(90, 18, 1.0, seed=1)
    result = invoke("predict", "--atlas", atlas, "--graph-file", graph_file(tmp_path, big),
                    "--cells", "gru")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lies outside what atlas" in result.stderr and "nodes 90 outside" in result.stderr


def test_a_path_that_is_not_an_atlas_is_one_line(atlas, tmp_path):
    path = graph_file(tmp_path, make_graph(5)[1])
    for where, text in [(tmp_path / "none", "no atlas at"), (tmp_path, "is not an atlas")]:
        result = invoke("predict", "--atlas", where, "--graph-file", path)
        assert result.exit_code == 1 and text in str(result.exception), result.output
        assert "\n" not in str(result.exception)


def test_design_puts_top_and_control_into_a_new_study(atlas, tmp_path):
    out = tmp_path / "designed"
    result = invoke("design", "--atlas", atlas, "--cells", "gru", "--candidates", 30, "--top",
                    4, "--random", 3, "--study", out, "--seed", 2)  # fmt: skip
    assert result.exit_code == 0, result.output
    with Study.open(out) as study:
        graphs = study.graphs()
        meta = study.get_meta("design")
    groups = [g["params"]["group"] for g in graphs]
    assert groups == ["designed"] * 4 + ["random"] * 3
    model = atlas_model.model_for(atlas_model.atlas_source(atlas), "reber", "gru")
    # the atlas' generators and node range by default, scored by its predictor
    assert meta["generators"] == ["ba", "ws"] and meta["nodes"] == list(
        atlas_model.covered(model)[1]
    )
    for g in graphs:
        predicted = model.predict(model.matrix([g["properties"]]))["prediction"].iloc[0]
        assert g["params"]["predicted_gru"] == pytest.approx(predicted)
    top = [g["params"]["score"] for g in graphs[:4]]
    assert top == sorted(top, reverse=True) and min(top) >= max(g["params"]["score"]
                                                                 for g in graphs[4:])  # fmt: skip
    assert "train-all --study" in result.stdout


def test_design_into_a_used_folder_is_refused(atlas, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    result = invoke("design", "--atlas", atlas, "--study", tmp_path / "full", "--candidates", 5)
    assert result.exit_code == 1 and "exists and is not empty" in str(result.exception)
