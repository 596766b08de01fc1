"""The predictors that read the graph itself (WL kernel, GIN, WL + properties): what they must
recover, what they must not, their folds, their seeds, and the missing extra."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn.analysis import predict as pred
from randrnn.analysis import predictors
from randrnn.analysis.graph_input import encode
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import layers, to_dag
from randrnn.graphs.properties import properties

GRAPH_NAMES = list(predictors.GRAPH_PREDICTORS)


def _graphs(n: int, seed: int = 0) -> dict[int, nx.Graph]:
    """``n`` graphs, alternately Watts–Strogatz and Barabási–Albert, of 10 to 30 nodes."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        k, s = int(rng.integers(10, 31)), int(rng.integers(2**31))
        out[i] = (
            nx.connected_watts_strogatz_graph(k, 4, 0.5, seed=s)
            if i % 2
            else nx.barabasi_albert_graph(k, 2, seed=s)
        )
    return out


@pytest.fixture(scope="module")
def graphs() -> dict[int, nx.Graph]:
    return _graphs(200)


def _table(graphs: dict[int, nx.Graph], target: np.ndarray) -> pd.DataFrame:
    rows = [{"graph_id": i, "cell": "gru", **properties(g)} for i, g in graphs.items()]
    return pd.DataFrame(rows).assign(test_acc=target)


def _layer_target(graphs: dict[int, nx.Graph]) -> np.ndarray:
    """Accuracy as a function of the layer sizes: 0.5 + 0.02·|L0| − 0.01·|L1| + 0.005·|L2|."""
    sizes = [[len(layer) for layer in layers(to_dag(g))] + [0, 0] for g in graphs.values()]
    return np.array([0.5 + 0.02 * s[0] - 0.01 * s[1] + 0.005 * s[2] for s in sizes])


@pytest.mark.parametrize("name", GRAPH_NAMES)
def test_a_function_of_layer_sizes_is_recovered(graphs, name: str) -> None:
    """Accuracy = a function of the layer sizes: pooled R² ≥ 0.9 on 200 graphs, 3-fold CV."""
    pytest.importorskip(predictors.PREDICTORS[name].modules[0])
    df = _table(graphs, _layer_target(graphs))
    res = pred.evaluate(df, regressors=name, cv=3, repeats=1, graphs=graphs)
    assert res["r2_pooled"].iloc[0] >= 0.9


def test_pure_noise_is_not_predicted_by_any_predictor(graphs) -> None:
    """Accuracy independent of the graph: pooled R² ≤ 0 for every predictor, Dummy included."""
    names = [n for n, p in predictors.PREDICTORS.items() if _installed(p)]
    some = dict(list(graphs.items())[:90])
    target = np.random.default_rng(7).normal(0.7, 0.05, size=len(some))
    res = pred.evaluate(_table(some, target), regressors=names, cv=3, repeats=1, graphs=some)
    assert list(res["regressor"]) == names
    assert (res["r2_pooled"] <= 0).all(), res[["regressor", "r2_pooled"]]


def _installed(p: predictors.Predictor) -> bool:
    try:
        for module in p.modules:
            __import__(module)
    except ImportError:
        return False
    return True


def test_graph_and_property_predictors_share_their_folds(graphs, monkeypatch) -> None:
    """Every predictor, graph-reading or not, is fitted on the same training rows of each fold."""
    pytest.importorskip("grakel")
    seen: dict[str, list[tuple[float, ...]]] = {}

    def spy(name: str) -> predictors.Predictor:
        entry = predictors.PREDICTORS[name]

        def make(seed: int):
            model = entry.make(seed)
            fit = model.fit
            model.fit = lambda inputs, y: (
                seen.setdefault(name, []).append(tuple(y)),
                fit(inputs, y),
            )[1]
            return model

        return predictors.Predictor(entry.label, entry.reads, make, entry.modules)

    names = ["dummy", "bayesian_ridge", "wl_kernel", "wl_props"]
    for name in names:
        monkeypatch.setitem(predictors.PREDICTORS, name, spy(name))
    small = dict(list(graphs.items())[:60])
    df = _table(small, _layer_target(small))
    pred.evaluate(df, regressors=names, cv=3, repeats=2, graphs=small)
    assert len(seen) == 4 and all(len(v) == 6 for v in seen.values())
    assert all(v == seen["dummy"] for v in seen.values())


