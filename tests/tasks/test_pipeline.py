"""The task in the pipeline: the run's config, train-all --task, the analysis grouped by task,
study files with several train-all stages, and the dry-run projection."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn.analysis import table
from randrnn.analysis.config import AnalysisConfig
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.store import Study, config_hash
from randrnn.tasks import data as d
from randrnn.tasks.baselines import baselines
from randrnn.training.config import TrainConfig
from tests.analysis.conftest import CONFIG, make_study


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- the config


def test_config_task_is_canonical_and_checked() -> None:
    """TrainConfig stores the canonical spec and refuses an unknown task in one line."""
    assert TrainConfig(task="reber:thesis").task == "reber"
    assert TrainConfig(task="tomita-4:complement").task == "tomita-4"
    assert TrainConfig(task="reber:hard").task == "reber:hard"
    with pytest.raises(RandRNNError, match="unknown task 'tomita'"):
        TrainConfig(task="tomita")


def test_reber_configs_keep_their_hash() -> None:
    """A reber config is stored without a task key, so its hash is the one it had before
    tasks existed; another task is part of the hash; both read back equal."""
    before = {f.name: getattr(TrainConfig(), f.name) for f in dataclasses.fields(TrainConfig)}
    del before["task"]
    plain = json.dumps(before, sort_keys=True, separators=(",", ":"))
    assert TrainConfig().to_dict() == before
    assert config_hash(TrainConfig().to_dict()) == config_hash(json.loads(plain))
    other = TrainConfig(task="dyck-2")
    assert other.to_dict()["task"] == "dyck-2"
    assert config_hash(other.to_dict()) != config_hash(TrainConfig().to_dict())
    for config in (TrainConfig(), other):
        assert TrainConfig.from_dict(config.to_dict()) == config


# --------------------------------------------------------------------------- analysis


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 24 graphs with reber runs (seed 0 noise) and dyck-2 runs (seed 1 noise)."""
    path = tmp_path_factory.mktemp("tasks") / "study"
    make_study(path)
    make_study(path, seed=1, config={**CONFIG, "task": "dyck-2"})
    return path


@pytest.fixture(scope="module")
def dyck_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dyck-2 runs of `two_tasks` alone (same graphs, same noise seed)."""
    path = tmp_path_factory.mktemp("dyck") / "study"
    make_study(path, seed=1, config={**CONFIG, "task": "dyck-2"})
    return path


def test_load_study_has_a_task_column_and_one_config_per_task(two_tasks: Path) -> None:
    """Each run carries its config's task; two configs per cell are fine across tasks."""
    df = table.load_study(two_tasks)
    assert table.tasks_of(df) == ["reber", "dyck-2"]
    assert df.groupby(["task", "cell"]).size().tolist() == [24, 24, 24, 24]
    assert [task for task, _ in table.by_task(df)] == ["reber", "dyck-2"]


def test_single_task_tables_are_one_group(tmp_path: Path) -> None:
    """A reber-only study's table is as before tasks (no task column); a study of one other
    task has the column; by_task gives either one untitled part."""
    df = table.load_study(make_study(tmp_path / "s", n_graphs=6, cells=("gru",)))
    assert "task" not in df.columns and table.tasks_of(df) == []
    ((task, rows),) = table.by_task(df)
    assert task is None and rows is df
    path = make_study(tmp_path / "t", n_graphs=6, cells=("gru",), config={**CONFIG, "task": "anbn"})
    other = table.load_study(path)
    assert set(other["task"]) == {"anbn"} and table.by_task(other)[0][0] is None


def test_two_configs_of_one_task_still_need_a_choice(two_tasks: Path, tmp_path: Path) -> None:
    """Within a task, a cell with two configs is one error line naming the task."""
    path = tmp_path / "s"
    make_study(path, n_graphs=6)
    make_study(path, n_graphs=6, seed=1, config={**CONFIG, "task": "dyck-2"})
    make_study(path, n_graphs=6, seed=2, config={**CONFIG, "task": "dyck-2", "epochs": 3})
    with pytest.raises(RandRNNError, match="cell rnn_tanh of task dyck-2 has runs under 2"):
        table.load_study(path)


