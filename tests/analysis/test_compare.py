"""Paired comparison of two studies of the same graphs (`randrnn compare`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from randrnn.analysis import compare, table
from randrnn.cli import app
from randrnn.errors import RandRNNError

from .conftest import make_study

runner = CliRunner()


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 24 graphs, trained 'twice': each study draws its own seed noise."""
    root = tmp_path_factory.mktemp("compare")
    return make_study(root / "a", seed=0), make_study(root / "b", seed=1)


def test_paired_interval_equals_scipys_paired_t_test(two_studies) -> None:
    """Mean difference, 95 % CI and p equal scipy's ttest_rel on the graph-matched accuracies."""
    a, b = two_studies
    means, _ = compare.compare_studies(a, b)
    ta, tb = table.load_study(a), table.load_study(b)
    for row in means.itertuples():
        ya = ta[ta["cell"] == row.cell].sort_values("graph_id")["test_acc"].to_numpy()
        yb = tb[tb["cell"] == row.cell].sort_values("graph_id")["test_acc"].to_numpy()
        test = stats.ttest_rel(yb, ya)
        ci = test.confidence_interval(0.95)
        assert row.graphs == len(ya) == 24
        assert row.diff == pytest.approx((yb - ya).mean())
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high))
        assert row.p == pytest.approx(test.pvalue)
        assert (row.mean_a, row.mean_b) == pytest.approx((ya.mean(), yb.mean()))


def _both(x: np.ndarray, ya: np.ndarray, yb: np.ndarray) -> pd.DataFrame:
    n = len(x)
    return pd.DataFrame(
        {"graph_id": range(n), "cell": "gru", "source_nodes_a": x, "source_nodes_b": x,
         "test_acc_a": ya, "test_acc_b": yb}
    )  # fmt: skip


def test_sign_change_needs_opposite_signs_and_a_large_r() -> None:
    """A flip is flagged only when the signs differ and |r| > min_r in A or B."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    noise = rng.normal(size=200)
    up, down, weak = x + noise, -x + noise, 0.05 * x + noise
    flipped = compare.sign_changes(_both(x, up, down))
    assert flipped["flips"].all()
    same = compare.sign_changes(_both(x, up, up + 0.1 * noise))
    assert not same["flips"].any()
    r_weak = stats.pearsonr(x, weak).statistic
    small = compare.sign_changes(_both(x, weak, -weak), min_r=abs(r_weak) + 0.01)
    assert not small["flips"].any()
    assert small["r_a"].iloc[0] == pytest.approx(r_weak)


def test_different_graphs_under_one_id_stop_the_comparison(tmp_path: Path) -> None:
    """Studies whose graph ids hold different graphs are not paired."""
    a = table.load_study(make_study(tmp_path / "a"))
    b = a.copy()
    b.loc[b["graph_id"] == b["graph_id"].iloc[0], "edges"] += 1
    with pytest.raises(RandRNNError, match=r"graph \d+ differs between the studies \(edges\)"):
        compare.paired(a, b)


def test_cli_prints_every_cell_whole_at_80_columns(two_studies) -> None:
    """The command's table fits 80 columns: cell names and the interval are not cut."""
    a, b = two_studies
    out = runner.invoke(app, ["compare", str(a), str(b)], env={"COLUMNS": "80"}).output
    assert "RNN_Tanh" in out and "GRU" in out and "…" not in out
    means, _ = compare.compare_studies(a, b)
    for row in means.itertuples():
        assert f"[{row.ci_low:.3f}, {row.ci_high:.3f}]" in out


def test_runs_of_different_tasks_are_never_paired(tmp_path: Path) -> None:
    """Two tasks in each study: every graph pairs once per task, reber with reber only."""
    a = table.load_study(make_study(tmp_path / "a"))
    two = lambda df: pd.concat([df.assign(task="reber"), df.assign(task="dyck-2", test_acc=0.5)])
    both = compare.paired(two(a), two(a))
    assert len(both) == 2 * len(a)
    assert (both["test_acc_a"] == both["test_acc_b"]).all()  # no reber run met a dyck-2 run
    means = compare.paired_means(both)
    assert set(means["task"]) == {"reber", "dyck-2"} and (means["graphs"] == 24).all()
    assert (means["diff"] == 0).all()


def test_training_seconds_are_the_total_over_every_run(tmp_path: Path) -> None:
    """With replicates (A: 2 per graph, B: 3), s A and s B are the sums of train_seconds over
    every run of the paired graphs, as the per-run table lists them (not of per-graph means)."""
    a = make_study(tmp_path / "a", n_graphs=8, replicates=2, seconds=lambda i, j: 1 + i + 10 * j)
    b = make_study(tmp_path / "b", n_graphs=8, seed=1, replicates=3,
                   seconds=lambda i, j: 0.5 * i + j * j)  # fmt: skip
    means, _ = compare.compare_studies(a, b)
    for side, path in (("a", a), ("b", b)):
        runs = table.load_study(path, per_run=True)
        direct = runs.groupby("cell")["train_seconds"].sum()
        for row in means.itertuples():
            assert getattr(row, f"seconds_{side}") == pytest.approx(direct[row.cell])
    # A by hand: 8 graphs × 2 replicates of 1 + i + 10 j, per cell
    by_hand = sum(1 + i + 10 * j for i in range(8) for j in range(2))
    assert list(means["seconds_a"]) == pytest.approx([by_hand] * len(means))
