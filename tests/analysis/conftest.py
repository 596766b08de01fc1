"""Fixtures: synthetic results tables with a known relationship, and a tiny study on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from randrnn.graphs.properties import FEATURES, properties
from randrnn.store import Study

CONFIG = {"epochs": 15, "lr": 0.001}


def synthetic(n_per_cell: int = 60, seed: int = 0, cells=("rnn_tanh", "gru")) -> pd.DataFrame:
    """Random features; test_acc = 0.6 + 0.005·nodes + small noise; 'layers' constant."""
    rng = np.random.default_rng(seed)
    rows = []
    for cell in cells:
        for i in range(n_per_cell):
            row = {f: float(rng.normal()) for f in FEATURES}
            row["nodes"] = float(rng.integers(10, 51))
            row["layers"] = 5.0
            row["test_acc"] = 0.6 + 0.005 * row["nodes"] + float(rng.normal(0, 0.01))
            rows.append({"graph_id": i, "generator": "ws" if i % 2 else "ba", "cell": cell} | row)
    return pd.DataFrame(rows)


def make_graph(i: int) -> tuple[str, nx.Graph]:
    """Graph i: alternately Barabási–Albert and Watts–Strogatz with the thesis' parameters."""
    n = 10 + (i * 7) % 21
    if i % 2:
        return "ws", nx.connected_watts_strogatz_graph(n, n // 5, 1.0, tries=10, seed=i)
    return "ba", nx.barabasi_albert_graph(n, n // 10, seed=i)


def make_study(
    path: Path,
    n_graphs: int = 24,
    cells=("rnn_tanh", "gru"),
    seed: int = 0,
    replicates: int = 1,
    config: dict = CONFIG,
    seconds: Callable[[int, int], float] | None = None,
) -> Path:
    """A study with finished runs whose accuracy rises with source_nodes (plus seed noise).

    Each of the ``replicates`` runs of a (graph, cell) pair draws its own noise, so replicates
    of one graph differ as seed replicates do. Adding runs to an existing study (another
    ``config``) reuses its graphs. ``seconds(graph index, replicate)``: each run's
    ``train_seconds`` (default 1.0).
    """
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n_graphs):
        generator, g = make_graph(i)
        records.append(
            {"index": i, "generator": generator, "graph": g, "seed": i, "properties": properties(g)}
        )
    exists = (path / "study.sqlite").is_file()
    opened = (
        Study.open(path) if exists else Study.create(path, meta={"seed": seed, "data": "default"})
    )
    with opened as study:
        if not exists:
            study.add_graphs(records)
        for record in records:
            for k, cell in enumerate(cells):
                for j in range(replicates):
                    src = record["properties"]["source_nodes"]
                    acc = min(1.0, 0.55 + 0.04 * src + 0.05 * k + float(rng.normal(0, 0.02)))
                    run = study.start_run(record["index"], cell, config, replicate=j)
                    metrics = {
                        "test_acc": acc,
                        "test_loss": 1 - acc,
                        "train_acc": acc,
                        "train_seconds": 1.0 if seconds is None else seconds(record["index"], j),
                        "effective_params": 100,
                        "epochs": config.get("epochs", 15),
                    }
                    study.finish_run(run, metrics)
    return path


@pytest.fixture
def df() -> pd.DataFrame:
    """60 rows per cell (rnn_tanh, gru) of synthetic results."""
    return synthetic()


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-graph study with rnn_tanh and gru runs (48 rows), shared by the tests."""
    return make_study(tmp_path_factory.mktemp("analysis") / "study")


@pytest.fixture(scope="session")
def replicated_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-graph study with two seed replicates of every rnn_tanh and gru pair (96 runs)."""
    return make_study(tmp_path_factory.mktemp("replicated") / "study", replicates=2)


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    """A 6-graph study with GRU runs only: too small for 5-fold CV."""
    return make_study(tmp_path / "small", n_graphs=6, cells=("gru",))


SLOW_SECTIONS = ("Prediction", "Thesis comparison", "Accuracy vs the strongest properties")


def report_sections(monkeypatch: pytest.MonkeyPatch, leave_out=SLOW_SECTIONS, **replace) -> None:
    """Put on the report page only the registered sections not titled in ``leave_out``, with
    the compute of those titled in ``replace`` (title → function) replaced; the regressors
    are not fitted (`predict.score_cells` returns no scores)."""
    import dataclasses

    from randrnn.analysis import predict
    from randrnn.analysis.report import sections

    kinds = [
        dataclasses.replace(k, compute=replace[k.title]) if k.title in replace else k
        for k in sections.SECTIONS
        if k.title not in leave_out
    ]
    monkeypatch.setattr(sections, "SECTIONS", tuple(kinds))
    empty = predict.concat([])
    monkeypatch.setattr(predict, "score_cells", lambda *a, **k: (empty, empty, []))
