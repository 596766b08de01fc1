"""Gradient clipping in the packed engine is per model: a pack trains each model exactly as
`fit` does alone, also when every step clips (the equivalence tests in tests/test_engine.py use
the default clip, 5.0, which their small gradients never reach)."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.graph_rnn import build_model
from randrnn.reber import make_dataset
from randrnn.training.config import TrainConfig
from randrnn.training.engine import train_many
from randrnn.training.loop import encode_split, fit

CLIP = 0.002  # far below any gradient norm of these models on one batch (checked below)
CONFIG = TrainConfig(epochs=2, batch_size=32, clip=CLIP)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data():
    train, test = make_dataset(n=240, seed=5, test_fraction=1 / 3)
    return encode_split(train), encode_split(test)


@pytest.fixture(scope="module")
def dags() -> list:
    """Four small graphs of different sizes, so the models' gradient norms differ."""
    specs = [("ws", 0, (10, 10)), ("ba", 1, (12, 12)), ("ws", 2, (16, 16)), ("ba", 3, (20, 20))]
    return [to_dag(generate_graph(gen, i, 21, nodes)["graph"]) for gen, i, nodes in specs]


def _models(dags: list) -> list:
    return [build_model(d, "gru", seed=200 + i) for i, d in enumerate(dags)]


def _grad_norm(model, data) -> float:
    codes, lengths, labels = data.batch(torch.arange(CONFIG.batch_size).numpy())
    model.zero_grad()
    F.cross_entropy(model(codes, lengths), labels).backward()
    return float(
        torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters() if p.grad is not None))
    )


def test_the_clip_binds_and_the_norms_differ(data, dags) -> None:
    """Every model's first-batch gradient norm is far above the clip, and they differ between
    models (so a pack-wide norm would scale each model differently from its own)."""
    norms = [_grad_norm(m, data[0]) for m in _models(dags)]
    assert min(norms) > 10 * CLIP
    assert max(norms) > 1.2 * min(norms)


def test_clipped_pack_trains_as_fit(data, dags) -> None:
    """With a clip that binds on every step, each packed model ends with the weights (1e-5),
    accuracies and loss it gets from `fit` alone: its clipping reads its own norm only."""
    train, test = data
    packed, alone = _models(dags), _models(dags)
    results = train_many(packed, train, test, CONFIG, pack_size=len(dags))
    for model, reference, metrics in zip(packed, alone, results, strict=True):
        expected = fit(reference, train, test, CONFIG)
        diff = max(
            (a - b).abs().max().item()
            for a, b in zip(
                model.state_dict().values(), reference.state_dict().values(), strict=True
            )
        )
        assert diff < 1e-5
        assert metrics["test_acc"] == expected["test_acc"]
        assert metrics["train_acc"] == expected["train_acc"]
        assert metrics["test_loss"] == pytest.approx(expected["test_loss"], abs=1e-5)


def test_the_clip_changes_training(data, dags) -> None:
    """The clip is not idle here: training without it (a huge clip) ends elsewhere."""
    train, test = data
    clipped, free = _models(dags[:1]), _models(dags[:1])
    train_many(clipped, train, test, CONFIG)
    fit(free[0], train, test, TrainConfig(epochs=2, batch_size=32, clip=1e9))
    diff = max(
        (a - b).abs().max().item()
        for a, b in zip(clipped[0].state_dict().values(), free[0].state_dict().values())
    )
    assert diff > 1e-4
