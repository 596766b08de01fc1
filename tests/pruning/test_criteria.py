"""Pruning criteria: requested fractions, ties, scopes, structure and biases."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from randrnn.graphs.dag import to_dag
from randrnn.models.graph_rnn import build_model, dense_dag
from randrnn.pruning.criteria import (
    CRITERIA,
    Magnitude,
    RandomCriterion,
    apply_pruning,
    lowest_mask,
    select_weights,
)
from randrnn.pruning.waea import matrix_masks


def _scores_for(weights, method):
    if method != "waea":
        return None
    return {
        w.key: torch.rand(w.param().shape, generator=torch.Generator().manual_seed(1))
        for w in weights
    }


@pytest.mark.parametrize("amount", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_percentile_prunes_requested_fraction(amount: float) -> None:
    """Magnitude prunes exactly round(p·n) weights, and only the smallest |w|."""
    layer = nn.Linear(40, 25)
    Magnitude.apply(layer, "weight", amount=amount)
    mask = layer.weight_mask
    assert int((mask == 0).sum()) == round(amount * mask.numel())
    w = layer.weight_orig.detach().abs()
    if 0 < amount < 1:
        assert w[mask == 0].max() <= w[mask == 1].min()


def test_ties_broken_by_position() -> None:
    """With tied scores the requested count is still exact; the first positions go first."""
    scores = torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0, 2.0])
    mask = lowest_mask(scores, torch.ones(6), 0.5)
    assert mask.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("amount", [0.2, 0.5, 0.8])
def test_random_keeps_one_minus_p(amount: float) -> None:
    """Random pruning at p keeps round((1-p)·n) weights, and the seed fixes which."""
    layers = [nn.Linear(30, 20) for _ in range(2)]
    for layer in layers:
        RandomCriterion.apply(layer, "weight", amount=amount, seed=7)
    assert int(layers[0].weight_mask.sum()) == 600 - round(amount * 600)
    assert torch.equal(layers[0].weight_mask, layers[1].weight_mask)


def test_global_scope_one_threshold() -> None:
    """A global magnitude threshold: every pruned |w| is below every kept |w| across matrices."""
    model = build_model(dense_dag([6, 6]), "lstm", seed=0)
    weights = select_weights(model, "both")
    apply_pruning(weights, "magnitude", 0.6, "global")
    pruned = torch.cat([w.param().detach().abs()[w.mask() == 0] for w in weights])
    kept = torch.cat([w.param().detach().abs()[w.mask() == 1] for w in weights])
    assert pruned.max() <= kept.min()
    assert len(pruned) == round(0.6 * (len(pruned) + len(kept)))


def test_layer_scope_prunes_each_matrix() -> None:
    """With scope=layer every matrix loses the requested share of its own weights."""
    model = build_model(dense_dag([5, 7]), "gru", seed=0)
    weights = select_weights(model, "h2h")
    apply_pruning(weights, "magnitude", 0.3, "layer")
    for w in weights:
        assert int((w.mask() == 0).sum()) == round(0.3 * w.mask().numel())


@pytest.mark.parametrize("method", sorted(CRITERIA))
@pytest.mark.parametrize("amount", [0.5, 1.0])
def test_graph_models_never_gain_connections(method: str, amount: float) -> None:
    """Pruning a graph model keeps its mask inside the structural mask and removes p of it."""
    g = nx.connected_watts_strogatz_graph(20, 4, 1.0, tries=10, seed=2)
    model = build_model(to_dag(g), "gru", seed=0)
    before = model.effective_params()
    structure = matrix_masks(select_weights(model, "both"))
    weights = select_weights(model, "both")
    apply_pruning(weights, method, amount, "global", _scores_for(weights, method), seed=3)
    existing = sum(int(m.sum()) for m in structure.values())
    removed = 0
    for w in weights:
        assert bool((w.mask() <= structure[w.key]).all())
        removed += int(structure[w.key].sum() - w.mask().sum())
    assert removed == round(amount * existing)
    assert model.effective_params() == before - removed


@pytest.mark.parametrize("method", sorted(CRITERIA))
def test_biases_untouched(method: str) -> None:
    """No criterion masks or changes a bias, the embedding or the readout."""
    model = build_model(dense_dag([6, 6]), "lstm", seed=0)
    others = {
        n: p.detach().clone()
        for n, p in model.named_parameters()
        if "bias" in n or not n.startswith("layers")
    }
    weights = select_weights(model, "both")
    apply_pruning(weights, method, 0.7, "global", _scores_for(weights, method))
    names = dict(model.named_parameters())
    for name, value in others.items():
        assert torch.equal(names[name], value)
    assert not any("bias" in name for name, _ in model.named_buffers())
    assert all(prune.is_pruned(layer) for layer in model.layers)
