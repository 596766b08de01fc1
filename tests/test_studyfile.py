"""Study files: checked like the command line, expanded, overridable, and run resumably."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn import studyfile
from randrnn.cli import app
from randrnn.cli.study import VALIDATORS, commands
from randrnn.errors import RandRNNError
from randrnn.store import Study

STUDIES = Path(__file__).resolve().parents[1] / "studies"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def load(path: Path, **overrides):
    return studyfile.load(path, commands(), overrides, VALIDATORS)


@pytest.mark.parametrize("path", sorted(STUDIES.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_study_files_are_valid(path):
    """Every study file under studies/ passes the checks and names at least one stage."""
    sf = load(path)
    assert sf.steps and all(step.stage in studyfile.STAGES for step in sf.steps)


def test_every_command_option_has_a_key():
    """Each option of each stage's command is accepted as a study-file key."""
    cmds = commands()
    for stage, command in cmds.items():
        keys = studyfile._option_names(command)
        for param in command.params:
            if param.name != "help":
                assert any(p is param for p in keys.values()), (stage, param.name)


def test_typo_in_key_names_key_and_allowed(tmp_path):
    """A misspelt key is one error naming the key, its section and the allowed keys."""
    path = write(tmp_path, "[train-all]\nepoch = 3\n")
    with pytest.raises(
        RandRNNError, match=r"unknown key 'epoch' in \[train-all\]; known: .*epochs"
    ):
        load(path)


def test_wrong_value_names_key_and_allowed_values(tmp_path):
    """A value outside the allowed ones names the option and what is allowed."""
    path = write(tmp_path, '[correlate]\nformat = "html"\n')
    with pytest.raises(RandRNNError, match=r"\[correlate\].*format.*markdown"):
        load(path)
    path = write(tmp_path, '[train-all]\ncells = ["gru", "transformer"]\n')
    with pytest.raises(
        RandRNNError, match=r"\[train-all\] cells: unknown cell 'transformer'; known"
    ):
        load(path)
    path = write(tmp_path, '[generate]\nn = "many"\n')
    with pytest.raises(RandRNNError, match=r"\[generate\] Invalid value for '--n'"):
        load(path)


def test_unknown_section_and_bad_toml(tmp_path):
    """An unknown section and a file that is not TOML are clear errors."""
    with pytest.raises(RandRNNError, match=r"unknown section 'trian'; known: study, dataset"):
        load(write(tmp_path, "[trian]\nepochs = 1\n"))
    with pytest.raises(RandRNNError, match="not valid TOML"):
        load(write(tmp_path, "[generate\n"))


def test_prune_lists_expand_to_experiments(tmp_path):
    """[[prune]] list values of cell, method and target expand to one step per combination."""
    path = write(
        tmp_path,
        '[[prune]]\ncell = ["gru", "lstm"]\ntarget = ["i2h", "h2h", "both"]\n'
        'levels = "10:100:10"\n',
    )
    steps = load(path).steps
    assert len(steps) == 6
    assert {(s.options["cell"], s.options["target"]) for s in steps} == {
        (c, t) for c in ("gru", "lstm") for t in ("i2h", "h2h", "both")
    }


def test_study_settings_are_shared_and_overridable(tmp_path):
    """[study] dir and seed reach every stage that takes them; overrides replace file values."""
    path = write(
        tmp_path, '[study]\ndir = "A"\nseed = 4\n[generate]\nn = 5\n[train-all]\nepochs = 3\n'
    )
    sf = load(path, **{"study.dir": "B", "train-all.epochs": 1})
    gen, train = sf.steps
    assert gen.args[-4:] == ["--study", "B", "--seed", "4"]
    assert "--epochs" in train.args and train.args[train.args.index("--epochs") + 1] == "1"


def test_dataset_stage_feeds_later_stages(tmp_path):
    """A [dataset] stage's output directory becomes the data of training and report."""
    path = write(
        tmp_path,
        '[study]\ndir = "S"\n[dataset]\nn = 400\nnegatives = "hard"\n[train-all]\nepochs = 1\n',
    )
    sf = load(path)
    assert sf.steps[1].options["data"] == str(Path("S") / "data")


def test_run_dry_run_prints_plan_and_writes_nothing(tmp_path):
    """--dry-run prints each stage and a projected total, and creates no study."""
    result = CliRunner().invoke(
        app, ["run", str(STUDIES / "quick.toml"), "--study", str(tmp_path / "S"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "train-all" in result.output and "total" in result.output
    assert not (tmp_path / "S").exists()


def test_run_small_study_end_to_end_and_resume(tmp_path):
    """run executes the stages, records provenance, and a second run finds the work done."""
    path = write(
        tmp_path,
        f'[study]\ndir = "{tmp_path / "S"}"\nseed = 1\n'
        '[dataset]\nn = 600\nnegatives = "hard"\n'
        '[generate]\nn = 4\nnodes = "10:12"\n'
        '[train-all]\ncells = ["rnn_tanh"]\nepochs = 1\nbatch-size = 64\n'
        "[correlate]\nbootstrap = 20\n",
    )
    runner = CliRunner()
    first = runner.invoke(app, ["run", str(path)])
    assert first.exit_code == 0, first.output
    with Study.open(tmp_path / "S") as st:
        assert st.run_counts()["done"] == 4
        assert st.get_meta("study_toml") == path.read_text()
        assert st.get_meta("randrnn_version")
    second = runner.invoke(app, ["run", str(path)])
    assert second.exit_code == 0
    assert "already done" in second.output and "nothing left to do" in second.output


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("[train-all]\nreplicates = 0", "[train-all] replicates: --replicates must be at least 1"),
        ('[train-all]\nbatching = "sorted"', "unknown batching 'sorted'; known: shuffle, bucket"),
        ('[generate]\nparam = "er.p=0.5,ba.seed_graph=ring"', "[generate] param:"),
        ('[prune]\ncells = "lstm"\nwaea-reading = "abs"', "unknown WAEA reading 'abs'"),
        ('[prune]\ncells = "lstm"\nwaea-normalize = "zscore"', "unknown WAEA normalize 'zscore'"),
    ],
)
def test_bad_values_fail_when_the_file_loads(tmp_path, section, message):
    """A value the library would refuse stops the file at load time, before any stage runs."""
    path = tmp_path / "s.toml"
    path.write_text(f"[generate]\nn = 2\n\n{section}\n" if "generate" not in section else section)
    with pytest.raises(RandRNNError) as info:
        studyfile.load(path, commands(), None, VALIDATORS)
    assert message in str(info.value) and "\n" not in str(info.value)
