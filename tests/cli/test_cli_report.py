"""The report says how its numbers were made: configs, baselines on the strings the models saw,
a visible note when the protocol is not the thesis', no None, every baseline drawn."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn import reber
from randrnn.analysis import report, table
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import accuracy
from randrnn.cli import app
from randrnn.store import Study
from randrnn.training.config import TrainConfig
from randrnn.training.loop import encode_split
from tests.analysis.conftest import make_study, report_sections

PILOT = TrainConfig(epochs=3, max_train=2000, max_test=500, seed=4).to_dict()
STUDY_TOML = '[study]\ndir = "pilot"\n\n[train-all]\nepochs = 3\n'


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-graph study 'trained' 3 epochs on 2,000 training and 500 test strings, twice."""
    path = make_study(tmp_path_factory.mktemp("pilot") / "study", replicates=2, config=PILOT)
    with Study.open(path) as st:
        st.set_meta("study_toml", STUDY_TOML)
    return path


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    """6 graphs with GRU runs only: too few for 5-fold CV or the thesis' split."""
    return make_study(tmp_path / "small", n_graphs=6, cells=("gru",))


@pytest.fixture(scope="module")
def page(pilot: Path) -> str:
    result = CliRunner().invoke(
        app, ["report", "--study", str(pilot), "--cv", "3", "--repeats", "1"]
    )
    assert result.exit_code == 0, result.output
    return (pilot / "report" / "report.html").read_text()


def cells_of(page: str, caption: str) -> list[list[str]]:
    """The rows (as text cells) of the table with this caption."""
    start = page.index(f"<caption>{html.escape(caption)}</caption>")
    body = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.DOTALL)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.DOTALL)
        ]
        for r in rows
    ]


def test_provenance_lists_the_training_config(page: str) -> None:
    """One row for both cells (same config): epochs, batch size, batching, data, subsets,
    replicates and the config hash."""
    header, *rows = cells_of(page, "training config of the runs analysed")
    assert header == ["cells", "epochs", "batch_size", "batching", "data", "max_train",
                      "max_test", "seed", "readout", "lr", "replicates", "config"]  # fmt: skip
    assert rows == [["RNN_Tanh, GRU", "3", "128", PILOT["batching"], "shipped", "2000", "500",
                     "4", "last", "0.001", "2", table_hash()]]  # fmt: skip


def table_hash() -> str:
    from randrnn.store import config_hash

    return config_hash(PILOT)


def test_configs_are_listed_per_cell_when_they_differ(tmp_path: Path) -> None:
    """Cells trained under different configs get one row each."""
    path = make_study(tmp_path / "s", n_graphs=4, cells=("gru",), config=PILOT)
    make_study(path, n_graphs=4, cells=("lstm",), config={**PILOT, "epochs": 15})
    runs = table.load_study(path, per_run=True)
    with Study.open(path) as st:
        frame = report.config_frame(report.run_configs(st, runs))
    assert list(frame["cells"]) == ["LSTM", "GRU"] or list(frame["cells"]) == ["GRU", "LSTM"]
    assert sorted(frame["epochs"]) == ["15", "3"]


def test_baselines_use_the_strings_the_models_saw(page: str) -> None:
    """The baselines are learned on the 2,000 training strings and scored on the 500 test
    strings `encode_split` gives the models (same seed), not on the full 6,250."""
    train, test = reber.load_data(None)
    seen_test = report.subsample(test, 500, 4)
    encoded = encode_split(test, 500, 4)
    assert encoded.labels.tolist() == seen_test["valid"].tolist()
    assert encoded.lengths.tolist() == seen_test["string"].str.len().tolist()
    expected = reber.baselines(report.subsample(train, 2000, 4), seen_test)
    full = reber.baselines(train, test)
    header, *rows = cells_of(page, "trivial baselines, test accuracy")
    assert header[1] == "500 test strings (RNN_Tanh, GRU)"
    assert {r[0]: r[1] for r in rows} == {k: f"{v:.4f}" for k, v in expected.items()}
    assert f"{expected['length_only']:.4f}" != f"{full['length_only']:.4f}"


