"""Study files and dry runs know seed replicates: `replicates = K` trains, and costs, K times."""

from __future__ import annotations

from pathlib import Path

import pytest

from randrnn import studyfile
from randrnn.cli.study import VALIDATORS, commands
from randrnn.errors import RandRNNError
from randrnn.studyplan import project, seconds_per_model_epoch


def plan(tmp_path: Path, train_all: str) -> tuple[str, float | None]:
    path = tmp_path / "s.toml"
    path.write_text(f'[generate]\nn = 10\nnodes = "10:12"\n[train-all]\n{train_all}\n')
    sf = studyfile.load(path, commands(), {}, VALIDATORS)
    step = next(s for s in sf.steps if s.stage == "train-all")
    return project(step, sf)


@pytest.mark.parametrize("assign", ["all", "split"])
def test_dry_run_multiplies_by_the_replicates(tmp_path: Path, assign: str) -> None:
    """K replicates project K times the models and the seconds of one, in closed form."""
    cells = '["gru", "lstm"]'
    common = f'cells = {cells}\nepochs = 3\nworkers = 2\nassign = "{assign}"'
    work1, one = plan(tmp_path, common)
    work3, three = plan(tmp_path, common + "\nreplicates = 3")
    speed = seconds_per_model_epoch()
    per_cell = 10 / 2 if assign == "split" else 10
    expected_one = sum(per_cell * 3 * speed[c] for c in ("gru", "lstm")) / 2
    assert one == pytest.approx(expected_one) and three == pytest.approx(3 * expected_one)
    models = 10 if assign == "split" else 20
    assert work1.startswith(f"{models} models") and work3.startswith(f"{3 * models} models")


def test_study_file_replicates_reach_the_command(tmp_path: Path) -> None:
    """`replicates` in [train-all] becomes --replicates; a bad value fails when the file loads."""
    path = tmp_path / "s.toml"
    path.write_text("[generate]\nn = 2\n[train-all]\nreplicates = 2\n")
    sf = studyfile.load(path, commands(), {}, VALIDATORS)
    args = next(s for s in sf.steps if s.stage == "train-all").args
    assert args[args.index("--replicates") + 1] == "2"
    path.write_text('[generate]\nn = 2\n[train-all]\nreplicates = "two"\n')
    with pytest.raises(RandRNNError, match=r"\[train-all\].*replicates"):
        studyfile.load(path, commands(), {}, VALIDATORS)
