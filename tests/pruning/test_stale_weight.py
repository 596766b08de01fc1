"""Magnitude pruning ranks the weights the model computes with, ``orig × mask``, read when it
prunes: an in-place change of the original parameter (an optimiser step, a loaded state) with
no forward pass since, which leaves torch's cached masked weight stale, is what gets ranked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.graph_rnn import build_model
from randrnn.pruning.criteria import apply_pruning, select_weights

AMOUNT = 0.4


def _model(cell: str):
    dag = to_dag(generate_graph("ws", 1, 5, (14, 14))["graph"])
    return build_model(dag, cell, seed=3)


def _overwrite(model) -> list:
    """Overwrite every original parameter in place with new values (no forward pass after),
    so the cached masked weight no longer matches; returns the new |orig × mask| as numpy."""
    gen = torch.Generator().manual_seed(11)
    new = []
    for w in select_weights(model, "both"):
        with torch.no_grad():
            w.param().copy_(torch.randn(w.param().shape, generator=gen))
        new.append((w.param().detach() * w.mask()).abs().numpy().ravel())
    return new


def _expected_masks(values: list, masks: list, amount: float) -> list:
    """numpy: zero the round(amount·n) smallest of the n kept entries over all matrices
    (one global threshold; these random values have no ties)."""
    kept = np.concatenate([v[m > 0] for v, m in zip(values, masks, strict=True)])
    k = round(amount * kept.size)
    threshold = np.sort(kept)[k - 1]
    return [((m > 0) & (v > threshold)).astype(float) for v, m in zip(values, masks, strict=True)]


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm"])
def test_magnitude_after_an_in_place_change_ranks_the_new_values(cell: str) -> None:
    model = _model(cell)
    weights = select_weights(model, "both")
    structure = [w.mask().numpy().ravel().copy() for w in weights]
    stale = [getattr(w.module, w.name).detach().clone() for w in weights]
    values = _overwrite(model)
    # the cached masked attribute is stale now: the situation under test
    assert any(
        not np.allclose(np.abs(s.numpy().ravel()), v) for s, v in zip(stale, values, strict=True)
    )
    apply_pruning(weights, "magnitude", AMOUNT, "global")
    got = [w.mask().numpy().ravel() for w in weights]
    for mask, expected in zip(got, _expected_masks(values, structure, AMOUNT), strict=True):
        np.testing.assert_array_equal(mask, expected)


def test_layer_scope_ranks_the_new_values_too() -> None:
    """Per-matrix thresholds, same rule: each matrix loses its own smallest new |orig × mask|."""
    model = _model("gru")
    weights = select_weights(model, "both")
    structure = [w.mask().numpy().ravel().copy() for w in weights]
    values = _overwrite(model)
    apply_pruning(weights, "magnitude", AMOUNT, "layer")
    for w, v, m in zip(weights, values, structure, strict=True):
        (expected,) = _expected_masks([v], [m], AMOUNT)
        np.testing.assert_array_equal(w.mask().numpy().ravel(), expected)