def test_a_pilot_beside_the_thesis_says_the_protocols_differ(page: str) -> None:
    """Accuracy and thesis sections both carry a visible note naming what differs."""
    for section in ("accuracy-by-generator", "thesis-comparison"):
        start = page.index(f'<section id="{section}">')
        body = page[start : page.index("</section>", start)]
        assert '<p class="warn"><strong>Protocols differ.</strong>' in body
        assert "epochs 3 (thesis 15)" in body and "max_test 500 (thesis all)" in body


def test_the_thesis_protocol_gets_no_note() -> None:
    """Runs trained as the thesis was (15 epochs, batch 128, shuffled, all strings): no note."""
    thesis_like = TrainConfig(epochs=15, batching="shuffle").to_dict()
    assert report.protocol_differences({"gru": thesis_like}) == {"gru": []}
    assert report.protocol_note({"gru": thesis_like}) == ()


def test_no_table_shows_none(page: str) -> None:
    """Missing values show as — and the table says what — means; never None or nan."""
    cells = re.findall(r"<td>(.*?)</td>", page, flags=re.DOTALL)
    assert cells and not {"None", "nan", "NaN"} & set(cells)
    assert "—" in cells and '<p class="legend">—: ' in page


def test_study_file_is_preformatted(page: str) -> None:
    """The study file is shown line by line in a <pre>, not as one escaped string."""
    shown = page.split("<pre>")[1].split("</pre>")[0]
    assert html.unescape(shown) == STUDY_TOML and "<" not in shown
    assert "\\n" not in page.split("<pre>")[1].split("</pre>")[0]


def test_accuracy_figure_draws_every_baseline(pilot: Path, monkeypatch) -> None:
    """Each cell's panel has one horizontal line per trivial baseline, letter set included."""
    runs = table.load_study(pilot, per_run=True)
    df = table.per_graph(runs)
    base = {"gru": {"majority": 0.5, "length_only": 0.66, "letter_set_only": 0.78, "ngram": 0.9},
            "rnn_tanh": {"majority": 0.5, "length_only": 0.6, "letter_set_only": 0.7}}  # fmt: skip
    fig = accuracy.figure(accuracy.summarise(df, "test_acc", base))
    for ax in fig.axes:
        cell = "gru" if ax.get_title().startswith("GRU") else "rnn_tanh"
        lines = {
            line.get_label(): line.get_ydata()[0]
            for line in ax.get_lines()
            if line.get_label().endswith(" baseline")  # not the boxplots' whiskers
        }
        assert lines == {f"{name} baseline": acc for name, acc in base[cell].items()}


def test_small_study_report_chooses_folds_and_skips_with_a_reason(small_study: Path) -> None:
    """6 graphs: the report still predicts (3-fold) and says in one line why the thesis'
    split is not scored; nothing is pasted as an error."""
    text = report.write_report(small_study, options=AnalysisConfig(cv=5, repeats=1)).read_text()
    assert "GRU: 3-fold CV instead of 5-fold, as it has 6 graphs." in text
    assert (
        "GRU: the thesis protocol (one 90/10 split) needs 20 graphs, it has 6: not scored." in text
    )
    assert "Traceback" not in text and "Error" not in text


def test_a_section_that_cannot_be_computed_is_one_line(
    small_study: Path, tmp_path, monkeypatch
) -> None:
    """A section raising RandRNNError leaves its title and one reason; the rest is written."""
    from randrnn.errors import RandRNNError

    def fail(*args, **kwargs):
        raise RandRNNError("too few graphs for this figure")

    report_sections(
        monkeypatch,
        ("Prediction", "Thesis comparison"),
        **{"Accuracy vs the strongest properties": fail},
    )
    text = report.write_report(
        small_study, out=tmp_path, options=AnalysisConfig(cv=3, repeats=1)
    ).read_text()
    assert (
        "<h2>Accuracy vs the strongest properties</h2>\n<p>Not shown: too few graphs for this figure</p>"
        in text
    )
    assert "<h2>Correlation</h2>" in text
