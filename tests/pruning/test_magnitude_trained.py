"""Magnitude pruning after a load ranks the trained weights, never the initial ones.

The expected masks are computed here from the checkpoint file alone, with numpy: |orig × structural
mask| of every existing connection, ranked in the protocol's order (layer by layer, i2h before
h2h; one ranking per matrix, or one over all of them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from randrnn.pruning.criteria import select_weights
from randrnn.pruning.protocol import build_base, pruned_base
from randrnn.store import Study

NAMES = {
    "i2h": ("weight_ih_l0",),
    "h2h": ("weight_hh_l0",),
    "both": ("weight_ih_l0", "weight_hh_l0"),
}


def matrices(state: dict[str, torch.Tensor], target: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight the model computes with, structural mask) of each selected matrix, in order."""
    layers = sorted({int(key.split(".")[1]) for key in state if key.startswith("layers.")})
    out = []
    for l in layers:
        for name in NAMES[target]:
            mask = state.get(f"layers.{l}.{name}_mask")
            weight = state.get(f"layers.{l}.{name}_orig", state.get(f"layers.{l}.{name}"))
            mask = np.ones(weight.shape) if mask is None else mask.numpy()
            out.append((weight.numpy() * mask, mask))
    return out


def expected_masks(mats, scope: str, amount: float) -> list[np.ndarray]:
    """The round(amount · n) smallest |w| among existing connections zeroed (stable order)."""
    groups = [[m] for m in mats] if scope == "layer" else [mats]
    out = []
    for group in groups:
        values = np.concatenate([np.abs(w)[s > 0] for w, s in group])
        drop = np.argsort(values, kind="stable")[: round(amount * values.size)]
        keep = np.ones(values.size)
        keep[drop] = 0.0
        start = 0
        for w, s in group:
            mask = np.zeros(w.shape)
            count = int(s.sum())
            mask[s > 0] = keep[start : start + count]
            start += count
            out.append(mask)
    return out


@pytest.mark.parametrize("model", ["dense", "graph"])
@pytest.mark.parametrize("scope", ["layer", "global"])
@pytest.mark.parametrize("target", ["i2h", "h2h", "both"])
def test_magnitude_masks_rank_trained_weights(trained_study, model, scope, target) -> None:
    """The protocol's 50 % magnitude masks equal masks ranked from the trained checkpoint."""
    with Study.open(trained_study.path) as study:
        spec = trained_study.specs[model]
        base = trained_study.base(study, model)
        spec = type(spec)(**{**spec.__dict__, "target": target, "scope": scope})
        pruned, _, _ = pruned_base(study, spec, base, 50.0)
        state = torch.load(Path(study.path) / base["checkpoint"], weights_only=True)
        initial = build_base(study, spec).state_dict()
    expected = expected_masks(matrices(state, target), scope, 0.5)
    got = [w.mask().numpy() for w in select_weights(pruned, target)]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
    # the check can tell: ranking the initial weights would give other masks
    from_initial = expected_masks(matrices(initial, target), scope, 0.5)
    assert any(not np.array_equal(a, b) for a, b in zip(from_initial, expected))
