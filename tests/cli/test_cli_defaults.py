"""Defaults that fit the study in hand: folds from the graphs a pilot has, and a pruning plan
with its projected time before anything trains."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from rich.progress import TimeRemainingColumn
from typer.testing import CliRunner

from randrnn import reber
from randrnn.analysis import predict as pred
from randrnn.cli import app, console, output
from randrnn.cli.progress import progress_bar
from tests.analysis.conftest import make_study


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@given(st.integers(min_value=4, max_value=500), st.integers(min_value=2, max_value=20))
def test_chosen_folds_leave_two_graphs_per_test_fold(units: int, most: int) -> None:
    """Without --cv: min(most, graphs // 2) folds, so every test fold holds 2 graphs or more."""
    k = pred.choose_folds(units, None, most)
    assert k == min(most, units // 2) and units // k >= 2
    assert pred.choose_folds(units, 7, most) == 7  # a given --cv is kept


def test_predict_on_a_pilot_chooses_its_folds_and_says_so(tmp_path: Path) -> None:
    """6 graphs: predict with defaults runs 3-fold CV (not 10) and prints one line why."""
    study = make_study(tmp_path / "pilot", n_graphs=6, cells=("gru",))
    result = invoke("predict", "--study", study, "--repeats", "1", "--regressor", "dummy")
    assert result.exit_code == 0, result.output
    assert "cv on n=6, 3-fold" in result.output
    assert "Fewer than 20 graphs: GRU 3-fold (n=6)" in " ".join(result.output.split())
    csv = invoke("predict", "--study", study, "--repeats", "1", "--format", "csv")
    assert set(csv.output.splitlines()[1:][0].split(",")) >= {"3"}  # the folds column


def test_prune_dry_run_projects_and_trains_nothing(tmp_path: Path) -> None:
    """--dry-run: 2 cells × 2 methods, each cell's base trained once; each row's time is base
    epochs × the base's seconds per epoch plus, per level, retraining epochs × the pruned
    copy's (`randrnn.pruning.plan`), summed here from those functions."""
    from randrnn.pruning import plan
    from randrnn.pruning.protocol import PruneSpec, base_config

    study = tmp_path / "none"
    result = invoke("prune", "--study", study, "--cells", "lstm,gru", "--method",
                    "magnitude,random", "--levels", "10:50:10", "--retrain-epochs", "4",
                    "--base-epochs", "20", "--dry-run")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not study.exists()
    config = base_config(epochs=20)
    rows = {}
    for cell in ("lstm", "gru"):
        spec = PruneSpec(cell, retrain_epochs=4)
        levels = sum(4 * plan.epoch_seconds(spec, config, p) for p in (10, 20, 30, 40, 50))
        rows[cell] = (20 * plan.epoch_seconds(spec, config, None) + levels, levels)
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    total = sum(a + b for a, b in rows.values())
    assert f"total on 1 worker(s) {output.duration(total)}" in lines
    lstm = rows["lstm"]
    assert f"lstm · magnitude · both · global 1 20 5 × 4 {output.duration(lstm[0])}" in lines
    assert f"lstm · random · both · global 1 0 5 × 4 {output.duration(lstm[1])}" in lines


def test_prune_dry_run_skips_what_the_study_holds(tmp_path: Path) -> None:
    """After a tiny prune, its base and levels are not projected again; a new level is."""
    data = tmp_path / "data"
    reber.write_dataset(*reber.make_dataset(n=300, seed=3, test_fraction=0.25), data)
    common = ("prune", "--study", tmp_path / "s", "--data", data, "--cells", "rnn_tanh",
              "--base-epochs", "1", "--retrain-epochs", "1", "--max-train", "100",
              "--max-test", "50", "--hidden", "4")  # fmt: skip
    assert invoke(*common, "--levels", "50").exit_code == 0
    result = invoke(*common, "--levels", "50,90", "--dry-run")
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "rnn_tanh · magnitude · both · global 1 0 1 × 1 0 s" in lines


def test_prune_progress_shows_an_eta_and_its_help_says_what_it_trains() -> None:
    """The progress display has a time-remaining column; --help names the base model."""
    assert any(isinstance(c, TimeRemainingColumn) for c in progress_bar(console).columns)
    text = " ".join(invoke("prune", "--help").output.split())
    assert "dense 3×50 network" in text and "--base-epochs epochs (50)" in text
    assert "--dry-run" in text
