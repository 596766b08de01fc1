"""The pruning driver: one thread per worker, every level exactly once, resumable, on Dask."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from randrnn import reber
from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.pruning import results, runner
from randrnn.pruning.protocol import PruneSpec, base_config
from randrnn.store import Study
from tests.cli.ctrl_c import interrupt

CONFIG = base_config(epochs=1, batch_size=32, max_train=200, max_test=80)
LEVELS = (20.0, 50.0, 80.0, 100.0)


def _experiments() -> list:
    """Two experiments on one dense GRU base (4 levels each) and one on an RNN base."""
    specs = [
        PruneSpec("gru", method="magnitude", levels=LEVELS, retrain_epochs=1, hidden=(6, 5)),
        PruneSpec("gru", method="random", target="h2h", levels=LEVELS, retrain_epochs=1,
                  hidden=(6, 5)),
        PruneSpec("rnn_tanh", method="magnitude", levels=LEVELS[:2], retrain_epochs=2,
                  hidden=(6,)),
    ]  # fmt: skip
    return [(spec, CONFIG) for spec in specs]


def _stored(study: Study) -> list[tuple]:
    table = results.results_table(study)
    return sorted(zip(table["cell"], table["method"], table["target"], table["level"]))


EXPECTED = sorted(
    [("gru", "magnitude", "both", p) for p in LEVELS]
    + [("gru", "random", "h2h", p) for p in LEVELS]
    + [("rnn_tanh", "magnitude", "both", p) for p in LEVELS[:2]]
)


def test_one_thread_while_working_and_restored_after(tmp_path: Path, tiny_data, monkeypatch):
    """Jobs run with one torch thread (as train-all's workers); the caller's count comes back."""
    seen = []
    original = runner.retrain

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "retrain", spy)
    torch.set_num_threads(2)
    try:
        with Study.create(tmp_path / "s") as study:
            rows = list(runner.run_experiments(study, _experiments(), *tiny_data))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    assert seen and set(seen) == {1}
    assert len(rows) == len(EXPECTED)


class Killed(Exception):
    """Stands for the process being killed after some rows were written."""


def test_killed_run_resumes_with_nothing_lost_or_repeated(tmp_path: Path, tiny_data) -> None:
    """Stopped after the first stored job, a second run stores exactly the missing levels: the
    first run's rows keep their ids, every level is stored once, no base trains twice."""

    def stop(event: Progress) -> None:
        if event.stage == "levels" and event.done > 0:
            raise Killed

    with Study.create(tmp_path / "s") as study:
        with pytest.raises(Killed):
            killed = Callbacks().add_callback("progress", stop)
            list(runner.run_experiments(study, _experiments(), *tiny_data, callbacks=killed))
        first = results.results_table(study)
        assert 0 < len(first) < len(EXPECTED)
        bases = results.bases(study)
        rows = list(runner.run_experiments(study, _experiments(), *tiny_data))
        assert len(rows) == len(EXPECTED) - len(first)
        assert _stored(study) == EXPECTED
        after = results.results_table(study).set_index("run_id")
        for row in first.itertuples():
            assert after.loc[row.run_id, "acc_final"] == row.acc_final
        assert [b["id"] for b in results.bases(study)][: len(bases)] == [b["id"] for b in bases]
        assert len(results.bases(study)) == 2
        assert list(runner.run_experiments(study, _experiments(), *tiny_data)) == []


def test_dask_workers_store_the_same_rows(tmp_path: Path, tiny_data) -> None:
    """Two local Dask workers: every level once, each with the in-process accuracies."""
    tables = []
    for workers in (1, 2):
        with Study.create(tmp_path / f"w{workers}") as study:
            list(runner.run_experiments(study, _experiments(), *tiny_data, workers=workers))
            assert _stored(study) == EXPECTED
            table = results.results_table(study)
            tables.append(table.sort_values(["cell", "method", "target", "level"]))
    here, dask = tables
    for column in ("acc_before", "acc_pruned", "acc_final", "sparsity"):
        assert list(dask[column]) == pytest.approx(list(here[column]), abs=1e-5)


@pytest.mark.slow
def test_ctrl_c_during_prune_exits_130_and_a_rerun_stores_exactly_the_rest(
    tmp_path: Path, tiny_data
) -> None:
    """SIGINT once a base model is stored: exit code 130 and one line; the study holds whole
    jobs only, and a re-run stores every missing level once (no base trained twice)."""
    data, study_dir = tmp_path / "data", tmp_path / "s"
    reber.write_dataset(*tiny_data, data)
    args = [str(Path(sys.executable).parent / "randrnn"), "prune", "--study", str(study_dir),
            "--data", str(data), "--cells", "rnn_tanh,gru", "--method", "magnitude,random",
            "--base-epochs", "2", "--retrain-epochs", "3", "--hidden", "12,12",
            "--levels", "10:100:10"]  # fmt: skip
    interrupt(args, ready=lambda: _has_a_base(study_dir))
    with Study.open(study_dir) as study:
        before = results.results_table(study)
        assert len(before) < 40 and len(before) % 10 == 0  # whole retraining jobs only
        bases = [b["id"] for b in results.bases(study)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Study.open(study_dir) as study:
        after = results.results_table(study)
        keys = list(zip(after["cell"], after["method"], after["level"]))
        assert len(keys) == len(set(keys)) == 40
        assert set(before["run_id"]) <= set(after["run_id"])
        assert [b["id"] for b in results.bases(study)][: len(bases)] == bases
        assert len(results.bases(study)) == 2


def _has_a_base(study_dir: Path) -> bool:
    """Whether the study (perhaps still being created by another process) holds a base model."""
    try:
        with Study.open(study_dir) as study:
            return bool(results.bases(study))
    except (RandRNNError, sqlite3.Error):
        return False
