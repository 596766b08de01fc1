"""The analysis commands through the CLI, and the HTML report."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

import randrnn
from randrnn.analysis import table
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import write_report
from randrnn.cli import app
from randrnn.errors import RandRNNError

from .conftest import report_sections

runner = CliRunner()


def _run(*args: str):
    """Invoke the app; RandRNNError propagates (main() would print it and exit 1)."""
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def csv_path(df: pd.DataFrame, tmp_path: Path) -> Path:
    """The synthetic table in the thesis' layout: 'mode' column with thesis labels."""
    path = tmp_path / "results.csv"
    thesis = df.drop(columns=["cell"]).assign(mode=df["cell"].map(table.cell_label))
    thesis.to_csv(path)
    return path


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_correlate_from_csv_in_each_format(csv_path: Path, fmt: str) -> None:
    """`correlate --from` prints the table in each format with the thesis column."""
    result = _run("correlate", "--from", str(csv_path), "--format", fmt, "--thesis",
                  "--bootstrap", "50", "--cells", "GRU")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nodes" in result.output
    if fmt == "csv":
        assert result.output.startswith("cell,property,n,pearson")
        assert "thesis_pearson" in result.output.splitlines()[0]
    if fmt == "markdown":
        assert "### GRU (n=60)" in result.output
        assert re.search(r"\| +thesis r +\|", result.output)


def test_correlate_by_generator_on_study(study_dir: Path) -> None:
    """`correlate --study --by generator` reads the study and splits each cell."""
    result = _run("correlate", "--study", str(study_dir), "--by", "generator",
                  "--bootstrap", "0", "--method", "spearman", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.output))
    assert set(frame["generator"]) == {"ba", "ws"} and set(frame["cell"]) == {"rnn_tanh", "gru"}


@pytest.mark.parametrize("protocol", ["cv", "thesis"])
def test_predict_both_protocols(csv_path: Path, protocol: str) -> None:
    """`predict --protocol cv|thesis` reports every regressor and the Dummy baseline."""
    result = _run("predict", "--from", str(csv_path), "--protocol", protocol, "--cv", "3",
                  "--repeats", "1", "--regressor", "bayesian_ridge,dummy", "--format",
                  "markdown")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "BayesianRidge" in result.output and "Dummy (mean)" in result.output
    assert f"{protocol} on n=60" in result.output


def test_predict_importance(csv_path: Path) -> None:
    """`predict --importance` lists impurity and permutation importances."""
    result = _run("predict", "--from", str(csv_path), "--importance", "--cells", "gru",
                  "--cv", "3", "--feature-set", "nodes-edges")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "feature importance" in result.output and "permutation" in result.output


def test_predict_graph_on_study(study_dir: Path, tmp_path: Path) -> None:
    """`predict --graph-file FILE --cells gru` fits on the study and predicts the new graph."""
    graph = tmp_path / "new.edges"
    nx.write_edgelist(nx.barabasi_albert_graph(20, 2, seed=99), graph, data=False)
    result = _run("predict", "--study", str(study_dir), "--graph-file", str(graph), "--cells", "gru",
                  "--cv", "3", "--repeats", "1", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.output))
    assert list(frame["cell"]) == ["gru"] and 0 < frame["prediction"].iloc[0] <= 1


def test_too_few_study_runs_name_the_command_to_run(study_dir: Path) -> None:
    """With fewer finished runs than the folds need, the error says how many and what to run."""
    with pytest.raises(
        RandRNNError, match=r"only 24 graphs with finished GRU runs.*needs at least 40.*train-all"
    ):
        _run("predict", "--study", str(study_dir), "--cells", "gru", "--cv", "20")


def test_missing_target_in_csv_is_an_error(csv_path: Path) -> None:
    """`--target` naming an absent column is one RandRNNError."""
    with pytest.raises(RandRNNError, match="no target column 'acc'"):
        _run("correlate", "--from", str(csv_path), "--target", "acc")


def test_missing_study_is_an_error(tmp_path: Path) -> None:
    """A study directory without a database is one RandRNNError."""
    with pytest.raises(RandRNNError, match="no study"):
        _run("correlate", "--study", str(tmp_path / "nowhere"))


@pytest.fixture(scope="module")
def report_page(study_dir: Path) -> Path:
    """The report of the shared study, written once by the CLI to its default folder."""
    result = _run("report", "--study", str(study_dir), "--cv", "3", "--repeats", "1")
    assert result.exit_code == 0, result.output
    return study_dir / "report" / "report.html"


def test_report_goes_into_the_study_by_default(report_page: Path, study_dir: Path) -> None:
    """Without --out the report is <study>/report/report.html."""
    assert report_page.is_file() and report_page.parent == study_dir / "report"


def test_report_embeds_its_figures_and_writes_the_pngs(report_page: Path) -> None:
    """Every figure is embedded as a base64 PNG and also written beside the page."""
    page = report_page.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 5 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert len(list(report_page.parent.glob("*.png"))) == len(images)


def test_report_states_provenance(report_page: Path) -> None:
    """The page names the package version, every study meta key and the date."""
    page = report_page.read_text()
    assert f"<td>{randrnn.__version__}</td>" in page
    assert "meta: seed" in page and "meta: data" in page and "report date (UTC)" in page


def test_report_has_every_section(report_page: Path) -> None:
    """Data baselines, accuracy, correlation, prediction with Dummy, thesis tables, pruning."""
    page = report_page.read_text()
    for section in ("Provenance", "Data set", "Accuracy by generator", "Correlation",
                    "Prediction", "Thesis comparison", "Pruning"):  # fmt: skip
        assert f"<h2>{section}</h2>" in page
    assert "Dummy (mean)" in page and "length_only" in page and "0.876" in page


def test_report_to_another_folder(study_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """write_report(out=...) writes there and returns the page's path."""
    report_sections(monkeypatch)
    path = write_report(study_dir, out=tmp_path / "elsewhere")
    assert path == tmp_path / "elsewhere" / "report.html" and path.is_file()


def test_report_on_a_study_too_small_for_cv_says_so(small_study: Path) -> None:
    """With fewer graphs than the folds need, the report uses fewer folds and says so."""
    page = write_report(small_study, options=AnalysisConfig(cv=5, repeats=1)).read_text()
    assert "GRU: 3-fold CV instead of 5-fold, as it has 6 graphs." in page


def test_report_on_a_pruning_only_study(tmp_path):
    """A study with pruning results but no train-all runs still gets a report (pruning part)."""
    from randrnn.cli import app as cli_app

    study = tmp_path / "P"
    result = CliRunner().invoke(cli_app, [
        "prune", "--study", str(study), "--cells", "rnn_tanh", "--levels", "50",
        "--base-epochs", "1", "--retrain-epochs", "1", "--max-train", "200", "--max-test", "80",
        "--hidden", "8,8",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli_app, ["report", "--study", str(study)])
    assert result.exit_code == 0, result.output
    page = (study / "report" / "report.html").read_text()
    assert "Pruning" in page and "Provenance" in page