def test_correlate_per_task_equals_each_task_alone(two_tasks: Path, dyck_only: Path) -> None:
    """correlate on a two-task study: a task column first, and the dyck-2 rows are exactly
    what correlate gives on a study holding only the dyck-2 runs."""
    args = ("correlate", "--bootstrap", 0, "--format", "csv")
    both = invoke(*args, "--study", two_tasks)
    alone = invoke(*args, "--study", dyck_only)
    assert both.exit_code == 0 and alone.exit_code == 0, both.output
    got = pd.read_csv(pd.io.common.StringIO(both.output))
    expected = pd.read_csv(pd.io.common.StringIO(alone.output))
    assert list(got.columns) == ["task", *expected.columns]
    assert list(dict.fromkeys(got["task"])) == ["reber", "dyck-2"]
    dyck = got[got["task"] == "dyck-2"].drop(columns="task").reset_index(drop=True)
    pd.testing.assert_frame_equal(dyck, expected)


def test_correlate_titles_name_the_task(two_tasks: Path) -> None:
    """The terminal tables are titled task · cell."""
    result = invoke("correlate", "--bootstrap", 0, "--study", two_tasks)
    assert result.exit_code == 0
    assert "reber · GRU" in result.output and "dyck-2 · RNN_Tanh" in result.output


def test_predict_per_task_equals_each_task_alone(two_tasks: Path, dyck_only: Path) -> None:
    """predict on the two-task study gives, for dyck-2, what the dyck-2 study alone gives; the
    thesis' R² is left out for a task other than reber."""
    args = ("predict", "--cv", 3, "--repeats", 1, "--regressor", "bayesian_ridge,dummy",
            "--format", "csv")  # fmt: skip
    both = pd.read_csv(pd.io.common.StringIO(invoke(*args, "--study", two_tasks).output))
    alone = pd.read_csv(pd.io.common.StringIO(invoke(*args, "--study", dyck_only).output))
    dyck = both[both["task"] == "dyck-2"].drop(columns="task").reset_index(drop=True)
    pd.testing.assert_frame_equal(dyck, alone)
    assert dyck["thesis_r2"].isna().all()
    assert both.loc[both["task"] == "reber", "thesis_r2"].notna().any()


def test_results_show_the_task_when_there_are_several(two_tasks: Path, tmp_path: Path) -> None:
    """results and results --configs name the task of a run when the study has other tasks
    than reber; a reber-only study's results have no task column."""
    runs = invoke("results", "--study", two_tasks, "--format", "csv")
    frame = pd.read_csv(pd.io.common.StringIO(runs.output))
    assert frame.groupby("task").size().to_dict() == {"dyck-2": 48, "reber": 48}
    configs = invoke("results", "--study", two_tasks, "--configs")
    assert "task" in configs.output and "dyck-2" in configs.output
    alone = invoke("results", "--study", make_study(tmp_path / "r", n_graphs=4), "--format", "csv")
    assert "task" not in alone.output.splitlines()[0].split(",")


def test_report_puts_the_tasks_side_by_side(two_tasks: Path, tmp_path: Path) -> None:
    """The report of a two-task study has the Tasks overview (with each task's n-gram
    baseline), one heatmap over all tasks, each task's sections, and the thesis comparison for
    reber only."""
    from randrnn.analysis.report import write_report

    page = write_report(
        two_tasks, tmp_path / "report", options=AnalysisConfig(cv=3, repeats=1)
    ).read_text()
    for title in ("Tasks", "Correlation · all tasks", "Accuracy by generator · reber",
                  "Accuracy by generator · dyck-2", "Prediction · dyck-2",
                  "Thesis comparison · reber"):  # fmt: skip
        assert f"<h2>{title}</h2>" in page, title
    assert "Thesis comparison · dyck-2" not in page
    assert page.index("<h2>Tasks</h2>") < page.index("<h2>Data set · reber</h2>")
    ngram = baselines(*d.make_dataset("dyck-2"))["ngram"]  # the task's default set
    assert f"<td>{round(ngram, 3)}</td>" in page
    assert (tmp_path / "report" / "accuracy_by_task.png").is_file()
    assert (tmp_path / "report" / "dyck-2-correlation_heatmap.png").is_file()


