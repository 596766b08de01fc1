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
from randrnn.analysis import request
from randrnn.analysis.config import PredictConfig
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
    rf = pred.importances(
        df, request.parse(PredictConfig(cv=3), df), "random_forest", cell="gru", n_repeats=2
    )
    assert rf["impurity"].sum() == pytest.approx(1.0) and rf["feature"].iloc[0] == "nodes"
    br = pred.importances(
        df, request.parse(PredictConfig(cv=3), df), "bayesian_ridge", cell="gru", n_repeats=2
    )
    assert br["impurity"].isna().all() and br["feature"].iloc[0] == "nodes"


def test_predict_graph_gives_prediction_with_spread(df: pd.DataFrame) -> None:
    """A new graph gets a prediction per cell near the synthetic truth, with fold and tree spread."""
    g = nx.barabasi_albert_graph(30, 3, seed=1)
    props = properties(g)
    res = pred.predict_graph(
        df, props, request.parse(PredictConfig(features="nodes", cv=3, repeats=2), df)
    )
    assert list(res["cell"]) == ["rnn_tanh", "gru"]
    gru = res.set_index("cell").loc["gru"]
    assert gru["prediction"] == pytest.approx(0.6 + 0.005 * 30, abs=0.02)
    # six fold models (3 folds × 2 repeats) predict around the full model, and differ
    assert gru["fold_lo"] < gru["prediction"] < gru["fold_hi"]
    assert 0 < gru["fold_sd"] < gru["fold_hi"] - gru["fold_lo"]
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


# ------------------------------------------------------------------ runs of one graph, ceiling


def test_splits_without_groups_are_repeated_kfold() -> None:
    """Ungrouped folds are exactly scikit-learn's RepeatedKFold (per-graph tables unchanged)."""
    from sklearn.model_selection import RepeatedKFold

    ours = list(pred.splits(30, 5, 2, seed=3))
    theirs = list(RepeatedKFold(n_splits=5, n_repeats=2, random_state=3).split(np.zeros(30)))
    assert all(
        np.array_equal(a, c) and np.array_equal(b, d) for (a, b), (c, d) in zip(ours, theirs)
    )


def test_grouped_splits_keep_each_graph_on_one_side() -> None:
    """With graph ids, no graph is in a fold's train and test, and each repeat tests every row once."""
    groups = np.repeat(np.arange(20), 3)  # 20 graphs × 3 runs
    tested = np.zeros((2, len(groups)), dtype=int)
    for i, (train, test) in enumerate(pred.splits(len(groups), 4, 2, seed=0, groups=groups)):
        assert not set(groups[train]) & set(groups[test])
        tested[i // 4, test] += 1
    assert (tested == 1).all()


def test_graph_groups_only_when_a_graph_repeats(df: pd.DataFrame) -> None:
    """Per-graph rows give no groups; per-run rows give the graph id of each complete row."""
    rows = df[df["cell"] == "gru"]
    assert pred.graph_groups(rows, "test_acc", FEATURES) is None
    runs = pd.concat([rows, rows]).reset_index(drop=True)
    runs.loc[0, "nodes"] = np.nan  # dropped by xy, so dropped from the groups too
    groups = pred.graph_groups(runs, "test_acc", FEATURES)
    X, _ = pred.xy(runs, "test_acc", FEATURES)
    assert len(groups) == len(X) == 2 * len(rows) - 1
    assert list(groups) == list(runs["graph_id"].iloc[1:])


def test_thesis_split_over_graphs_keeps_runs_together(df: pd.DataFrame) -> None:
    """Grouped, the 90/10 split draws graphs (random_state 7) and takes all their runs."""
    rows = df[df["cell"] == "gru"]
    runs = pd.concat([rows, rows]).reset_index(drop=True)
    X, y = pred.xy(runs, "test_acc", FEATURES)
    groups = runs["graph_id"].to_numpy()
    res = pred.thesis_split(X, y, "bayesian_ridge", groups=groups)
    _, test_ids = train_test_split(np.unique(groups), test_size=0.10, random_state=7)
    assert sorted(set(groups[res["test_index"]])) == sorted(test_ids)
    assert res["n_test"] == 2 * len(test_ids)


def test_evaluate_on_runs_needs_enough_graphs_not_rows(df: pd.DataFrame) -> None:
    """Two runs of 12 graphs are 24 rows but only 12 graphs: too few for 10-fold CV."""
    rows = df[(df["cell"] == "gru") & (df["graph_id"] < 12)]
    runs = pd.concat([rows, rows]).reset_index(drop=True)
    with pytest.raises(RandRNNError, match="only 12 graphs for gru.*needs at least 20"):
        pred.evaluate(runs, regressors="dummy", cv=10)


def test_add_ceiling_divides_each_r2_by_its_cell_ceiling(df: pd.DataFrame) -> None:
    """R² / ceiling per cell; a cell without a ceiling (or a zero one) gets NaN."""
    result = pred.evaluate(df, regressors="bayesian_ridge,dummy", cv=3, repeats=1)
    out = pred.add_ceiling(result, {"gru": (0.5, "mean of 2 runs"), "rnn_tanh": (0.0, "one run")})
    gru = out[out["cell"] == "gru"]
    assert np.allclose(gru["r2_of_ceiling"], gru["r2"] / 0.5)
    assert np.allclose(gru["r2_pooled_of_ceiling"], gru["r2_pooled"] / 0.5)
    assert out.loc[out["cell"] == "rnn_tanh", "r2_of_ceiling"].isna().all()
    title, frame = pred.display(out)[1]
    assert "noise ceiling 0.500 (mean of 2 runs)" in title
    assert list(frame.columns[:5]) == [
        "regressor",
        "pooled R²",
        "pooled/ceiling",
        "fold R²",
        "fold/ceiling",
    ]
