"""The `randrnn prune` and `randrnn prune-results` commands, and the report section."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from randrnn import reber
from randrnn.cli import app
from randrnn.pruning.report import report_section
from randrnn.store import Study


def test_prune_and_results_csv(tmp_path: Path, tiny_data) -> None:
    """prune on tiny settings stores each level; prune-results prints them as CSV."""
    data = tmp_path / "data"
    reber.write_dataset(*tiny_data, data)
    study = tmp_path / "study"
    args = [
        "prune",
        "--study",
        str(study),
        "--data",
        str(data),
        "--cell",
        "rnn_tanh",
        "--method",
        "magnitude,random",
        "--target",
        "h2h",
        "--base-epochs",
        "1",
        "--retrain-epochs",
        "1",
        "--levels",
        "50,100",
        "--max-train",
        "300",
        "--max-test",
        "100",
        "--hidden",
        "8",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rnn_tanh · magnitude · h2h" in result.output
    result = CliRunner().invoke(app, ["prune-results", "--study", str(study), "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert len(frame) == 4
    assert set(frame["method"]) == {"magnitude", "random"}
    assert list(frame["sparsity_h2h"]) == [0.5, 1.0, 0.5, 1.0]

    with Study.open(study) as st:
        html = report_section(st, tmp_path / "report")
    assert html is not None and html.count("<img") >= 2 and "thesis" in html
    assert (tmp_path / "report" / "prune_levels.png").is_file()


def test_report_section_none_without_pruning(tmp_path: Path) -> None:
    """A study without pruning runs has no pruning section."""
    with Study.create(tmp_path / "s") as st:
        assert report_section(st, tmp_path / "r") is None


def test_unknown_method_fails_cleanly(tmp_path: Path) -> None:
    """An unknown method is a one-line error naming the known ones."""
    result = CliRunner().invoke(app, ["prune", "--study", str(tmp_path / "s"), "--method", "l0"])
    assert result.exit_code != 0
    assert "magnitude" in str(result.exception)
