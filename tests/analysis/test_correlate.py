"""Correlation tables: coefficients, BH correction, bootstrap intervals, degenerate columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from randrnn.analysis import correlate as corr
from randrnn.analysis import table
from randrnn.errors import RandRNNError


def test_pearson_of_perfectly_linear_column_is_one_and_matches_scipy(df: pd.DataFrame) -> None:
    """Pearson of a target that is an exact linear function of a column is 1, as scipy says."""
    df = df.assign(test_acc=0.5 + 0.01 * df["nodes"])
    res = corr.correlate(df, methods=["pearson"], cell="gru")
    row = res.set_index("property").loc["nodes"]
    assert row["pearson"] == pytest.approx(1.0)
    gru = df[df["cell"] == "gru"]
    other = res.set_index("property").loc["degree_var"]
    assert other["pearson"] == pytest.approx(stats.pearsonr(gru["degree_var"], gru["test_acc"])[0])


@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_rank_methods_match_scipy(df: pd.DataFrame, method: str) -> None:
    """Spearman and Kendall coefficients and p-values are scipy's."""
    res = corr.correlate(df, methods=[method], cell="rnn_tanh").set_index("property")
    rows = df[df["cell"] == "rnn_tanh"]
    expect = corr.METHODS[method](rows["closeness_var"], rows["test_acc"])
    assert res.loc["closeness_var", method] == pytest.approx(expect.statistic)
    assert res.loc["closeness_var", f"{method}_p"] == pytest.approx(expect.pvalue)


def test_bh_corrected_p_is_at_least_raw_p_and_monotone(df: pd.DataFrame) -> None:
    """BH q ≥ p for every property, and q is ordered as p is within a group."""
    res = corr.correlate(df, methods=["pearson"], cell="gru").dropna(subset=["pearson_p"])
    assert (res["pearson_q"] >= res["pearson_p"] - 1e-15).all()
    ordered = res.sort_values("pearson_p")
    assert ordered["pearson_q"].is_monotonic_increasing


def test_constant_column_is_reported_not_crashed(df: pd.DataFrame) -> None:
    """A constant property gets NaN coefficients and the note 'constant'."""
    res = corr.correlate(df, cell="gru").set_index("property")
    assert res.loc["layers", "note"] == "constant"
    assert np.isnan(res.loc["layers", "pearson"]) and np.isnan(res.loc["layers", "kendall_q"])
    assert res.index[-1] == "layers"  # sorted last


def test_rows_sorted_by_strength(df: pd.DataFrame) -> None:
    """Properties come strongest first (by |first method|) within each cell."""
    res = corr.correlate(df, methods=["spearman", "pearson"], cell="gru")
    strength = res["spearman"].abs().dropna()
    assert strength.is_monotonic_decreasing and res["property"].iloc[0] == "nodes"


@pytest.mark.parametrize("method", list(corr.METHODS))
def test_bootstrap_interval_contains_estimate_and_is_seeded(df: pd.DataFrame, method: str) -> None:
    """The bootstrap 95% interval contains the estimate, and the same seed gives it again."""
    one = corr.correlate(df, methods=[method], bootstrap=300, seed=3, cell="gru")
    two = corr.correlate(df, methods=[method], bootstrap=300, seed=3, cell="gru")
    ok = one.dropna(subset=[method])
    assert ((ok[f"{method}_lo"] <= ok[method]) & (ok[method] <= ok[f"{method}_hi"])).all()
    pd.testing.assert_frame_equal(one, two)


def test_weighted_kendall_equals_kendall_of_resamples() -> None:
    """The matrix form of bootstrap Kendall equals scipy's tau-b on each resample (with ties)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 30).astype(float)
    y = x + rng.integers(0, 3, 30)
    idx = rng.integers(0, 30, (5, 30))
    expect = [stats.kendalltau(x[i], y[i]).statistic for i in idx]
    assert corr._weighted_kendall(x, y, idx) == pytest.approx(expect)


def test_by_generator_splits_each_cell(df: pd.DataFrame) -> None:
    """--by generator gives one group per (cell, generator) with its own n."""
    res = corr.correlate(df, by="generator", methods=["pearson"])
    assert set(zip(res["cell"], res["generator"])) == {
        (c, g) for c in ("rnn_tanh", "gru") for g in ("ba", "ws")
    }
    assert (res["n"] == 30).all()


def test_thesis_column_shows_published_value(df: pd.DataFrame) -> None:
    """--thesis adds the thesis' Pearson r for the property and cell (NaN where unpublished)."""
    res = corr.correlate(df, with_thesis=True).set_index(["cell", "property"])
    assert res.loc[("gru", "source_nodes"), "thesis_pearson"] == 0.74
    assert res.loc[("rnn_tanh", "closeness_var"), "thesis_pearson"] == -0.46
    assert np.isnan(res.loc[("gru", "degree_mean"), "thesis_pearson"])


def test_thesis_layout_csv_with_mode_column(df: pd.DataFrame, tmp_path) -> None:
    """A CSV with docs/method.md §6 columns and a 'mode' column of thesis labels is read and grouped."""
    path = tmp_path / "thesis.csv"
    df.drop(columns=["cell"]).assign(
        mode=df["cell"].map({"gru": "GRU", "rnn_tanh": "RNN_Tanh"})
    ).to_csv(path)
    res = corr.correlate(table.load_csv(path), methods=["pearson"])
    assert list(dict.fromkeys(res["cell"])) == ["rnn_tanh", "gru"]


def test_missing_target_is_one_clear_error(df: pd.DataFrame) -> None:
    """A table without the target column raises RandRNNError naming it."""
    with pytest.raises(RandRNNError, match="no target column 'accuracy'"):
        corr.correlate(df, target="accuracy")


def test_non_numeric_feature_is_one_clear_error(df: pd.DataFrame) -> None:
    """A property column holding text raises RandRNNError naming the column and a bad value."""
    df["diameter"] = df["diameter"].astype(object)
    df.loc[3, "diameter"] = "n/a"
    with pytest.raises(RandRNNError, match=r"diameter.*not numeric.*'n/a'"):
        corr.correlate(df)


def test_display_marks_significant_and_keeps_constant_rows(df: pd.DataFrame) -> None:
    """The text table stars q < 0.05 and shows the constant column with its note."""
    res = corr.correlate(df, cell="gru", bootstrap=50)
    ((title, frame),) = corr.display(res)
    assert title.startswith("GRU (n=60)")
    assert frame.loc[0, "r"].startswith("0.") and frame.loc[0, "r"].endswith("*")
    assert "layers (constant)" in set(frame["property"])
    assert re.match(r"\| property +\|", table.to_markdown(frame))
