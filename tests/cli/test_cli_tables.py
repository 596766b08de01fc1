"""Every table a command prints fits an 80-column terminal, with names and numbers whole.

Each command runs at a console width of 80; the test then finds, for every row of the result
(read back from the same command's CSV output, or computed independently), the printed line
that starts with the row's name and checks that each expected number is one of its words.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn import reber
from randrnn.analysis import thesis
from randrnn.cli import app, console
from randrnn.graphs import EXTRAS, FEATURES, layers, properties, to_dag
from tests.analysis.conftest import make_study

WIDTH = 80


@pytest.fixture(autouse=True)
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's console is 80 columns wide."""
    monkeypatch.setattr(console, "width", WIDTH)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 graphs × (rnn_tanh, gru) × 2 replicates of synthetic runs."""
    return make_study(tmp_path_factory.mktemp("tables") / "study", replicates=2)


@pytest.fixture(scope="module")
def pruned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study with two tiny pruning experiments (magnitude and WAEA, two levels each)."""
    root = tmp_path_factory.mktemp("pruned")
    reber.write_dataset(*reber.make_dataset(n=400, seed=3, test_fraction=0.25), root / "data")
    args = ["prune", "--study", str(root / "study"), "--data", str(root / "data"), "--cells",
            "gru", "--method", "magnitude,waea", "--base-epochs", "1", "--retrain-epochs", "1",
            "--levels", "50,90", "--max-train", "200", "--max-test", "100", "--hidden", "8,8"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return root / "study"


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def csv(*args: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(run(*args, "--format", "csv")), dtype={"config_hash": str})


def fits(output: str) -> list[str]:
    """The output's lines, each checked to fit 80 columns, with no ellipsis anywhere."""
    lines = output.splitlines()
    assert max(map(len, lines)) <= WIDTH, max(lines, key=len)
    assert "…" not in output
    return lines


class Near:
    """A number printed with ``digits`` decimals, read back from a CSV rounded to 6 digits."""

    def __init__(self, value: float, digits: int, suffix: str = "") -> None:
        self.value, self.digits, self.suffix = value, digits, suffix

    def matches(self, word: str) -> bool:
        if not word.endswith(self.suffix):
            return False
        head = word[: len(word) - len(self.suffix)] if self.suffix else word
        decimals = head.split(".")[1] if "." in head else ""
        try:
            number = float(head)
        except ValueError:
            return False
        return len(decimals) == self.digits and abs(number - self.value) <= 0.6 * 10**-self.digits

    def __repr__(self) -> str:
        return f"{self.value:.{self.digits + 2}f}{self.suffix}"


def row(lines: list[str], first: str, *values: str | Near) -> str:
    """The line starting with ``first`` (as whole words) that has every value as a word (a
    `Near` value: a word with its number of decimals, within rounding)."""
    for line in lines:
        words = line.replace("│", " ").split()  # boxed tables draw │ between columns
        if words[: len(first.split())] != first.split():
            continue
        rest = f" {' '.join(words)} "
        if all(
            any(v.matches(w.strip("[],")) for w in words)
            if isinstance(v, Near)
            else v in words or f" {v} " in rest
            for v in values
        ):
            return line
    raise AssertionError(f"no line starting {first!r} with {values}")


def header(lines: list[str], *names: str) -> None:
    """Some line holds every header, in order, each whole (columns are two spaces apart)."""
    for line in lines:
        padded = f"  {line.strip()}  "
        spots = [padded.find(f"  {n}  ") if f"  {n}  " in padded else -1 for n in names]
        if all(s >= 0 for s in spots) and spots == sorted(spots):
            return
    raise AssertionError(f"no header line with {names}")


def star(value: float, q: float) -> Near:
    return Near(value, 2, "*" if q < 0.05 else "")


def test_correlate_thesis_fits(study: Path) -> None:
    """correlate --thesis: every property whole, with its r, interval, thesis r, ρ and τ."""
    args = ("correlate", "--study", str(study), "--thesis", "--bootstrap", "20")
    lines = fits(run(*args))
    header(lines, "property", "r", "95% CI", "thesis r", "ρ", "τ")
    raw = csv(*args)
    for rec in raw[raw["cell"] == "gru"].itertuples():
        if pd.isna(rec.pearson):
            row(lines, rec.property)
            continue
        values = [star(rec.pearson, rec.pearson_q), star(rec.spearman, rec.spearman_q),
                  star(rec.kendall, rec.kendall_q), Near(rec.pearson_hi, 2)]  # fmt: skip
        published = thesis.pearson(rec.property, "gru")
        if not math.isnan(published):
            values.append(f"{published:.2f}")
        row(lines, rec.property, *values)
    assert sum(line.startswith("source_nodes ") for line in lines) == 2  # one per cell


def test_correlate_wide_shows_the_q_values(study: Path) -> None:
    """--wide adds the q columns the 80-column table leaves out (and says so)."""
    args = ("correlate", "--study", str(study), "--bootstrap", "0")
    narrow_out, wide_out = run(*args), run(*args, "--wide")
    note = "--wide also shows: q(r), q(ρ), q(τ)"
    assert note in narrow_out and "q(ρ)" not in narrow_out.replace(note, "")
    assert "q(ρ)" in wide_out and "--wide also shows" not in wide_out


def test_predict_wide_into_a_pipe_prints_the_whole_table(study: Path) -> None:
    """predict --wide in an 80-column pipe prints the whole table, however wide: the header
    starts with the regressor column and holds every column the narrow table hides, and each
    regressor of the CSV output starts a printed line (the first column is not dropped)."""
    args = ("predict", "--study", str(study), "--cv", "3", "--repeats", "1")
    narrow_out, wide_out = run(*args), run(*args, "--wide")
    note = next(line for line in narrow_out.splitlines() if "--wide also shows" in line)
    hidden = [c.strip() for c in note.split(":", 1)[1].split(",")]
    lines = wide_out.splitlines()
    assert max(map(len, lines)) > WIDTH  # wider than the pipe, and not cropped to it
    heads = [line for line in lines if line.startswith("regressor")]
    assert heads and all(all(c in head for c in hidden) for head in heads), wide_out
    squeezed = [line.replace(" ", "").lower() for line in lines]
    for name in csv(*args)["regressor"].unique():
        assert any(line.startswith(name.replace("_", "")) for line in squeezed), name
    assert "--wide also shows" not in wide_out


def test_results_wide_table_holds_every_column(study: Path) -> None:
    """results --format table --wide into a pipe: one header with every column of the CSV."""
    args = ("results", "--study", str(study))
    wide_out = run(*args, "--format", "table", "--wide")
    head = next(line for line in wide_out.splitlines() if line.startswith("graph_id"))
    assert set(csv(*args).columns) <= set(head.split())
    assert len(head) > WIDTH


def test_predict_thesis_protocol_fits(study: Path) -> None:
    """predict --protocol thesis: the thesis' R² whole beside each regressor's own."""
    args = ("predict", "--study", str(study), "--protocol", "thesis")
    lines = fits(run(*args))
    header(lines, "regressor", "R²", "MAE", "Spearman", "thesis R²")
    raw = csv(*args)
    labels = {"bayesian_ridge": "BayesianRidge", "random_forest": "RandomForest",
              "adaboost": "AdaBoost", "gradient_boosting": "GradientBoosting"}  # fmt: skip
    for rec in raw[raw["regressor"] != "dummy"].itertuples():
        values = [Near(rec.r2, 3), Near(rec.mae, 4)]
        published = thesis.regression_r2(rec.cell, rec.regressor, "all")
        if not math.isnan(published):
            values.append(f"{published:.3f}")
        row(lines, labels[rec.regressor], *values)
    assert any("0.876" in line for line in lines)  # the thesis' GRU RandomForest R²


def test_predict_cv_with_ceiling_fits(study: Path) -> None:
    """predict (CV, with replicates): pooled R² and its R²/ceiling whole, seed noise on its
    side; --wide adds the fold mean R² ± sd."""
    args = ("predict", "--study", str(study), "--cv", "3", "--repeats", "1")
    lines = fits(run(*args))
    header(lines, "regressor", "pooled R²", "pooled/ceiling", "MAE", "Spearman", "thesis R²")
    header(lines, "statistic", "RNN_Tanh", "GRU")
    wide = run(*args, "--wide").splitlines()
    header(wide, "pooled R²", "pooled/ceiling", "fold R²", "fold/ceiling")
    for rec in csv(*args).itertuples():
        if rec.regressor == "random_forest":
            row(lines, "RandomForest", Near(rec.r2_pooled, 3), Near(rec.r2_pooled_of_ceiling, 2))
            assert any(f"{rec.r2:.3f} ± {rec.r2_sd:.3f}" in line for line in wide)


def test_predict_graph_file_fits(study: Path, tmp_path: Path) -> None:
    """predict --graph-file: the header whole, each cell's prediction and CV R²."""
    path = tmp_path / "ring.edges"
    nx.write_edgelist(nx.cycle_graph(12), path, data=False)
    args = ("predict", "--study", str(study), "--graph-file", str(path), "--cv", "3",
            "--repeats", "1")  # fmt: skip
    lines = fits(run(*args))
    header(lines, "cell", "regressor", "predicted", "fold models 95%", "CV R²", "n")
    for rec in csv(*args).itertuples():
        label = {"gru": "GRU", "rnn_tanh": "RNN_Tanh"}[rec.cell]
        row(lines, label, "RandomForest", Near(rec.prediction, 3), Near(rec.cv_r2_pooled, 3), "24")


def test_prune_results_fit(pruned: Path) -> None:
    """prune-results: one table per experiment, every level with its accuracies."""
    lines = fits(run("prune-results", "--study", str(pruned)))
    header(lines, "level %", "pruned %", "i2h %", "h2h %", "acc", "pruned", "retrained", "regain")
    raw = csv("prune-results", "--study", str(pruned))
    assert len(raw) == 4
    for rec in raw.itertuples():
        assert any(line.startswith(f"dense:8,8 · gru · {rec.label} · both") for line in lines)
        row(lines, f"{rec.level:g}", Near(100 * rec.sparsity, 1), Near(rec.acc_before, 4),
            Near(rec.acc_final, 4))  # fmt: skip


def test_prune_results_safe_fits(pruned: Path) -> None:
    """prune-results --safe: model, cell, method whole; no thesis level → '—'."""
    lines = fits(run("prune-results", "--study", str(pruned), "--safe"))
    header(lines, "model", "cell", "target", "method", "safe %", "thesis %")
    row(lines, "dense:8,8", "gru", "both", "magnitude", "—")
    row(lines, "dense:8,8", "gru", "both", "waea", "α=0.3", "signed", "—")


def test_results_table_fits(study: Path) -> None:
    """results --format table: each run's ids and accuracy whole; integers stay integers."""
    lines = fits(run("results", "--study", str(study), "--format", "table"))
    header(lines, "graph_id", "cell", "replicate", "test_acc", "config_hash", "nodes", "edges")
    raw = csv("results", "--study", str(study))
    for rec in raw.head(12).itertuples():
        row(lines, str(rec.graph_id), rec.cell, str(rec.replicate), f"{rec.test_acc:.4g}",
            rec.config_hash, str(rec.nodes), str(rec.edges))  # fmt: skip


def test_results_counts_are_integers(study: Path) -> None:
    """In the results CSV every count property (layers, diameter, params...) is an integer."""
    raw = csv("results", "--study", str(study))
    for column in ("graph_id", "nodes", "edges", "replicate", "layers", "source_nodes",
                   "sink_nodes", "diameter", "widest_layer", "longest_path",
                   "connected_components", "params_gru", "effective_params", "epochs"):  # fmt: skip
        assert raw[column].dtype == "int64", column


def test_data_info_fits(tmp_path: Path) -> None:
    """data-info: every statistic and each baseline whole."""
    train, test = reber.make_dataset(n=400, seed=3, test_fraction=0.25)
    reber.write_dataset(train, test, tmp_path)
    lines = fits(run("data-info", "--data", str(tmp_path)))
    stats = reber.describe(train), reber.describe(test)
    for key, value in stats[0].items():
        other = stats[1][key]
        shown = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in (value, other)]
        row(lines, key, *[s for s in shown if s != "None"])
    for name, acc in reber.baselines(train, test).items():
        row(lines, name, f"{acc:.4f}")


def test_graph_info_fits(tmp_path: Path) -> None:
    """graph-info: every property name and value whole, layer sizes included."""
    g = nx.connected_watts_strogatz_graph(30, 4, 0.5, tries=10, seed=1)
    path = tmp_path / "ws.edges"
    nx.write_edgelist(g, path, data=False)
    lines = fits(run("graph-info", str(path)))
    props = properties(g)
    for name in [*FEATURES, *EXTRAS]:
        value = props[name]
        text = str(int(value)) if float(value).is_integer() else f"{value:.4g}"
        row(lines, name, text)
    row(lines, "layer sizes", *(str(len(layer)) for layer in layers(to_dag(g))))
