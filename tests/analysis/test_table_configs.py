"""One config per cell and replicates averaged: `table.load_study`, `load` and `randrnn results`."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from randrnn.analysis import table
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.store import Study, config_hash

CONFIG = {"epochs": 15, "lr": 0.001, "data": "shipped"}
OTHER = {"epochs": 5, "lr": 0.001, "data": "shipped"}
H1, H2 = config_hash(CONFIG), config_hash(OTHER)
# test_acc of (graph, cell, config, replicate): distinct values, so a wrong mean shows
ACC = (
    {(g, "gru", H1, r): 0.5 + 0.1 * g + 0.03 * r for g in range(3) for r in range(2)}
    | {(g, "lstm", H1, 0): 0.7 + 0.01 * g for g in range(3)}
    | {(g, "gru", H2, 0): 0.2 for g in (0, 1)}
)
CONFIGS = {H1: CONFIG, H2: OTHER}


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    """3 graphs; gru with 2 replicates under CONFIG and 1 under OTHER (2 graphs); lstm once."""
    path = tmp_path / "s"
    with Study.create(path) as study:
        study.add_graphs(
            [
                {
                    "index": g,
                    "generator": "ws",
                    "seed": 10 + g,
                    "graph": nx.path_graph(4 + g),
                    "properties": {"density": 0.1 * (g + 1), "source_nodes": float(g + 1)},
                }
                for g in range(3)
            ]
        )
        for (g, cell, h, r), acc in ACC.items():
            run_id = study.start_run(g, cell, CONFIGS[h], replicate=r)
            metrics = {"test_acc": acc, "test_loss": 1 - acc, "effective_params": 10 + g}
            study.finish_run(run_id, {**metrics, "worker_pid": 100 + r})
    return path


def test_two_configs_in_one_cell_stop_with_both_listed(study_dir: Path) -> None:
    """Without --config, a cell with runs under two configs is one line naming both, with the
    setting that differs and the run counts (most runs first)."""
    with pytest.raises(RandRNNError) as info:
        table.load_study(study_dir)
    assert str(info.value) == (
        f"cell gru has runs under 2 configs: {H1[:8]} (epochs=15; 6 runs), "
        f"{H2[:8]} (epochs=5; 2 runs); choose one with --config"
    )


def test_config_prefix_selects_its_runs(study_dir: Path) -> None:
    """--config (a unique prefix, any case) keeps exactly the runs of that config."""
    df = table.load_study(study_dir, config=H2[:5].upper(), per_run=True)
    assert set(df["config_hash"]) == {H2} and set(df["cell"]) == {"gru"}
    assert sorted(df["graph_id"]) == [0, 1] and df["test_acc"].tolist() == [0.2, 0.2]
    df = table.load_study(study_dir, config=H1, per_run=True)
    expected = sorted((g, c, r) for g, c, h, r in ACC if h == H1)
    assert sorted(zip(df["graph_id"], df["cell"], df["replicate"])) == expected


def test_per_graph_means_over_replicates(study_dir: Path) -> None:
    """The default table: one row per (graph, cell), metrics averaged over its replicates,
    an integer replicates column, and graph columns unchanged."""
    df = table.load_study(study_dir, config=H1)
    assert len(df) == 6 and "replicate" not in df.columns and "worker_pid" not in df.columns
    for row in df.itertuples():
        accs = [a for (g, c, h, _), a in ACC.items() if (g, c, h) == (row.graph_id, row.cell, H1)]
        assert row.test_acc == pytest.approx(np.mean(accs), abs=1e-12)
        assert row.test_loss == pytest.approx(1 - np.mean(accs), abs=1e-12)
        assert row.replicates == len(accs)
        assert row.density == 0.1 * (row.graph_id + 1)  # exact: constant columns are not averaged
    assert df.groupby("cell")["replicates"].unique().to_dict() == {"gru": [2], "lstm": [1]}
    for column in ("replicates", "effective_params", "nodes", "graph_id"):
        assert df[column].dtype == "int64"
    assert list(df.columns[:8]) == [
        "graph_id", "generator", "seed", "nodes", "edges", "cell", "config_hash", "replicates",
    ]  # fmt: skip
    assert "replicates" not in table.default_features(df, "test_acc")


def test_unknown_and_ambiguous_config_are_one_line(study_dir: Path) -> None:
    """A hash no run has, or a prefix of several, is one line; nothing is guessed."""
    with pytest.raises(RandRNNError, match=r"^unknown config 'zz'; configs with finished runs: "):
        table.load_study(study_dir, config="zz")
    with pytest.raises(RandRNNError, match="matches 2 configs"):
        table.resolve_config("ab", ["abc0", "abd1", "ff00"])
    assert table.resolve_config("ABD", ["abc0", "abd1"]) == "abd1"


def test_results_cli_unknown_config_exits_1(study_dir: Path) -> None:
    """`results --config` with an unknown hash: exit 1 and one line listing the known ones."""
    result = run("results", "--study", str(study_dir), "--config", "0000")
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    message = str(result.exception)
    assert "\n" not in message and message.startswith("unknown config '0000'")
    assert H1[:8] in message and H2[:8] in message


def test_results_cli_lists_runs_with_integer_replicates(study_dir: Path) -> None:
    """`results` prints every run with its replicate as an integer; --config filters."""
    result = run("results", "--study", str(study_dir))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.output), dtype={"config_hash": str})
    assert len(df) == len(ACC)
    assert sorted(zip(df["graph_id"], df["cell"], df["config_hash"], df["replicate"])) == sorted(
        ACC
    )
    assert df["replicate"].dtype == "int64"
    assert "0.0" not in result.output.split("\n")[1].split(",")[:8]
    result = run("results", "--study", str(study_dir), "--config", H2[:6])
    assert pd.read_csv(io.StringIO(result.output))["test_acc"].tolist() == [0.2, 0.2]


def test_results_cli_configs_lists_each_config(study_dir: Path) -> None:
    """`results --configs`: per (config, cell) the differing settings, runs, graphs, replicates."""
    result = run("results", "--study", str(study_dir), "--configs")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.output), dtype={"config_hash": str})
    assert list(df.columns) == ["config_hash", "epochs", "cell", "runs", "graphs", "replicates"]
    rows = {(r.config_hash, r.cell): (r.epochs, r.runs, r.graphs, r.replicates)
            for r in df.itertuples()}  # fmt: skip
    assert rows == {
        (H1, "gru"): (15, 6, 3, 2),
        (H1, "lstm"): (15, 3, 3, 1),
        (H2, "gru"): (5, 2, 2, 1),
    }
    markdown = run("results", "--study", str(study_dir), "--configs", "--format", "markdown")
    assert "| config_hash" in markdown.output and H2 in markdown.output


def test_csv_from_results_is_checked_like_the_study(study_dir: Path, tmp_path: Path) -> None:
    """A CSV written by `randrnn results` mixes nothing either; a thesis-style CSV is per graph."""
    path = tmp_path / "runs.csv"
    assert run("results", "--study", str(study_dir), "--out", str(path)).exit_code == 0
    with pytest.raises(RandRNNError, match=r"^cell gru has runs under 2 configs: .*6 runs.*2 runs"):
        table.load(csv=path)
    df = table.load(csv=path, config=H1)
    assert df.equals(table.load_study(study_dir, config=H1).astype(df.dtypes.to_dict()))
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"mode": ["GRU", "GRU"], "nodes": [10, 20], "test_acc": [0.6, 0.7]}).to_csv(plain)
    df = table.load(csv=plain)
    assert df["test_acc"].tolist() == [0.6, 0.7] and df["replicates"].tolist() == [1, 1]
    with pytest.raises(RandRNNError, match="has no config_hash column"):
        table.load(csv=plain, config=H1)