def test_gin_is_seeded(graphs) -> None:
    """The same seed gives identical GIN predictions; another seed other ones."""
    pytest.importorskip("torch_geometric")
    from randrnn.analysis.gin import GINRegressor

    enc = [encode(g) for g in list(graphs.values())[:60]]
    y = _layer_target(dict(list(graphs.items())[:60]))
    one = GINRegressor(seed=3, epochs=5).fit(enc[:40], y[:40]).predict(enc[40:])
    two = GINRegressor(seed=3, epochs=5).fit(enc[:40], y[:40]).predict(enc[40:])
    other = GINRegressor(seed=4, epochs=5).fit(enc[:40], y[:40]).predict(enc[40:])
    assert np.array_equal(one, two) and not np.allclose(one, other)


@pytest.mark.parametrize(("name", "module"), [("wl_kernel", "grakel"), ("gin", "torch_geometric")])
def test_a_missing_extra_is_one_line_naming_the_install(monkeypatch, name, module) -> None:
    """Without the graph extra, asking for its predictor is one error naming the install."""
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(RandRNNError, match=rf"^the {name} predictor needs {module}, .*: "
                       r"pip install -e '\.\[graph\]'$"):  # fmt: skip
        pred.parse_regressors(f"dummy,{name}")


def test_the_cli_says_the_missing_extra_and_exits_1(monkeypatch, study_dir: Path) -> None:
    """`predict --regressor gin` without torch_geometric: exit 1, one line with the command."""
    from randrnn.cli import app

    monkeypatch.setitem(sys.modules, "torch_geometric", None)
    result = CliRunner().invoke(app, ["predict", "--study", str(study_dir), "--regressor", "gin"])
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert str(result.exception) == (
        "the gin predictor needs torch_geometric, which is not installed: pip install -e '.[graph]'"
    )


