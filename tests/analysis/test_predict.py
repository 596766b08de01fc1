"""Accuracy prediction: pipelines, the CV and thesis protocols, importances, new graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from randrnn.analysis import predict as pred
from randrnn.errors import RandRNNError
from randrnn.graphs.properties import FEATURES, properties


def _xy(df: pd.DataFrame, cell: str = "gru") -> tuple[np.ndarray, np.ndarray]:
    rows = df[df["cell"] == cell]
    return rows[FEATURES].to_numpy(float), rows["test_acc"].to_numpy(float)


@pytest.mark.parametrize("name", list(pred.REGRESSORS))
def test_every_regressor_is_a_pipeline_with_minmax_inside(name: str) -> None:
    """Each registry entry builds a Pipeline whose first step is a MinMaxScaler."""
    pipe = pred.make_pipeline(name)
    assert isinstance(pipe, Pipeline) and isinstance(pipe.steps[0][1], MinMaxScaler)


def test_cv_returns_folds_times_repeats_scores(df: pd.DataFrame) -> None:
    """Repeated K-fold gives cv × repeats R² scores, summarised as mean and sd."""
    X, y = _xy(df)
    res = pred.cross_validate(X, y, "bayesian_ridge", cv=4, repeats=3, seed=1)
    assert len(res["scores"]) == 12
    assert res["r2"] == pytest.approx(np.mean(res["scores"]))
    assert res["r2_sd"] == pytest.approx(np.std(res["scores"], ddof=1))


def test_cv_is_seeded(df: pd.DataFrame) -> None:
    """The same seed gives the same fold scores."""
    X, y = _xy(df)
    one = pred.cross_validate(X, y, "adaboost", cv=3, repeats=1, seed=5)
    two = pred.cross_validate(X, y, "adaboost", cv=3, repeats=1, seed=5)
    assert one["scores"] == two["scores"]


def test_dummy_r2_is_zero_or_below(df: pd.DataFrame) -> None:
    """The Dummy (training mean) baseline scores R² ≈ 0 or below out of sample."""
    X, y = _xy(df)
    assert pred.cross_validate(X, y, "dummy", cv=5, repeats=2)["r2"] <= 0.01


def test_strong_signal_forest_beats_dummy(df: pd.DataFrame) -> None:
    """On test_acc = 0.6 + 0.005·nodes + noise, the random forest's R² is far above Dummy's."""
    res = pred.evaluate(df, regressors="random_forest,dummy", cell="gru", cv=5, repeats=1)
    r2 = res.set_index("regressor")["r2"]
    assert r2["random_forest"] > 0.8 and r2["random_forest"] - r2["dummy"] > 0.8
    assert res.set_index("regressor").loc["random_forest", "spearman"] > 0.8


def test_thesis_protocol_is_sklearns_10pct_split_with_random_state_7(df: pd.DataFrame) -> None:
    """The thesis protocol tests on 10% of rows: exactly train_test_split(..., random_state=7)."""
    X, y = _xy(df)
    res = pred.thesis_split(X, y, "bayesian_ridge")
    idx = np.arange(len(y))
    _, expect = train_test_split(idx, test_size=0.10, random_state=7)
    assert res["n_test"] == 6 and list(res["test_index"]) == list(expect)


def test_evaluate_shows_thesis_r2_beside(df: pd.DataFrame) -> None:
    """Each (cell, regressor) row carries the thesis' published R² where there is one."""
    res = pred.evaluate(df, regressors="random_forest,gradient_boosting", protocol="thesis")
    r = res.set_index(["cell", "regressor"])["thesis_r2"]
    assert r[("gru", "random_forest")] == 0.876 and np.isnan(r[("gru", "gradient_boosting")])


@pytest.mark.parametrize(
    ("feature_set", "expect"),
    [("nodes-edges", 4), ("no-nodes-edges", 19), ("variances", 5), ("all", 23)],
)
def test_feature_sets(df: pd.DataFrame, feature_set: str, expect: int) -> None:
    """The named feature sets select the thesis' groups of the 23 features."""
    assert len(pred.select_features(df, feature_set=feature_set)) == expect


def test_explicit_feature_list_is_validated(df: pd.DataFrame) -> None:
    """--features a,b is used as given; an unknown name is one clear error."""
    assert pred.select_features(df, features="nodes,edges") == ["nodes", "edges"]
    with pytest.raises(RandRNNError, match="unknown feature column.*girth"):
        pred.select_features(df, features="nodes,girth")


def test_too_few_rows_says_how_many_and_what_to_run(df: pd.DataFrame) -> None:
    """Fewer rows than 2 per fold: the error gives the count, the need and a way out."""
    small = df.groupby("cell").head(12)
    with pytest.raises(RandRNNError, match=r"only 12 rows for gru.*10-fold CV needs at least 20"):
        pred.evaluate(small, cell="gru", cv=10)


def test_unknown_regressor_lists_known() -> None:
    """An unknown regressor name fails once, listing the registry."""
    with pytest.raises(RandRNNError, match="known: all, bayesian_ridge"):
        pred.parse_regressors("svm")


def test_importances_impurity_for_forest_and_permutation_for_all(df: pd.DataFrame) -> None:
    """Forests get impurity importances (summing to 1); BayesianRidge only permutation; the
    signal's feature ranks first."""
    rf = pred.importances(df, regressor="random_forest", cell="gru", cv=3, n_repeats=2)
    assert rf["impurity"].sum() == pytest.approx(1.0) and rf["feature"].iloc[0] == "nodes"
    br = pred.importances(df, regressor="bayesian_ridge", cell="gru", cv=3, n_repeats=2)
    assert br["impurity"].isna().all() and br["feature"].iloc[0] == "nodes"


def test_predict_graph_gives_prediction_with_spread(df: pd.DataFrame) -> None:
    """A new graph gets a prediction per cell near the synthetic truth, with fold and tree spread."""
    g = nx.barabasi_albert_graph(30, 3, seed=1)
    props = properties(g)
    res = pred.predict_graph(df, props, features="nodes", cv=3, repeats=2)
    assert list(res["cell"]) == ["rnn_tanh", "gru"]
    gru = res.set_index("cell").loc["gru"]
    assert gru["prediction"] == pytest.approx(0.6 + 0.005 * 30, abs=0.02)
    assert gru["fold_lo"] <= gru["prediction"] + 0.02 and gru["fold_sd"] >= 0
    assert gru["tree_sd"] > 0 and gru["outside"] == ""


def test_pooled_r2_stays_sane_when_folds_are_nearly_constant():
    """Pooled out-of-fold R² stays near 0 for a Dummy on near-constant targets; fold R² explodes."""
    from randrnn.analysis.predict import cross_validate

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.full(30, 0.5)
    y[:3] += rng.normal(scale=0.01, size=3)  # most folds see (almost) no variance at all
    res = cross_validate(X, y, "dummy", cv=10, repeats=2, seed=0)
    assert res["r2_pooled"] <= 0.0 and res["r2_pooled"] > -1.0
    assert res["r2"] < res["r2_pooled"]
