"""Tiny data and a tiny trained pruning study shared by the pruning tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import torch

from randrnn import reber
from randrnn.pruning import results
from randrnn.pruning.protocol import PruneSpec, base_config
from randrnn.pruning.run import get_base
from randrnn.store import Study
from randrnn.training.config import TrainConfig
from randrnn.training.loop import prepare_data


@pytest.fixture(scope="session")
def tiny_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded 400-string Reber data set (train 300, test 100)."""
    return reber.make_dataset(n=400, seed=3, test_fraction=0.25)


@dataclass(frozen=True)
class TrainedStudy:
    """A study holding trained LSTM base models: ``specs`` by name ("dense", "graph")."""

    path: Path
    config: TrainConfig
    specs: dict[str, PruneSpec]

    def base(self, study: Study, name: str) -> dict:
        spec = self.specs[name]
        return results.find_base(study, spec.model_key, spec.cell, spec.seed, self.config.to_dict())


@pytest.fixture(scope="session")
def trained_study(tmp_path_factory, tiny_data) -> TrainedStudy:
    """Two LSTM base models trained 3 epochs (30 Adam steps, so weights move): the dense 16×16
    model and the model of a 14-node Watts–Strogatz graph (a structural mask on its i2h)."""
    path = tmp_path_factory.mktemp("trained") / "study"
    config = base_config(epochs=3, batch_size=32)
    train, test = prepare_data(*tiny_data, config)
    graph = nx.connected_watts_strogatz_graph(14, 4, 0.5, tries=10, seed=4)
    with Study.create(path) as study:
        (graph_id,) = study.add_graphs([{"generator": "ws", "graph": graph}])
        specs = {
            "dense": PruneSpec("lstm", hidden=(16, 16)),
            "graph": PruneSpec("lstm", graph_id=graph_id),
        }
        for spec in specs.values():
            get_base(study, spec, config, train, test)
    return TrainedStudy(path, config, specs)


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One torch thread, as prune's workers use: on a shared 2-core machine a second thread
    makes `fit` (the reference path) many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
