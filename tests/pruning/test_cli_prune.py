"""The `randrnn prune` and `randrnn prune-results` commands, and the report section."""

from __future__ import annotations

import io
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from randrnn import reber
from randrnn.cli import app, main
from randrnn.pruning.protocol import waea_correlations
from randrnn.pruning.report import report_section
from randrnn.pruning.run import run_pruning
from randrnn.pruning.waea import WaeaOptions, magnitude_correlation, split_state
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
        "--cells",
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
    assert result.exit_code == 1
    assert str(result.exception) == "unknown method 'l0'; known: magnitude, waea, random"
    assert not (tmp_path / "s").exists()


def test_unknown_reading_is_one_line_and_exit_1(tmp_path: Path, monkeypatch, capsys) -> None:
    """randrnn prune --waea-reading absolute: one error line naming the readings, exit 1,
    and no study written."""
    study = tmp_path / "s"
    argv = ["randrnn", "prune", "--method", "waea", "--waea-reading", "absolute"]
    monkeypatch.setattr(sys, "argv", [*argv, "--study", str(study)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown WAEA reading 'absolute'; known: signed, magnitude"
    assert not study.exists()


def test_report_shows_waea_reading_and_rank_correlation(tmp_path: Path, trained_study, tiny_data):
    """The report lists each WAEA experiment's reading and its Spearman(activity, |w|), equal to
    the one computed from the base model's recorded statistics."""
    path = tmp_path / "study"
    shutil.copytree(trained_study.path, path)
    expected = {}
    with Study.open(path) as st:
        base = trained_study.base(st, "dense")
        stats = split_state(torch.load(path / base["waea_stats"], weights_only=True))
        masks = {k: torch.ones_like(v) for k, v in stats[0].items() if k.endswith("h2h")}
        for reading in ("signed", "magnitude"):
            options = WaeaOptions(reading=reading)
            spec = replace(
                trained_study.specs["dense"],
                method="waea",
                target="h2h",
                levels=(50.0,),
                retrain_epochs=0,
                waea=options,
            )
            run_pruning(st, spec, trained_study.config, *tiny_data)
            expected[reading] = magnitude_correlation(*stats, masks, options)
        frame = waea_correlations(st)
        html = report_section(st, tmp_path / "report")
    assert sorted(frame["reading"]) == ["magnitude", "signed"]
    for row in frame.itertuples():
        assert row.spearman == pytest.approx(expected[row.reading], abs=1e-12)
        assert f"{row.spearman:+.3f}" in html
    assert "WAEA activity against weight magnitude" in html
    assert expected["signed"] < 0
