"""What `randrnn predict` computes for one table, apart from the command that prints it."""

from __future__ import annotations

import pandas as pd
import pytest

from randrnn.analysis import predict as pred
from randrnn.analysis import predict_study, table
from randrnn.analysis.config import PredictConfig
from randrnn.errors import RandRNNError


def test_default_folds_are_named_for_the_cells_that_get_fewer(df: pd.DataFrame) -> None:
    """Without --cv each cell gets min(10, graphs // 2) folds, and the legend names every cell
    below 10 with its folds and rows."""
    few = pd.concat([df[df["cell"] == "gru"].head(14), df[df["cell"] == "rnn_tanh"]])
    found = predict_study.run(few, None, PredictConfig(regressor="bayesian_ridge", repeats=1))
    folds = dict(zip(found.result["cell"], found.result["folds"]))
    assert folds == {"rnn_tanh": min(10, 60 // 2), "gru": 14 // 2}
    assert "GRU 7-fold (n=14)" in found.legend and "RNN_Tanh" not in found.legend
    assert found.kind == "scores"


def test_a_given_cv_adds_no_folds_note(df: pd.DataFrame) -> None:
    """With --cv the folds are the user's: no line about them (the legend says only which R²
    is which)."""
    options = PredictConfig(regressor="dummy", cv=3, repeats=1)
    assert predict_study.run(df, None, options).legend == pred.R2_LEGEND


def test_thesis_numbers_only_for_reber(df: pd.DataFrame) -> None:
    """A table of another task has no thesis R²; a table without a task column keeps it."""
    options = PredictConfig(regressor="random_forest", cv=3, repeats=1)
    reber = predict_study.run(df, None, options).result
    other = predict_study.run(df.assign(task="dyck-2"), None, options).result
    assert table.is_reber(df) and not table.is_reber(df.assign(task="dyck-2"))
    assert not reber["thesis_r2"].isna().all()
    assert other["thesis_r2"].isna().all()


def test_thesis_numbers_only_beside_accuracy(df: pd.DataFrame) -> None:
    """The thesis predicted test accuracy: another --target (a safe level, a property) gets no
    thesis R² beside it."""
    options = PredictConfig(regressor="random_forest", cv=3, repeats=1, target="other")
    other = predict_study.run(df.assign(other=df["test_acc"] ** 2), None, options).result
    assert other["thesis_r2"].isna().all()


def test_importance_of_the_dummy_alone_is_one_error(df: pd.DataFrame) -> None:
    """--importance with only the Dummy regressor is one line naming the problem."""
    with pytest.raises(RandRNNError, match="^--importance needs a regressor other than dummy$"):
        predict_study.run(df, None, PredictConfig(regressor="dummy", importance=True))