def test_predict_reads_the_graphs_of_the_study(study_dir: Path, tmp_path: Path) -> None:
    """On a study, `predict --regressor wl_kernel` scores from the stored graphs, and
    `--graph-file` predicts a new graph with the spread over the folds."""
    pytest.importorskip("grakel")
    from randrnn.cli import app

    runner = CliRunner()
    args = ["predict", "--study", str(study_dir), "--regressor", "dummy,wl_kernel", "--cv", "3",
            "--repeats", "1", "--format", "csv"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wl_kernel" in result.output and "r2_pooled" in result.output
    graph = tmp_path / "g.edges"
    nx.write_edgelist(nx.barabasi_albert_graph(20, 2, seed=1), graph, data=False)
    result = runner.invoke(app, [*args, "--graph-file", str(graph)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.output))
    wl = frame[frame["regressor"] == "wl_kernel"]
    assert len(wl) == 2 and (wl["fold_lo"] <= wl["fold_hi"]).all() and wl["fold_sd"].notna().all()


def test_a_csv_has_no_graphs_to_read(tmp_path: Path, graphs) -> None:
    """A table without its study cannot feed a graph predictor: one line saying --study."""
    pytest.importorskip("grakel")
    small = dict(list(graphs.items())[:20])
    df = _table(small, _layer_target(small))
    df.attrs["source"] = "results.csv"
    with pytest.raises(RandRNNError, match="^wl_kernel: predicting from the graph itself needs "
                       "the study's graphs, and results.csv holds only their properties: "
                       "give --study$"):  # fmt: skip
        pred.evaluate(df, regressors="wl_kernel", cv=3, repeats=1)


def test_the_thesis_protocol_is_for_property_regressors(graphs) -> None:
    """--protocol thesis with a graph predictor is one line saying it scores properties only."""
    pytest.importorskip("grakel")
    df = _table(graphs, _layer_target(graphs))
    with pytest.raises(RandRNNError, match="^--protocol thesis scores the property regressors, "
                       "not wl_kernel$"):  # fmt: skip
        pred.evaluate(df, regressors="dummy,wl_kernel", protocol="thesis", graphs=graphs)


def test_the_wl_grid_holds_the_label_histogram_alone(graphs) -> None:
    """Relabelling rounds 0 (the histogram of the initial 'layer|in|out' labels) to 3 are
    tried; round 0's kernel is the dot product of the label counts computed by hand, and
    GraKeL's n_iter = 1 counts two rounds (the histogram plus one relabelling)."""
    pytest.importorskip("grakel")
    from collections import Counter

    from randrnn.analysis.wl import ITERATIONS, to_grakel, wl_kernel

    assert ITERATIONS[0] == 0 and 1 in ITERATIONS
    enc = [encode(g) for g in list(graphs.values())[:12]]
    counts = [Counter(g.labels()) for g in enc]
    hand = np.array([[sum(a[k] * b[k] for k in a) for b in counts] for a in counts], dtype=float)
    histogram = np.asarray(wl_kernel(0).fit_transform([to_grakel(g) for g in enc]), dtype=float)
    assert np.array_equal(histogram, hand)
    one = np.asarray(wl_kernel(1).fit_transform([to_grakel(g) for g in enc]), dtype=float)
    rest = np.diag(one - hand)  # round 1's own histogram: every node has one label
    assert (rest >= np.array([g.nodes for g in enc])).all()


def test_inner_splits_keep_a_graphs_runs_together() -> None:
    """WL's inner folds and GIN's validation split over groups never put one graph's rows on
    both sides, and cover every row."""
    from randrnn.analysis.gin import GINRegressor
    from randrnn.analysis.wl import inner_folds

    groups = np.repeat(np.arange(20), 3)[np.random.default_rng(0).permutation(60)]
    for train, test in inner_folds(60, 3, 0, groups):
        assert not set(groups[train]) & set(groups[test])
        assert sorted([*train, *test]) == list(range(60))
    held, train = GINRegressor(valid=0.2).validation_split(groups, seed=5)
    assert not set(groups[held]) & set(groups[train]) and len(np.unique(groups[held])) == 4


def test_per_run_tables_give_the_graph_predictors_their_groups(graphs, monkeypatch) -> None:
    """With two rows per graph, every inner split of the WL kernel is drawn over graphs."""
    pytest.importorskip("grakel")
    from randrnn.analysis import wl

    seen = []

    def spy(n, folds, seed, groups=None):
        out = inner_folds(n, folds, seed, groups)
        seen.append(groups is not None and all(
            not set(groups[a]) & set(groups[b]) for a, b in out
        ))  # fmt: skip
        return out

    inner_folds = wl.inner_folds
    monkeypatch.setattr(wl, "inner_folds", spy)
    small = dict(list(graphs.items())[:24])
    df = _table(small, _layer_target(small))
    runs = pd.concat([df.assign(replicate=0), df.assign(replicate=1)], ignore_index=True)
    pred.evaluate(runs, regressors="wl_kernel", cv=3, repeats=1, graphs=small)
    assert len(seen) == 3 and all(seen)


def test_gin_refits_on_every_training_row_and_averages_its_members(graphs, monkeypatch) -> None:
    """Each member's early stopping trains on the rows outside its validation split; then it is
    trained again on all rows for the epochs chosen; the prediction is the members' mean and
    `spread` their sd."""
    pytest.importorskip("torch_geometric")
    from randrnn.analysis.gin import GINRegressor

    enc = [encode(g) for g in list(graphs.values())[:30]]
    y = _layer_target(dict(list(graphs.items())[:30]))
    rows_seen = []
    original = GINRegressor._epoch
    monkeypatch.setattr(GINRegressor, "_epoch", lambda self, m, o, g, p, t, rows, rng: (
        rows_seen.append(len(rows)), original(self, m, o, g, p, t, rows, rng))[1])  # fmt: skip
    model = GINRegressor(seed=1, epochs=4, patience=2, members=2).fit(enc[:24], y[:24])
    assert rows_seen.count(24) == sum(model.epochs_) and set(rows_seen) == {24, 24 - 5}
    each = model._each(enc[24:])
    assert np.allclose(model.predict(enc[24:]), each.mean(axis=0))
    assert np.allclose(model.spread(enc[24:]), each.std(axis=0, ddof=1))
    assert model.spread(enc[24:]).max() > 0
