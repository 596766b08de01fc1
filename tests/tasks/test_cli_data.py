"""Tests of the data commands: `randrnn dataset --task`, `randrnn data-info`, `randrnn tasks`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.tasks import TASKS
from randrnn.tasks import data as d


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_dataset_of_a_task_writes_what_make_dataset_makes(tmp_path: Path) -> None:
    """--task tomita-4 --negatives edit --max-length 20 writes the library's set and a
    dataset.json that names it; the output names the task and the n-gram baseline."""
    out = tmp_path / "t4"
    result = invoke("dataset", "--task", "tomita-4", "--negatives", "edit", "--n", 600,
                    "--max-length", 20, "--seed", 3, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "task tomita-4:edit" in result.output and "ngram" in result.output
    train, test = d.make_dataset("tomita-4:edit", n=600, seed=3, max_length=20)
    assert (out / "train.csv").read_text() == d.csv_text(train)
    assert (out / "test.csv").read_text() == d.csv_text(test)
    assert json.loads((out / "dataset.json").read_text()) == {
        "task": "tomita-4:edit", "negatives": "edit", "n": 600, "seed": 3,
        "test_fraction": 0.25, "max_length": 20, "split": "disjoint", "test_lengths": None,
        "version": d.DATA_VERSION,
    }  # fmt: skip


def test_dataset_seed_0_rebuilds_the_shipped_files(tmp_path: Path) -> None:
    """`randrnn dataset --out X --seed 0 --split shuffled` reproduces data/reber/ byte for byte
    (the shipped set keeps the thesis' split)."""
    if not d.SHIPPED_DIR.is_dir():
        pytest.skip("no shipped data (non-editable install)")
    assert invoke("dataset", "--out", tmp_path, "--seed", 0, "--split", "shuffled").exit_code == 0
    for name in ("train.csv", "test.csv"):
        assert (tmp_path / name).read_bytes() == (d.SHIPPED_DIR / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--task", "tomita-9"], "unknown task 'tomita-9'; known: reber, embedded-reber"),
     (["--task", "dyck-2", "--negatives", "hard"], "unknown negatives 'hard' for task dyck-2"),
     (["--task", "reber:hard", "--negatives", "thesis"], "names negatives hard"),
     (["--task", "tomita-7", "--max-length", 3], "task tomita-7 needs --max-length of at least 4"),
     (["--task", "dyck-1", "--max-length", 1], "needs --max-length of at least 2"),
     (["--task", "anbn", "--n", 1], "n=1 is too small"),
     (["--task", "tomita-4", "--n", 3], "too small for a balanced split"),
     (["--grammar", "embedded", "--task", "reber"], "--grammar embedded contradicts --task")],
)  # fmt: skip
def test_bad_requests_write_nothing(tmp_path: Path, args: list, message: str) -> None:
    """Unknown names, impossible lengths and too small sets: one line, exit 1, no folder."""
    out = tmp_path / "never"
    result = invoke("dataset", "--out", out, *args)
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert message in str(result.exception) and "\n" not in str(result.exception)
    assert not out.exists()


def test_old_grammar_option_still_works(tmp_path: Path) -> None:
    """The hidden --grammar embedded makes the embedded-reber set."""
    result = invoke("dataset", "--grammar", "embedded", "--n", 200, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert d.read_info(tmp_path)["task"] == "embedded-reber"


def test_data_info_of_a_folder_names_its_task(tmp_path: Path) -> None:
    """data-info --data reads the task from dataset.json."""
    info = d.dataset_info("anbn", "near", 300, 1, 0.25, None)
    d.write_dataset(*d.make_dataset("anbn:near", n=300, seed=1), tmp_path, info)
    result = invoke("data-info", "--data", tmp_path)
    assert result.exit_code == 0, result.output
    assert "task anbn:near" in result.output and "letter_set_only" in result.output


def test_data_info_of_a_task_uses_its_default_set() -> None:
    """data-info --task anbn describes the set train-all --task anbn trains on."""
    result = invoke("data-info", "--task", "anbn")
    assert result.exit_code == 0, result.output
    assert "data: default" in result.output
    assert f"{d.DEFAULT_N * 3 // 4}" in result.output  # the default training split's size


def test_tasks_lists_every_task() -> None:
    """`randrnn tasks` shows each task with its negatives."""
    result = invoke("tasks")
    assert result.exit_code == 0
    for name, t in TASKS.items():
        assert name in result.output and next(iter(t.negatives)) in result.output


def _load_study_file(tmp_path: Path, text: str):
    from randrnn import studyfile
    from randrnn.cli.study import VALIDATORS, commands

    path = tmp_path / "s.toml"
    path.write_text(text)
    return studyfile.load(path, commands(), {}, VALIDATORS)


def test_study_file_dataset_of_a_task(tmp_path: Path) -> None:
    """[dataset] takes task and that task's negatives; a kind of another task fails at load,
    naming the file, the stage and the task's kinds."""
    sf = _load_study_file(tmp_path, '[dataset]\ntask = "tomita-4"\nnegatives = "edit"\n')
    assert sf.steps[0].args[:4] == ["--task", "tomita-4", "--negatives", "edit"]
    with pytest.raises(RandRNNError, match=r"s.toml: \[dataset\] unknown negatives 'hard' for "
                       r"task tomita-4; known: complement, edit"):  # fmt: skip
        _load_study_file(tmp_path, '[dataset]\ntask = "tomita-4"\nnegatives = "hard"\n')
    with pytest.raises(RandRNNError, match=r"\[dataset\] task: unknown task 'tomita'"):
        _load_study_file(tmp_path, '[dataset]\ntask = "tomita"\n')


@pytest.mark.parametrize(
    "args",
    [["--task", "tomita-4", "--negatives", "edit"], ["--negatives", "edit", "--task", "tomita-4"]],
)
def test_task_and_negatives_in_either_order(tmp_path: Path, args: list[str]) -> None:
    """--negatives is checked against --task whichever comes first on the command line."""
    result = invoke("dataset", "--n", 200, "--out", tmp_path, *args)
    assert result.exit_code == 0, result.output
    assert d.read_info(tmp_path)["task"] == "tomita-4:edit"


def test_negatives_without_task_are_reber_kinds(tmp_path: Path) -> None:
    """--negatives alone names a kind of reber: 'edit' is not one."""
    result = invoke("dataset", "--n", 200, "--out", tmp_path / "x", "--negatives", "edit")
    assert result.exit_code == 1
    assert "unknown negatives 'edit' for task reber" in str(result.exception)


def test_dataset_with_a_length_split(tmp_path: Path) -> None:
    """--split length --test-lengths 30-40 writes test strings of 30-40 letters and records
    both in dataset.json; test lengths without --split length are one error line."""
    out = tmp_path / "d1"
    result = invoke("dataset", "--task", "dyck-1", "--n", 400, "--max-length", 20,
                    "--split", "length", "--test-lengths", "30-40", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    test = d.read_split(out / "test.csv")
    assert test["string"].str.len().between(30, 40).all()
    info = json.loads((out / "dataset.json").read_text())
    assert (info["split"], info["test_lengths"]) == ("length", [30, 40])
    bad = invoke("dataset", "--task", "dyck-1", "--test-lengths", "60-80", "--out", tmp_path / "x")
    assert bad.exit_code == 1 and "need --split length" in str(bad.exception)
