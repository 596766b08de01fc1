"""Seed replicates through the analysis commands and the report: means, runs, noise ceiling."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import write_report
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.store import Study

from .conftest import make_study, report_sections

runner = CliRunner()
PREDICT = ("predict", "--cv", "3", "--repeats", "1", "--regressor", "bayesian_ridge,dummy")


def _run(*args: str):
    """Invoke the app; RandRNNError propagates (main() would print it and exit 1)."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def _runs(study: Path, cell: str) -> pd.DataFrame:
    """graph × replicate test accuracy of one cell, read straight from the store."""
    with Study.open(study) as s:
        done = [r for r in s.runs("done") if r["cell"] == cell]
    rows = [(r["graph_id"], r["replicate"], r["metrics"]["test_acc"]) for r in done]
    frame = pd.DataFrame(rows, columns=["graph", "replicate", "acc"])
    return frame.pivot(index="graph", columns="replicate", values="acc")


def _icc(y: pd.DataFrame) -> float:
    """ICC(1) of a graph × 2 replicates table from scipy's one-way ANOVA: (F − 1)/(F + 1)."""
    f = stats.f_oneway(*y.to_numpy()).statistic
    return float((f - 1) / (f + 1))


def test_predict_shows_r2_beside_the_spearman_brown_ceiling(replicated_study: Path) -> None:
    """Default rows are graph means: the ceiling is 2ρ/(1+ρ) of the replicates' ICC(1)."""
    out = _csv(_run(*PREDICT, "--study", str(replicated_study), "--format", "csv"))
    for cell in ("rnn_tanh", "gru"):
        y = _runs(replicated_study, cell)
        r = _icc(y)
        rows = out[out["cell"] == cell]
        assert np.allclose(rows["ceiling"], 2 * r / (1 + r))
        assert np.allclose(rows["r2_of_ceiling"], rows["r2"] / rows["ceiling"])
        assert (rows["n"] == 24).all()


def test_per_run_predict_uses_runs_and_the_single_run_ceiling(replicated_study: Path) -> None:
    """--per-run: one row per run (48 per cell) and the ceiling is ICC(1) itself."""
    out = _csv(_run(*PREDICT, "--study", str(replicated_study), "--format", "csv", "--per-run"))
    for cell in ("rnn_tanh", "gru"):
        y = _runs(replicated_study, cell)
        rows = out[out["cell"] == cell]
        assert (rows["n"] == 48).all()
        assert np.allclose(rows["ceiling"], _icc(y))


def test_predict_table_names_the_ceiling_and_explains_it(replicated_study: Path) -> None:
    """The readable output has pooled R²/ceiling, the ceiling in the title, a sentence on it,
    and the seed-noise table."""
    out = re.sub(
        " +", " ", _run(*PREDICT, "--study", str(replicated_study), "--format", "markdown")
    )
    assert "| pooled R² | pooled/ceiling | fold R² | fold/ceiling |" in out  # pooled leads
    assert re.search(r"### GRU \(cv on n=24, .*noise ceiling 0\.\d{3} \(mean of 2 runs\)\)", out)
    assert "largest R² any predictor from graph structure can reach" in out
    assert "### seed noise" in out and "| ICC(1) " in out and "| split-half r (check) |" in out


def test_correlate_rows_are_graph_means_or_runs(replicated_study: Path) -> None:
    """correlate: n is 24 graphs by default and 48 runs with --per-run; the mean is the mean."""
    args = ("correlate", "--study", str(replicated_study), "--bootstrap", "0", "--cell", "gru",
            "--method", "pearson", "--format", "csv")  # fmt: skip
    means, runs = _csv(_run(*args)), _csv(_run(*args, "--per-run"))
    assert set(means["n"]) == {24} and set(runs["n"]) == {48}
    with Study.open(replicated_study) as s:
        graphs = {g["id"]: g["properties"]["source_nodes"] for g in s.graphs()}
    y = _runs(replicated_study, "gru")
    x = [graphs[g] for g in y.index]
    expected = stats.pearsonr(x, y.mean(axis=1)).statistic
    got = means.loc[means["property"] == "source_nodes", "pearson"].iloc[0]
    assert got == pytest.approx(expected, abs=1e-5)  # the CSV keeps 6 significant digits


def test_correlate_shows_the_seed_noise_table(replicated_study: Path) -> None:
    """With replicates, correlate prints the noise table (the split-half r of each cell)."""
    out = _run("correlate", "--study", str(replicated_study), "--bootstrap", "0",
               "--format", "markdown")  # fmt: skip
    out = re.sub(" +", " ", out)  # the Markdown table pads its columns
    y = _runs(replicated_study, "rnn_tanh")
    r = stats.pearsonr(y[0], y[1]).statistic
    line = next(l for l in out.splitlines() if l.startswith("| RNN_Tanh |"))
    assert f"| {r:.3f} |" in line
    assert "√ceiling" in out


