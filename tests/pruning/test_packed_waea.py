"""WAEA statistics recorded from a pack equal those of each base model trained alone."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from randrnn.callbacks import Callbacks
from randrnn.models.cells import CELLS
from randrnn.pruning.packed import train_bases
from randrnn.pruning.protocol import PruneSpec, base_config, last_epoch_start, new_model
from randrnn.pruning.waea import WaeaRecorder, split_state
from randrnn.training.loop import fit, prepare_data

CONFIG = base_config(epochs=2, batch_size=32)


@pytest.mark.parametrize("cell", list(CELLS))
def test_pack_statistics_equal_alone(cell: str, tiny_data) -> None:
    """Three base models (dense, and two graphs with structural masks) trained in one pack:
    each one's Q and I over the last epoch, weights and test accuracy per epoch equal those of
    `fit` with a `WaeaRecorder` on the model alone."""
    train, test = prepare_data(*tiny_data, CONFIG)
    graphs = [
        None,
        nx.connected_watts_strogatz_graph(12, 4, 0.4, tries=10, seed=2),
        nx.barabasi_albert_graph(10, 2, seed=5),
    ]
    specs = [PruneSpec(cell, seed=s, hidden=(5, 4)) for s in range(len(graphs))]
    outcomes = train_bases(list(zip(specs, graphs)), CONFIG, train, test, pack_size=3)
    first = last_epoch_start(CONFIG, len(train))
    assert first == 11  # 300 strings, batch 32: 10 steps per epoch; window = steps 11..20
    for spec, graph, outcome in zip(specs, graphs, outcomes, strict=True):
        model = new_model(spec, graph)
        recorder = WaeaRecorder(first_step=first)
        hooks = Callbacks().add_callback("step", recorder.on_step)
        metrics = fit(model, train, test, CONFIG, callbacks=hooks, eval_each_epoch=True)
        alone = recorder.state_dict()
        assert int(outcome.waea["steps"]) == int(alone["steps"]) == 10
        q_pack, i_pack = split_state(outcome.waea)
        q_alone, i_alone = split_state(alone)
        assert set(q_pack) == set(q_alone) == {f"{l}.{k}" for l in range(len(model.layers))
                                               for k in ("i2h", "h2h")}  # fmt: skip
        for key in q_alone:
            torch.testing.assert_close(q_pack[key], q_alone[key], rtol=0, atol=1e-5)
            scale = float(i_alone[key].max())
            torch.testing.assert_close(i_pack[key], i_alone[key], rtol=1e-3, atol=1e-4 * scale)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(outcome.state[name], value, rtol=0, atol=1e-5)
        assert [h["test_acc"] for h in outcome.metrics["history"]] == [
            h["test_acc"] for h in metrics["history"]
        ]
