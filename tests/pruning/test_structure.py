"""Structure × pruning: the trained models of a structure study, pruned per graph."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn import reber
from randrnn.cli import app, main
from randrnn.errors import RandRNNError
from randrnn.pipeline import generate_into
from randrnn.pruning import results
from randrnn.pruning.structure import graph_experiments, parse_graph_ids
from randrnn.store import Study
from randrnn.training.config import TrainConfig
from randrnn.training.runner import train_study

CONFIG = TrainConfig(epochs=2, batch_size=32, max_train=200, max_test=80)
LEVELS = (50.0, 90.0)


@pytest.fixture(scope="module")
def structure_study(tmp_path_factory, tiny_data) -> tuple[Path, Path]:
    """Five generated graphs (10–14 nodes) trained as GRU by train-all, weights not kept (so
    prune trains each base again: tests/pruning/test_kept_weights.py covers kept ones); and the
    data folder."""
    root = tmp_path_factory.mktemp("structure")
    data = root / "data"
    reber.write_dataset(*tiny_data, data)
    with Study.create(root / "study") as study:
        generate_into(study, 5, 0, ("ws", "ba"), (10, 14))
        list(train_study(study, ["gru"], _config(data), *tiny_data, keep_weights=False))
    return root / "study", data


def _config(data: Path) -> TrainConfig:
    """CONFIG naming the data folder as train-all does (its content hash)."""
    from randrnn.tasks.data import folder_key

    return replace(CONFIG, data=folder_key(data))


def _prune(study: Path, data: Path, *args: str):
    return CliRunner().invoke(
        app,
        ["prune", "--study", str(study), "--data", str(data), "--cells", "gru", "--levels",
         "50,90", "--retrain-epochs", "1", *args],
    )  # fmt: skip


@pytest.fixture(scope="module")
def pruned_study(structure_study, tmp_path_factory) -> Path:
    """The structure study after prune --graphs all, magnitude and random at 50 and 90 %."""
    path = tmp_path_factory.mktemp("pruned") / "study"
    shutil.copytree(structure_study[0], path)
    result = _prune(path, structure_study[1], "--graphs", "all", "--method", "magnitude,random")
    assert result.exit_code == 0, result.output
    return path


def test_prune_graphs_all_reproduces_each_run_and_stores_curves(structure_study, pruned_study):
    """--graphs all: one base per graph, trained again from the run's seed and config to the
    run's test accuracy; per graph and method a curve of two levels and a safe level."""
    path = pruned_study
    with Study.open(path) as study:
        runs = {r["graph_id"]: r["metrics"] for r in study.runs("done")}
        bases = results.bases(study)
        assert sorted(b["model"] for b in bases) == sorted(f"graph:{g}" for g in runs)
        for base in bases:
            gid = int(base["model"].split(":")[1])
            assert base["config"] == _config(structure_study[1]).to_dict()
            assert base["test_acc"] == pytest.approx(runs[gid]["test_acc"], abs=1e-5)
            assert base["test_loss"] == pytest.approx(runs[gid]["test_loss"], abs=1e-4)
        curves = results.graph_curves(study)
        columns = results.graph_columns(study)
    assert len(curves) == len(runs) * 2 * len(LEVELS)
    assert set(curves["tag"]) == {"magnitude", "random"}
    assert sorted(columns["graph_id"]) == sorted(runs)
    assert {
        "safe_level_magnitude",
        "safe_level_random",
        "acc_magnitude_50",
        "pruned_random_90",
    } <= set(columns.columns)
    assert "safe_level" not in columns  # two experiments: no unqualified column


def test_safe_level_is_highest_level_within_tolerance_after_retraining() -> None:
    """A level counts if it and every lower one end within the tolerance after retraining."""
    rows = [(30.0, 0.90), (50.0, 0.895), (70.0, 0.85), (90.0, 0.899)]
    curves = pd.DataFrame(
        {"graph_id": 1, "cell": "gru", "config_hash": "h", "tag": "magnitude",
         "label": "magnitude", "level": [r[0] for r in rows], "acc_final": [r[1] for r in rows],
         "acc_before": 0.9, "tolerance": 0.01}
    )  # fmt: skip
    (safe,) = results.graph_safe_levels(curves)["safe_level"]
    assert safe == 50.0
    strict = results.graph_safe_levels(curves.assign(tolerance=0.001))
    assert list(strict["safe_level"]) == [30.0]
    lost = results.graph_safe_levels(curves.assign(acc_final=0.5))
    assert list(lost["safe_level"]) == [0.0]


