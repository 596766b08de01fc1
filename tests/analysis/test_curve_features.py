"""`predict --curve-epochs K`: the first K epochs of each run's learning curve as features,
averaged over replicates like the target, on the folds of the graph properties alone."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from randrnn.analysis import curvefeatures, predict, request, table
from randrnn.analysis.config import PredictConfig
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.graphs.properties import properties
from randrnn.store import Study

from .conftest import make_graph

EPOCHS = 3


def curve_study(path: Path, n_graphs: int = 30, replicates: int = 2) -> Path:
    """A study of gru runs with 3-epoch curves: each run draws its epoch-1 test accuracy a
    (independent of its graph), climbs 0.05 an epoch and ends at a + 0.1, its test_acc.
    The final accuracy is thus an increasing linear function of the epoch-1 accuracy."""
    rng = np.random.default_rng(3)
    records = []
    for i in range(n_graphs):
        generator, g = make_graph(i)
        records.append({"index": i, "generator": generator, "graph": g, "seed": i,
                        "properties": properties(g)})  # fmt: skip
    with Study.create(path, meta={"seed": 0, "data": "default"}) as study:
        study.add_graphs(records)
        study.keep_curves_table()
        for record in records:
            for j in range(replicates):
                a = float(rng.uniform(0.3, 0.75))
                run = study.start_run(record["index"], "gru", {"epochs": EPOCHS}, replicate=j)
                study.finish_run(run, {"test_acc": a + 0.05 * (EPOCHS - 1), "test_loss": 1 - a,
                                       "train_acc": a, "epochs": EPOCHS})  # fmt: skip
                study.put_curve(run, [
                    {"epoch": e, "test_acc": a + 0.05 * (e - 1), "train_acc": a + 0.02 * e,
                     "train_loss": 1 - a - 0.01 * e, "test_loss": 1 - a}
                    for e in range(1, EPOCHS + 1)
                ])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return curve_study(tmp_path_factory.mktemp("curves") / "study")


def _predict(*args: str) -> pd.DataFrame:
    result = CliRunner().invoke(app, ["predict", *args, "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.output))


def test_curve_columns_are_each_graphs_mean_over_its_replicates(study: Path) -> None:
    """curve_<field>_<e> of a graph is the mean of its runs' epoch-e value, read straight from
    the store, for every field and epoch 1..K."""
    runs = curvefeatures.of_study(table.load(study, per_run=True), study, 2)
    means = table.per_graph(runs).set_index("graph_id")
    with Study.open(study) as st:
        long = pd.DataFrame(st.curves())
    for field in curvefeatures.FIELDS:
        for e in (1, 2):
            truth = long[long["epoch"] == e].groupby("graph_id")[field].mean()
            got = means[f"curve_{field}_{e}"]
            assert np.allclose(got.sort_index(), truth.sort_index(), rtol=0, atol=1e-12)
    assert not any(c.endswith("_3") for c in runs.columns if c.startswith("curve_"))


def test_curve_features_keep_the_folds_of_the_graph_properties(study: Path) -> None:
    """Graph-only and graph + curve designs have the same rows, targets and folds; the curve
    columns follow the properties."""
    runs = curvefeatures.of_study(table.load(study, per_run=True), study, EPOCHS)
    df = table.per_graph(runs)
    plain = request.parse(PredictConfig(cv=5, repeats=2), df)
    curved = request.parse(PredictConfig(cv=5, repeats=2, curve_epochs=EPOCHS), df)
    (a,), (b,) = predict.designs(df, plain), predict.designs(df, curved)
    assert curved.features == (*plain.features, *curvefeatures.columns(EPOCHS))
    assert curved.feature_set == "all + curve 3" and len(curved.features) == 23 + 3 * EPOCHS
    assert np.array_equal(a.y, b.y) and np.array_equal(a.X, b.X[:, : a.X.shape[1]])
    for (tr_a, te_a), (tr_b, te_b) in zip(a.splits(), b.splits(), strict=True):
        assert np.array_equal(tr_a, tr_b) and np.array_equal(te_a, te_b)


def test_epoch_one_accuracy_ranks_the_final_accuracy(study: Path) -> None:
    """Final accuracy = a + 0.1 with a the epoch-1 accuracy: with K = 1 the naive ranker
    (curve_test_acc_1 alone) and the curve set reach Kendall τ ≈ 1 and R² ≈ 1, while the graph
    properties, unrelated to a, do not."""
    args = ["--study", str(study), "--cv", "3", "--repeats", "1", "--regressor", "bayesian_ridge"]
    naive = _predict(*args, "--curve-epochs", "1", "--features", "curve_test_acc_1").iloc[0]
    curve = _predict(*args, "--curve-epochs", "1", "--feature-set", "curve").iloc[0]
    graph = _predict(*args).iloc[0]
    means = table.per_graph(curvefeatures.of_study(table.load(study, per_run=True), study, 1))
    assert stats.kendalltau(means["curve_test_acc_1"], means["test_acc"]).statistic == 1.0
    assert naive["kendall"] > 0.99 and naive["r2_pooled"] > 0.99
    assert curve["feature_set"] == "curve 1" and curve["n_features"] == 3
    assert curve["kendall"] > 0.95
    assert graph["kendall"] < 0.5 and graph["feature_set"] == "all"


def _error(*args: str) -> str:
    with pytest.raises(RandRNNError) as caught:
        CliRunner().invoke(app, ["predict", *args], catch_exceptions=False)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_a_study_without_curves_is_one_line(study_dir: Path) -> None:
    """A study trained before curves (no run_curves table) cannot give curve features."""
    assert "has no learning curves" in _error("--study", str(study_dir), "--curve-epochs", "2")


@pytest.mark.parametrize(
    ("k", "says"),
    [(4, "recorded only 3 epochs"), (0, "must be 1 or more"), (-1, "must be 1 or more")],
)
def test_epochs_beyond_the_curves_or_below_one_are_one_line(study: Path, k: int, says) -> None:
    """K beyond the epochs every run recorded, or K < 1: one line saying what to choose."""
    assert says in _error("--study", str(study), "--curve-epochs", str(k))


def test_a_run_without_a_curve_is_one_line(tmp_path: Path) -> None:
    """A run whose curve is missing (trained with --no-curves beside the others) is named."""
    path = curve_study(tmp_path / "s", n_graphs=8, replicates=1)
    with Study.open(path) as st, st.transaction() as conn:
        conn.execute("DELETE FROM run_curves WHERE run_id = (SELECT MIN(run_id) FROM run_curves)")
    assert "1 of the 8 runs analysed" in _error("--study", str(path), "--curve-epochs", "1")


def test_curve_set_without_epochs_and_a_csv_without_curves_are_one_line(
    study: Path, tmp_path: Path
) -> None:
    """--feature-set curve asks for K; a CSV brings no curve columns unless it has them."""
    assert "needs --curve-epochs" in _error("--study", str(study), "--feature-set", "curve")
    csv = tmp_path / "runs.csv"
    table.load(study).to_csv(csv, index=False)
    assert "has no curve_test_acc_1" in _error("--from", str(csv), "--curve-epochs", "1")