def test_one_run_per_graph_shows_no_ceiling(study_dir: Path) -> None:
    """Without replicates predict has no ceiling columns and no noise table."""
    out = _run(*PREDICT, "--study", str(study_dir), "--format", "markdown")
    assert "ceiling" not in out and "seed noise" not in out


def test_config_option_chooses_among_configs(tmp_path: Path) -> None:
    """Two configs of the same pairs: analysis refuses to mix them; --config picks one."""
    path = make_study(tmp_path / "two", n_graphs=12, cells=("gru",))
    make_study(path, n_graphs=12, cells=("gru",), seed=1, replicates=2,
               config={"epochs": 5, "lr": 0.001})  # fmt: skip
    with pytest.raises(RandRNNError, match="2 configs"):
        runner.invoke(app, ["correlate", "--study", str(path)], catch_exceptions=False)
    with Study.open(path) as s:
        five = next(c["config_hash"] for c in s.configs() if c["config"]["epochs"] == 5)
    args = ("--study", str(path), "--config", five[:10], "--format", "csv")
    out = _csv(_run("correlate", *args, "--bootstrap", "0", "--per-run"))
    assert set(out["n"]) == {24}  # 12 graphs × 2 replicates of the 5-epoch config
    out = _csv(_run("predict", *args, "--cv", "3", "--repeats", "1", "--regressor", "dummy"))
    assert list(out["n"]) == [12] and "ceiling" in out
    page = write_report(
        path, out=tmp_path / "rep", options=AnalysisConfig(cv=3, repeats=1, config=five[:10])
    )
    assert five in page.read_text()


@pytest.fixture(scope="module")
def replicated_page(replicated_study: Path, tmp_path_factory) -> str:
    """The report of the replicated study, written by the CLI."""
    out = tmp_path_factory.mktemp("replicated_report")
    _run("report", "--study", str(replicated_study), "--out", str(out), "--cv", "3",
         "--repeats", "1")  # fmt: skip
    return (out / "report.html").read_text()


def test_report_has_the_seed_noise_section_and_figure(replicated_page: str) -> None:
    """A 'Seed noise' section with the replicate-vs-replicate figure embedded and the table."""
    section = re.search(r'<section id="seed-noise">(.*?)</section>', replicated_page, re.DOTALL)
    assert section is not None
    body = section.group(1)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', body)
    assert len(images) == 1 and base64.b64decode(images[0])[:4] == b"\x89PNG"
    assert "replicates.png" in body and "split-half r" in body and "Spearman–Brown" in body


def test_report_prediction_shows_the_ceiling(replicated_page: str) -> None:
    """The prediction table has the ceiling and R²/ceiling columns and the sentence on them."""
    section = re.search(r'<section id="prediction">(.*?)</section>', replicated_page, re.DOTALL)
    body = section.group(1)
    assert "<th>ceiling</th>" in body and "<th>r2_of_ceiling</th>" in body
    assert "ceiling: of the mean of 2 runs" in body


def test_report_without_replicates_says_how_to_get_them(
    study_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K = 1: the section is one line naming train-all --replicates 2, with no figure."""
    report_sections(monkeypatch)
    page = write_report(study_dir, out=tmp_path / "k1").read_text()
    section = re.search(r'<section id="seed-noise">(.*?)</section>', page, re.DOTALL).group(1)
    assert "train-all --replicates 2" in section and "<img" not in section


@pytest.mark.slow
def test_trained_study_with_two_replicates(tmp_path: Path) -> None:
    """generate + train-all --replicates 2 (tiny), then predict: 4 graph means or 8 runs, with
    the ceiling computed from the trained runs' own accuracies."""
    study = str(tmp_path / "s")
    _run("generate", "--n", "4", "--nodes", "10:14", "--study", study)
    _run("train-all", "--study", study, "--cells", "gru", "--epochs", "1", "--max-train", "300",
         "--max-test", "200", "--replicates", "2")  # fmt: skip
    y = _runs(Path(study), "gru")
    assert y.shape == (4, 2)
    args = ("predict", "--study", study, "--cv", "2", "--repeats", "1", "--regressor", "dummy",
            "--format", "csv")  # fmt: skip
    means, runs = _csv(_run(*args)), _csv(_run(*args, "--per-run"))
    assert list(means["n"]) == [4] and list(runs["n"]) == [8]
    r = _icc(y) if np.ptp(y.to_numpy()) > 0 else float("nan")
    single = r if np.isnan(r) else max(r, 0.0)  # NaN (all runs alike): no ceiling
    assert runs["ceiling"].iloc[0] == pytest.approx(single, abs=1e-5, nan_ok=True)
    assert means["ceiling"].iloc[0] == pytest.approx(2 * single / (1 + single), abs=1e-5,
                                                     nan_ok=True)  # fmt: skip