def test_graph_ids_and_unknown_ids(structure_study) -> None:
    """'all' or a comma list; unknown ids and graphs without a run are one error each."""
    assert parse_graph_ids("all") == "all"
    assert parse_graph_ids("3, 1,3") == [3, 1]
    with pytest.raises(RandRNNError, match="'all' or graph ids"):
        parse_graph_ids("1-3")
    with Study.open(structure_study[0]) as study:
        specs = graph_experiments(study, ["gru"], [2], ["random"], ["h2h"], levels=LEVELS,
                                  retrain_epochs=1, tolerance=0.01)  # fmt: skip
        with pytest.raises(RandRNNError, match=r"unknown graph id\(s\) 99"):
            graph_experiments(study, ["gru"], [1, 99], ["magnitude"], ["both"], levels=LEVELS,
                              retrain_epochs=1, tolerance=0.01)  # fmt: skip
        with pytest.raises(RandRNNError, match="no finished lstm runs"):
            graph_experiments(study, ["lstm"], "all", ["magnitude"], ["both"], levels=LEVELS,
                              retrain_epochs=1, tolerance=0.01)  # fmt: skip
    ((spec, config),) = specs
    assert (spec.graph_id, spec.target, spec.seed) == (2, "h2h", CONFIG.seed)
    assert config == _config(structure_study[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--graphs", "7,99"], "error: unknown graph id(s) 7, 99; the study"),
        (["--graphs", "all", "--cells", "lstm"], "error: study '{study}' has no finished lstm"),
    ],
)
def test_bad_graphs_are_one_line_and_exit_1(structure_study, args, message, monkeypatch, capsys):
    """prune --graphs with unknown ids, or on a cell without finished runs: one line, exit 1,
    nothing stored."""
    study, data = structure_study
    argv = ["randrnn", "prune", "--study", str(study), "--data", str(data), "--cells", "gru"]
    monkeypatch.setattr(sys, "argv", [*argv, *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(message.format(study=study)) and "\n" not in err
    with Study.open(study) as st:
        assert not results.has_results(st)


def test_prune_graphs_on_a_study_without_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    """A study with graphs but no finished runs: one line naming train-all, exit 1."""
    with Study.create(tmp_path / "s") as study:
        generate_into(study, 2, 0, ("ws",), (10, 12))
    monkeypatch.setattr(sys, "argv", ["randrnn", "prune", "--study", str(tmp_path / "s"),
                                      "--graphs", "all", "--cells", "gru"])  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "has no finished gru runs to prune; run: randrnn train-all" in err and "\n" not in err


def _analysis(*args: str):
    return CliRunner().invoke(app, [*args, "--format", "csv"])


def test_correlate_and_predict_read_safe_levels(pruned_study) -> None:
    """correlate and predict take a pruning column as target like accuracy: its values are the
    per-graph safe levels and accuracies stored by prune."""
    import io

    result = _analysis("correlate", "--study", str(pruned_study), "--target",
                       "safe_level_random", "--bootstrap", "0", "--method", "spearman")  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert len(frame) > 0 and set(frame["cell"]) == {"gru"}
    result = _analysis("predict", "--study", str(pruned_study), "--target", "acc_magnitude_50",
                       "--regressor", "dummy", "--cv", "2", "--repeats", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    from randrnn.analysis.table import load_study

    table = load_study(pruned_study)
    with Study.open(pruned_study) as study:
        safe = results.graph_safe_levels(results.graph_curves(study))
    expected = safe[safe["tag"] == "random"].set_index("graph_id")["safe_level"]
    got = table.set_index("graph_id")["safe_level_random"]
    assert got.sort_index().tolist() == expected.sort_index().tolist()


@pytest.mark.parametrize(
    ("which", "target", "message"),
    [
        ("pruned", "safe_level", "has 2 pruning experiments; choose one of safe_level_magnitude, safe_level_random"),
        ("plain", "safe_level", "has no pruning results of its graphs' models for --target safe_level"),
        ("plain", "acc_magnitude_50", "prune them first: randrnn prune --graphs all"),
    ],
)  # fmt: skip
def test_pruning_targets_without_rows_are_one_line(
    which, target, message, structure_study, pruned_study, monkeypatch, capsys
) -> None:
    """--target safe_level with two experiments, or on a study never pruned: one line, exit 1."""
    study = pruned_study if which == "pruned" else structure_study[0]
    monkeypatch.setattr(sys, "argv", ["randrnn", "correlate", "--study", str(study),
                                      "--target", target])  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_report_has_a_robustness_section(pruned_study, tmp_path: Path) -> None:
    """The report's pruning section shows robustness (figure written, mean safe level per
    method) instead of one panel per graph model."""
    from randrnn.pruning.report import report_section

    with Study.open(pruned_study) as study:
        html = report_section(study, tmp_path / "report")
        safe = results.graph_safe_levels(results.graph_curves(study))
    assert "Pruning robustness" in html and html.count("<img") == 1
    assert (tmp_path / "report" / "prune_robustness.png").is_file()
    assert not (tmp_path / "report" / "prune_base.png").exists()
    for label, group in safe.groupby("label"):
        assert f"<td>{label}</td>" in html
        assert f"{group['safe_level'].mean():.3g}" in html


def test_safe_level_correlations_are_spearman() -> None:
    """ρ per property and experiment equals pandas' Spearman over the graphs."""
    import numpy as np

    from randrnn.pruning.robustness import safe_level_correlations

    rng = np.random.default_rng(0)
    n = 12
    frame = pd.DataFrame(
        {"graph_id": range(n), "cell": "gru", "tag": "magnitude", "label": "magnitude",
         "source_nodes": rng.integers(1, 6, n), "nodes": rng.integers(10, 50, n)}
    )  # fmt: skip
    frame["safe_level"] = 10.0 * frame["source_nodes"] + rng.choice([0.0, 10.0], n)
    got = safe_level_correlations(frame).set_index("property")
    for prop in ("source_nodes", "nodes"):
        expected = frame[prop].corr(frame["safe_level"], method="spearman")
        assert got.loc[prop, "rho"] == pytest.approx(expected, abs=1e-12)
    assert got.loc["source_nodes", "rho"] > 0.8
