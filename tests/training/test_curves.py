"""Learning curves: train-all records one row per epoch with the run's result, the last row is
the run's final result, recording them changes no result, and `results --curves` shows them."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn.analysis.table import curves_table
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.reber import make_dataset
from randrnn.store import Study
from randrnn.store.curves import CURVE_COLUMNS
from randrnn.training.runner import train_study
from randrnn.version import code_version
from tests.training.test_runner import CONFIG, small_study

CONFIG3 = replace(CONFIG, epochs=3)


@pytest.fixture(scope="module")
def data():
    return make_dataset(n=400, seed=1)


def _train(path, data, curves: bool, replicates: int = 1):
    with small_study(path, n=3) as st:
        list(train_study(st, ["gru"], CONFIG3, *data, replicates=replicates, curves=curves))
        return st.runs(), st.curves()


def test_every_run_has_one_row_per_epoch_ending_at_its_result(tmp_path, data):
    runs, curves = _train(tmp_path / "s", data, curves=True, replicates=2)
    assert len(runs) == 6
    by_run = pd.DataFrame(curves).groupby("run_id")
    assert set(by_run.groups) == {r["id"] for r in runs}
    for run in runs:
        curve = by_run.get_group(run["id"]).sort_values("epoch")
        assert curve["epoch"].tolist() == [1, 2, 3]
        last = curve.iloc[-1]
        assert last["test_acc"] == pytest.approx(run["metrics"]["test_acc"], abs=1e-12)
        assert last["test_loss"] == pytest.approx(run["metrics"]["test_loss"], rel=1e-9)
        assert last["train_acc"] == pytest.approx(run["metrics"]["train_acc"], abs=1e-12)
        assert curve[["train_acc", "test_acc"]].stack().between(0, 1).all()
        assert run["code"] == code_version()


def test_recording_curves_changes_no_result(tmp_path, data):
    with_runs, _ = _train(tmp_path / "a", data, curves=True)
    without_runs, without_curves = _train(tmp_path / "b", data, curves=False)
    assert without_curves == []
    key = lambda r: (r["graph_id"], r["cell"], r["replicate"])
    for a, b in zip(sorted(with_runs, key=key), sorted(without_runs, key=key), strict=True):
        for name in ("test_acc", "test_loss", "train_acc", "train_loss"):
            assert a["metrics"][name] == b["metrics"][name], name


def test_an_older_study_reads_with_no_curves(tmp_path, data):
    """A study trained without curves (as before they existed: no table) gives an empty long
    table with the columns, and results --curves says so in one line."""
    _train(tmp_path / "old", data, curves=False)
    with Study.open(tmp_path / "old") as st:
        assert not st.has_table("run_curves")
    frame = curves_table(tmp_path / "old")
    assert frame.empty and list(frame.columns) == CURVE_COLUMNS
    result = CliRunner().invoke(app, ["results", "--curves", "--study", str(tmp_path / "old")])
    assert result.exit_code == 0
    assert "no learning curves" in result.output


def test_results_curves_is_long_csv_that_pivots(tmp_path, data):
    _train(tmp_path / "s", data, curves=True)
    result = CliRunner().invoke(app, ["results", "--curves", "--study", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert list(frame.columns) == CURVE_COLUMNS
    wide = frame.pivot_table(index="run_id", columns="epoch", values="test_acc")
    assert wide.shape == (3, 3) and not wide.isna().any().any()
    finals = pd.read_csv(io.StringIO(CliRunner().invoke(
        app, ["results", "--study", str(tmp_path / "s")]).output))  # fmt: skip
    assert sorted(wide[3]) == pytest.approx(sorted(finals["test_acc"]))


def test_put_curve_stores_nan_as_missing(tmp_path):
    import networkx as nx

    with Study.create(tmp_path / "s") as st:
        st.add_graphs([{"generator": "ws", "graph": nx.path_graph(3), "seed": 0}])
        run = st.start_run(0, "gru", CONFIG3.to_dict())
        st.finish_run(run, {"test_acc": 0.5})
        st.keep_curves_table()
        st.put_curve(run, [{"epoch": 1, "train_loss": 0.7, "train_acc": 0.5,
                            "test_acc": float("nan")}])  # fmt: skip
        (row,) = st.curves()
        assert row["test_acc"] is None and row["test_loss"] is None
        assert math.isclose(row["train_loss"], 0.7)


def test_results_configs_and_curves_together_is_one_line(tmp_path, data):
    _train(tmp_path / "s", data, curves=True)
    result = CliRunner().invoke(
        app, ["results", "--curves", "--configs", "--study", str(tmp_path / "s")]
    )
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert "give one" in str(result.exception)