# --------------------------------------------------------------------------- train-all


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two graphs, GRU, one epoch on 200 strings: first reber, then tomita-4 from a folder
    written by `randrnn dataset` (its dataset.json names the task)."""
    root = tmp_path_factory.mktemp("train")
    study = root / "study"
    assert invoke("generate", "--n", 2, "--nodes", "10:12", "--study", study).exit_code == 0
    small = ("--cells", "gru", "--epochs", 1, "--max-train", 200, "--max-test", 100)
    assert invoke("train-all", "--study", study, *small).exit_code == 0
    data = root / "t4"
    made = invoke("dataset", "--task", "tomita-4", "--n", 600, "--out", data)
    assert made.exit_code == 0, made.output
    result = invoke("train-all", "--study", study, "--data", data, *small)
    assert result.exit_code == 0, result.output
    return study


def test_train_all_records_the_task(trained: Path) -> None:
    """The second train-all trained the same graphs again, under a config of task tomita-4
    taken from the folder's dataset.json; the study's meta names each task's data."""
    with Study.open(trained) as st:
        configs = {c["config_hash"]: c["config"] for c in st.configs()}
        tasks = st.get_meta("tasks")
        runs = st.runs("done")
        graphs = set(st.graph_ids())
    assert sorted(c.get("task", "reber") for c in configs.values()) == ["reber", "tomita-4"]
    assert len(runs) == 4 and {r["graph_id"] for r in runs} == graphs and len(graphs) == 2
    assert tasks["reber"] == "shipped" and tasks["tomita-4"].endswith("t4")
    key = next(c["data"] for c in configs.values() if c.get("task") == "tomita-4")
    assert key == d.folder_key(Path(tasks["tomita-4"]))


def test_train_all_refuses_a_task_its_data_contradicts(trained: Path) -> None:
    """--task dyck-1 with a tomita-4 folder: one line, nothing trained."""
    with Study.open(trained) as st:
        before = len(st.runs())
        data = st.get_meta("tasks")["tomita-4"]
    result = invoke("train-all", "--study", trained, "--data", data, "--task", "dyck-1")
    assert result.exit_code == 1 and "holds task tomita-4" in str(result.exception)
    with Study.open(trained) as st:
        assert len(st.runs()) == before


def test_unknown_task_fails_before_training(trained: Path) -> None:
    """train-all --task with an unknown name or kind is one line and exit 1."""
    result = invoke("train-all", "--study", trained, "--task", "tomita-4", "--negatives", "x")
    assert result.exit_code == 1
    assert "unknown negatives 'x' for task tomita-4" in str(result.exception)


# --------------------------------------------------------------------------- study files


def test_study_file_with_one_train_all_per_task(tmp_path: Path) -> None:
    """[[train-all]] repeats, one stage per task, in file order; a bad task fails at load."""
    from randrnn import studyfile
    from randrnn.cli.study import VALIDATORS, commands

    path = tmp_path / "s.toml"
    path.write_text(
        '[generate]\nn = 4\n[[train-all]]\ntask = "reber"\n'
        '[[train-all]]\ntask = "dyck-2"\nepochs = 2\n[[train-all]]\ntask = "reber:hard"\n'
    )
    sf = studyfile.load(path, commands(), {}, VALIDATORS)
    stages = [s for s in sf.steps if s.stage == "train-all"]
    assert [s.options["task"] for s in stages] == ["reber", "dyck-2", "reber:hard"]
    path.write_text('[[train-all]]\ntask = "dyck-3"\n')
    with pytest.raises(RandRNNError, match=r"\[train-all\] task: unknown task 'dyck-3'"):
        studyfile.load(path, commands(), {}, VALIDATORS)


def test_dry_run_scales_by_mean_length() -> None:
    """A stage's projected time scales with its task's mean string length over reber's."""
    from randrnn.studyplan import length_share

    assert length_share(None) == 1.0
    expected = (
        d.task_data("dyck-2").train["string"].str.len().mean()
        / d.task_data("reber").train["string"].str.len().mean()
    )
    assert length_share("dyck-2") == pytest.approx(expected)
    assert length_share("reber", None, "/no/such/folder") == 1.0
