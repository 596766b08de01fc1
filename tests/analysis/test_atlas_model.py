"""randrnn.analysis.atlas_model: the best regressor chosen by pooled R², its prediction, the
seed noise, the JSON cache keyed by checksum, and the coverage warning."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from randrnn.analysis import atlas_model, predict, table
from randrnn.analysis.predictors import make_pipeline
from randrnn.graphs.properties import properties
from tests.analysis.conftest import make_graph, make_study

SMALL = {"regressors": ["bayesian_ridge", "dummy"], "cv": 3, "repeats": 1}


@pytest.fixture
def source(tmp_path, monkeypatch):
    monkeypatch.setenv("RANDRNN_CACHE", str(tmp_path / "cache"))
    make_study(tmp_path / "s", n_graphs=24, replicates=2)
    return atlas_model.study_source(tmp_path / "s")


def test_best_regressor_by_pooled_r2(source):
    """The chosen regressor has the highest pooled R², the R² that `predict.evaluate` gives
    on the same graph means and folds."""
    model = atlas_model.model_for(source, "reber", "gru", **SMALL)
    means = table.load_study(source.study)
    scored = predict.evaluate(means, regressors=SMALL["regressors"], cell="gru", cv=3,
                              repeats=1, seed=0)  # fmt: skip
    pooled = dict(zip(scored["regressor"], scored["r2_pooled"]))
    assert model.r2 == pytest.approx(pooled)
    assert model.regressor == max(pooled, key=pooled.get) == "bayesian_ridge"
    assert model.cv_r2 > 0.5  # accuracy follows source_nodes in the fixture


def test_prediction_is_the_regressor_fitted_on_every_graph_mean(source):
    model = atlas_model.model_for(source, "reber", "gru", **SMALL)
    means = table.select_cells(table.load_study(source.study), ["gru"])
    X = means[list(model.features)].to_numpy(float)
    fresh = make_pipeline("bayesian_ridge", 0).fit(X, means["test_acc"].to_numpy(float))
    _, g = make_graph(30)
    props = properties(g)
    got = atlas_model.predict_graph(source, props, ["gru"], ["reber"], settings=SMALL)
    x = np.array([[props[f] for f in model.features]])
    assert got["prediction"].iloc[0] == pytest.approx(fresh.predict(x)[0])
    assert math.isnan(got["tree_sd"].iloc[0])  # not a forest
    half = 1.96 * math.hypot(model.rmse, model.seed_sd)
    pred = got["prediction"].iloc[0]
    assert got["run_hi"].iloc[0] == pytest.approx(min(1.0, pred + half))
    assert got["run_lo"].iloc[0] == pytest.approx(max(0.0, pred - half))


def test_seed_sd_is_the_pooled_within_graph_sd(source):
    """Two replicates a graph: within variance (a − b)² / 2, pooled over the graphs."""
    model = atlas_model.model_for(source, "reber", "gru", **SMALL)
    runs = table.select_cells(table.load_study(source.study, per_run=True), ["gru"])
    pairs = runs.pivot(index="graph_id", columns="replicate", values="test_acc")
    expected = math.sqrt(float(((pairs[0] - pairs[1]) ** 2 / 2).mean()))
    assert model.seed_sd == pytest.approx(expected)
    assert model.replicates == 2


def test_cache_is_json_and_skips_the_fit(source, monkeypatch):
    """The second call reads the JSON cache (no fit), keyed by the source's checksum."""
    first = atlas_model.model_for(source, "reber", "gru", **SMALL)
    path = atlas_model.cache_file(source.checksum, "reber", "gru")
    assert source.checksum in path.parts
    data = json.loads(path.read_text())  # plain JSON, nothing executed to load it
    assert data["regressor"] == first.regressor

    def refuse(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(atlas_model, "fit", refuse)
    again = atlas_model.model_for(source, "reber", "gru", **SMALL)
    X = first.X[:3]
    assert np.allclose(again.predict(X)["prediction"], first.predict(X)["prediction"])
    other = atlas_model.Source("other", "another-checksum", source.study)
    with pytest.raises(AssertionError, match="fitted again"):
        atlas_model.model_for(other, "reber", "gru", **SMALL)


def test_coverage_names_what_lies_outside(source):
    model = atlas_model.model_for(source, "reber", "gru", **SMALL)
    inside = model.coverage(model.X[:2], ["ws", "ba"])
    assert inside == ["", ""]  # the atlas' own graphs
    big = nx.connected_watts_strogatz_graph(90, 18, 1.0, seed=1)
    x = model.matrix([properties(big)])
    (note,) = model.coverage(x, ["er"])
    sizes = [make_graph(i)[1].number_of_nodes() for i in range(24)]
    assert f"nodes 90 outside {min(sizes)}–{max(sizes)}" in note
    assert "generator er not in the atlas (ba, ws)" in note
    assert "from the nearest atlas graph" in note
    (dense,) = model.coverage(model.matrix([properties(nx.complete_graph(17))]))
    assert dense.startswith("density 0.5 outside") and "nodes" not in dense


def test_missing_task_or_cell_is_one_line(source):
    from randrnn.errors import RandRNNError

    with pytest.raises(RandRNNError, match="no runs of task dyck-2"):
        atlas_model.model_for(source, "dyck-2", "gru")
    with pytest.raises(RandRNNError, match="no lstm runs of task reber"):
        atlas_model.model_for(source, "reber", "lstm")


def test_scorer_ranks_by_the_mean_prediction(source):
    score, label, _ = atlas_model.scorer(source, "reber", ["gru", "rnn_tanh"], SMALL)
    props = [properties(make_graph(i)[1]) for i in range(4)]
    frame = score(props, ["ba", "ws", "ba", "ws"])
    assert np.allclose(frame["score"], (frame["predicted_gru"] + frame["predicted_rnn_tanh"]) / 2)
    assert label["checksum"] == source.checksum and label["cells"] == ["gru", "rnn_tanh"]
    assert isinstance(frame, pd.DataFrame) and list(frame["outside"]) == [""] * 4
