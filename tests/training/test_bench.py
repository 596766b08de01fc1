"""randrnn bench: times the engine, prints per-cell figures, keeps them for run --dry-run."""

import json

from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.training.bench import sample_dags
from randrnn.training.speed import REFERENCE_SECONDS, seconds_per_model_epoch


def test_bench_prints_and_saves_measurement(tmp_path, monkeypatch):
    """A tiny bench prints a row per cell and stores seconds per model-epoch for projections."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("RANDRNN_CACHE", raising=False)  # it would win over XDG_CACHE_HOME
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--graphs",
            "2",
            "--cells",
            "rnn_tanh",
            "--nodes",
            "10:12",
            "--max-train",
            "200",
            "--population",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rnn_tanh" in result.output
    saved = json.loads((tmp_path / "randrnn" / "bench.json").read_text())
    assert saved["seconds"]["rnn_tanh"] > 0
    assert seconds_per_model_epoch()["rnn_tanh"] == saved["seconds"]["rnn_tanh"]
    assert seconds_per_model_epoch()["gru"] == REFERENCE_SECONDS["gru"]


def test_population_sample_packs_neighbours():
    """With a population, the sample is runs of graphs of neighbouring sizes."""
    dags = sample_dags(16, 0, (10, 50), population=200)
    sizes = [d.number_of_nodes() for d in dags]
    assert len(dags) == 16
    assert max(sizes[:8]) - min(sizes[:8]) <= 2 and max(sizes[8:]) - min(sizes[8:]) <= 2
