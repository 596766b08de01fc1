"""The thesis comparison and the per-cell scoring are computed as frames, apart from the report."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from randrnn.analysis import correlate as corr
from randrnn.analysis import predict as pred
from randrnn.analysis import table, thesis_compare
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import write_report
from randrnn.graphs.properties import FEATURES
from randrnn.pruning.results import THESIS_SAFE, safe_levels

from .conftest import report_sections


def test_pearson_here_is_scipys_pearson_r(df: pd.DataFrame) -> None:
    """Each 'here' column holds scipy's Pearson r of the cell's accuracy with the property."""
    result = corr.correlate(df, "test_acc", ["pearson"], bootstrap=0)
    frame = thesis_compare.pearson_table(result, ["rnn_tanh", "gru"]).set_index("property")
    rows = df[df["cell"] == "gru"]
    for prop in ("nodes", "edges", "density"):
        expected = stats.pearsonr(rows[prop], rows["test_acc"]).statistic
        assert frame.loc[prop, "GRU here"] == pytest.approx(expected)


def test_score_cells_equals_evaluate_with_the_chosen_folds(df: pd.DataFrame) -> None:
    """score_cells gives, per cell, what evaluate gives with min(cv, graphs // 2) folds, and a
    note for the thesis split a 12-graph cell cannot have."""
    few = df.groupby("cell").head(12).reset_index(drop=True)
    cv_res, th_res, notes = pred.score_cells(few, "test_acc", cv=10, repeats=1, seed=3)
    direct = pd.concat(
        [pred.evaluate(few, "test_acc", "all", "cv", cell=c, cv=6, repeats=1, seed=3)
         for c in ("rnn_tanh", "gru")], ignore_index=True,
    )  # fmt: skip
    pd.testing.assert_frame_equal(cv_res, direct)
    assert th_res.empty
    assert (
        "GRU: the thesis protocol (one 90/10 split) needs 20 graphs, it has 12: not scored."
        in notes
    )


def test_an_ablation_that_cannot_be_scored_is_a_note_not_a_silent_blank(df: pd.DataFrame) -> None:
    """Without the variance columns the 'variances' set cannot be scored: its cell is NaN and a
    note names the cell, the set and the reason."""
    no_var = df.drop(columns=[f for f in FEATURES if f.endswith("_var")])
    options = AnalysisConfig(cv=3, repeats=1)
    notes: list[str] = []
    frame = thesis_compare.ablation_table(no_var, ["gru"], pd.DataFrame(), options, notes)
    assert math.isnan(frame.loc[0, "variances here"])
    assert not math.isnan(frame.loc[0, "nodes-edges here"])
    (note,) = notes
    assert note.startswith("ablation, GRU, variances: not computed: ") and "variances" in note


def test_the_thesis_safe_levels_shown_are_those_pruning_compares_with() -> None:
    """The report's table of the thesis' safe levels and `safe_levels`' thesis column (dense
    model) agree for every cell and target: one fact, one place."""
    shown = thesis_compare.safe_table().set_index("pruned")
    rows = [
        {"model": "dense:50,50,50", "cell": c, "target": t, "label": "magnitude", "scope": "global",
         "level": 10.0, "epochs_to_regain": 0}
        for c, t in THESIS_SAFE
    ]  # fmt: skip
    ours = safe_levels(pd.DataFrame(rows))
    for row in ours.itertuples():
        label = thesis_compare.PRUNED_SETS[row.target]
        assert shown.loc[label, table.cell_label(row.cell)] == f"{row.thesis}%"


def test_the_report_records_its_options(small_study: Path, tmp_path: Path, monkeypatch) -> None:
    """Every AnalysisConfig field appears in the provenance with the value given."""
    report_sections(monkeypatch)
    options = AnalysisConfig(cv=3, repeats=1, top=2, seed=7)
    page = write_report(small_study, out=tmp_path, options=options).read_text()
    row = page.split("report options</td>")[1].split("</td>")[0]
    for key, value in options.shown().items():
        assert f"{key}={value}" in row


def test_a_prediction_that_fails_is_a_line_in_its_section(
    small_study: Path, tmp_path: Path, monkeypatch
) -> None:
    """score_cells raising RandRNNError: the Prediction section says why; the page is written."""
    from randrnn.analysis import predict
    from randrnn.errors import RandRNNError

    def fail(*args, **kwargs):
        raise RandRNNError("the regressors cannot be fitted")

    report_sections(monkeypatch, leave_out=("Accuracy vs the strongest properties",))
    monkeypatch.setattr(predict, "score_cells", fail)
    page = write_report(small_study, out=tmp_path, options=AnalysisConfig(cv=3, repeats=1))
    text = page.read_text()
    section = text.split('<section id="prediction">')[1].split("</section>")[0]
    assert "<p>Not predicted: the regressors cannot be fitted</p>" in section
    assert '<section id="thesis-comparison">' in text
