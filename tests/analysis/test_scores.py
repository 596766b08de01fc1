"""Scores of a predictor on a design: pooled R², the fold mean without constant folds, ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from randrnn.analysis import design, request, scores
from randrnn.analysis import predict as pred
from randrnn.analysis.config import PredictConfig


def _design(X: np.ndarray, y: np.ndarray, cv: int, repeats: int, seed: int = 0) -> design.Design:
    return design.Design("all", X, y, ("a",), None, None, cv, repeats, seed)


def test_pooled_r2_is_r2_score_of_all_out_of_fold_predictions() -> None:
    """Pooled R² is sklearn's r2_score over the concatenated held-out targets and predictions,
    refitted here fold by fold independently."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X[:, 0] + rng.normal(scale=0.5, size=40)
    res = scores.cross_validate(_design(X, y, 4, 3, seed=2), "bayesian_ridge")
    truth, held = [], []
    for train, test in RepeatedKFold(n_splits=4, n_repeats=3, random_state=2).split(X):
        model = make_pipeline(MinMaxScaler(), BayesianRidge()).fit(X[train], y[train])
        truth.append(y[test])
        held.append(model.predict(X[test]))
    expect = r2_score(np.concatenate(truth), np.concatenate(held))
    assert res["r2_pooled"] == pytest.approx(expect)
    assert res["r2_pooled"] == pytest.approx(r2_score(np.tile(y, 3), res["oof"].ravel()))


def test_kendall_and_spearman_are_scipys_per_repeat_averaged() -> None:
    """Kendall τ (and Spearman) are scipy's, of a repeat's out-of-fold predictions against
    the truth, averaged over the repeats."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    y = X[:, 1] ** 2 + rng.normal(scale=0.3, size=30)
    res = scores.cross_validate(_design(X, y, 3, 2), "random_forest")
    taus = [stats.kendalltau(o, y).statistic for o in res["oof"]]
    rhos = [stats.spearmanr(o, y).statistic for o in res["oof"]]
    assert res["kendall"] == pytest.approx(np.mean(taus))
    assert res["spearman"] == pytest.approx(np.mean(rhos))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(1, 3))
def test_fold_mean_leaves_out_constant_folds_and_counts_them(seed: int, k: int, r: int) -> None:
    """A test fold whose targets are all equal is left out of the fold mean R² (not counted as
    0) and counted; the rest is the plain mean of each fold's r2_score."""
    rng = np.random.default_rng(seed)
    n = 4 * k
    y = np.where(rng.random(n) < 0.7, 1.0, rng.normal(size=n))  # many folds all ones
    X = rng.normal(size=(n, 2))
    res = scores.cross_validate(_design(X, y, k, r, seed), "dummy")
    fold_r2, constant = [], 0
    for train, test in RepeatedKFold(n_splits=k, n_repeats=r, random_state=seed).split(X):
        if np.ptp(y[test]) == 0:
            constant += 1
            continue
        fold_r2.append(r2_score(y[test], np.full(len(test), y[train].mean())))
    assert res["constant_folds"] == constant
    if fold_r2:
        assert res["r2"] == pytest.approx(np.mean(fold_r2))
    else:
        assert np.isnan(res["r2"])


def test_the_legend_says_how_many_folds_were_left_out(df: pd.DataFrame) -> None:
    """The predict legend names each cell with constant test folds and how many of how many."""
    from randrnn.analysis import predict_study

    rows = df[df["cell"] == "gru"].head(12).copy()
    rows["test_acc"] = [0.5] * 10 + [0.6, 0.7]
    found = predict_study.run(
        rows, None, request.parse(PredictConfig(regressor="dummy", cv=6, repeats=5), rows)
    )
    left = int(found.result["constant_folds"].iloc[0])
    expect = sum(
        np.ptp(rows["test_acc"].to_numpy()[test]) == 0
        for _, test in RepeatedKFold(n_splits=6, n_repeats=5, random_state=0).split(rows)
    )
    assert left == expect > 0
    assert f"GRU: {expect} of 30 test folds have all-equal targets" in found.legend
    assert pred.R2_LEGEND in found.legend


def test_every_predictor_of_a_cell_gets_the_same_folds(df: pd.DataFrame, monkeypatch) -> None:
    """The property regressors of one evaluate call are fitted on identical training rows
    (seen through the targets each fit receives)."""
    seen: dict[str, list[tuple[float, ...]]] = {}
    real = dict(pred.PREDICTORS)

    def spy(name):
        entry = real[name]

        def make(seed):
            model = entry.make(seed)
            fit = model.fit

            def recording(inputs, y):
                seen.setdefault(name, []).append(tuple(y))
                return fit(inputs, y)

            model.fit = recording
            return model

        return type(entry)(entry.label, entry.reads, make, entry.modules)

    for name in real:
        monkeypatch.setitem(pred.PREDICTORS, name, spy(name))
    pred.evaluate(df, regressors="all", cell="gru", cv=4, repeats=2)
    folds = list(seen.values())
    assert len(folds) == 5 and len(folds[0]) == 8
    assert all(f == folds[0] for f in folds)
