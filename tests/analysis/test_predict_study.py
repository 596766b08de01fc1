"""What `randrnn predict` computes for one table, apart from the command that prints it."""

from __future__ import annotations

import pandas as pd
import pytest

from randrnn.analysis import predict as pred
from randrnn.analysis import predict_study, request, table
from randrnn.analysis.config import PredictConfig
from randrnn.errors import RandRNNError


def test_default_folds_are_named_for_the_cells_that_get_fewer(df: pd.DataFrame) -> None:
    """Without --cv each cell gets min(10, graphs // 2) folds, and the legend names every cell
    below 10 with its folds and rows."""
    few = pd.concat([df[df["cell"] == "gru"].head(14), df[df["cell"] == "rnn_tanh"]])
    found = predict_study.run(
        few, None, request.parse(PredictConfig(regressor="bayesian_ridge", repeats=1), few)
    )
    folds = dict(zip(found.result["cell"], found.result["folds"]))
    assert folds == {"rnn_tanh": min(10, 60 // 2), "gru": 14 // 2}
    assert "GRU 7-fold (n=14)" in found.legend and "RNN_Tanh" not in found.legend
    assert found.kind == "scores"


def test_a_given_cv_adds_no_folds_note(df: pd.DataFrame) -> None:
    """With --cv the folds are the user's: no line about them (the legend says only which R²
    is which)."""
    options = PredictConfig(regressor="dummy", cv=3, repeats=1)
    assert predict_study.run(df, None, request.parse(options, df)).legend == pred.R2_LEGEND


def test_thesis_numbers_only_for_reber(df: pd.DataFrame) -> None:
    """A table of another task has no thesis R²; a table without a task column keeps it."""
    options = PredictConfig(regressor="random_forest", cv=3, repeats=1)
    reber = predict_study.run(df, None, request.parse(options, df)).result
    dyck = df.assign(task="dyck-2")
    other = predict_study.run(dyck, None, request.parse(options, dyck)).result
    assert table.is_reber(df) and not table.is_reber(df.assign(task="dyck-2"))
    assert not reber["thesis_r2"].isna().all()
    assert other["thesis_r2"].isna().all()


def test_thesis_numbers_only_beside_accuracy(df: pd.DataFrame) -> None:
    """The thesis predicted test accuracy: another --target (a safe level, a property) gets no
    thesis R² beside it."""
    options = PredictConfig(regressor="random_forest", cv=3, repeats=1, target="other")
    squared = df.assign(other=df["test_acc"] ** 2)
    other = predict_study.run(squared, None, request.parse(options, squared)).result
    assert other["thesis_r2"].isna().all()


def test_importance_of_the_dummy_alone_is_one_error(df: pd.DataFrame) -> None:
    """--importance with only the Dummy regressor is one line naming the problem."""
    with pytest.raises(RandRNNError, match="^--importance needs a regressor other than dummy$"):
        request.parse(PredictConfig(regressor="dummy", importance=True), df)


def test_one_predict_checks_its_table_and_parses_its_names_once(
    replicated_study, monkeypatch
) -> None:
    """One `randrnn predict` (seed replicates, two predictors) checks the target once, the
    features once and turns the predictor text into names once (issue 28)."""
    from typer.testing import CliRunner

    from randrnn.analysis import predictors
    from randrnn.cli import app

    calls = {"check_target": 0, "check_features": 0, "parse": 0}

    def counted(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(table, "check_target")
    counted(table, "check_features")
    counted(predictors, "parse")
    args = ["predict", "--study", str(replicated_study), "--cv", "3", "--repeats", "1",
            "--regressor", "bayesian_ridge,dummy", "--format", "csv"]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert calls == {"check_target": 1, "check_features": 1, "parse": 1}


def test_a_missing_pruning_target_is_explained_by_what_the_edge_passes(df: pd.DataFrame) -> None:
    """The table knows nothing of pruning: without ``explain`` a missing target is the plain
    line; with pruning's `missing_target` it says to prune first."""
    from randrnn.pruning.results import missing_target

    with pytest.raises(RandRNNError, match="has no target column 'safe_level'"):
        request.parse(PredictConfig(target="safe_level"), df)
    with pytest.raises(RandRNNError, match="no pruning results.*prune them first"):
        request.parse(PredictConfig(target="safe_level"), df, missing_target)


def test_the_request_is_the_options_checked(df: pd.DataFrame) -> None:
    """`parse` gives the names of each mode's default, the chosen columns and 'custom' for an
    explicit list; the Dummy is left out of importances."""
    scores = request.parse(PredictConfig(), df)
    assert scores.mode == "scores" and scores.names == tuple(pred.REGRESSORS)
    assert scores.features == tuple(pred.FEATURE_SETS["all"]) and scores.feature_set == "all"
    listed = request.parse(PredictConfig(features="nodes, edges", importance=True,
                                         regressor="dummy,bayesian_ridge"), df)  # fmt: skip
    assert listed.mode == "importance" and listed.names == ("bayesian_ridge",)
    assert listed.features == ("nodes", "edges") and listed.feature_set == "custom"
    graph = request.parse(PredictConfig(graph_file="g.edgelist", protocol="thesis"), df)
    assert graph.mode == "graph" and graph.names == ("random_forest",) and graph.protocol == "cv"
