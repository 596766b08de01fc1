"""The report of a study holding several tasks: thesis numbers beside Reber only, one --data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import write_report
from randrnn.errors import RandRNNError

from .conftest import CONFIG, make_study


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 24 graphs with runs on reber and on tomita-4 (fake accuracies)."""
    path = tmp_path_factory.mktemp("tasks") / "study"
    make_study(path, cells=("gru",))
    make_study(path, cells=("gru",), seed=1, config={**CONFIG, "task": "tomita-4"})
    return path


def _section(html: str, title: str) -> str:
    """The HTML of the section whose heading contains ``title``, up to the next heading."""
    match = re.search(rf"<h2[^>]*>[^<]*{re.escape(title)}.*?(?=<h2|\Z)", html, re.DOTALL)
    assert match, f"no section {title!r}"
    return match.group(0)


def test_thesis_means_stand_beside_the_reber_task_only(two_tasks: Path, tmp_path: Path) -> None:
    """'thesis mean' is a column of the Reber accuracy table, not of tomita-4's."""
    text = write_report(
        two_tasks, out=tmp_path / "r", options=AnalysisConfig(cv=3, repeats=1)
    ).read_text()
    assert "thesis mean" in _section(text, "Accuracy by generator · reber")
    assert "thesis mean" not in _section(text, "Accuracy by generator · tomita-4")


def test_data_option_is_refused_for_several_tasks(two_tasks: Path, tmp_path: Path) -> None:
    """One --data cannot be the data of two tasks: one line, not silently ignored."""
    with pytest.raises(RandRNNError, match="--data names one data set, but the study holds 2"):
        write_report(
            two_tasks,
            out=tmp_path / "r",
            data="data/reber",
            options=AnalysisConfig(cv=3, repeats=1),
        )
