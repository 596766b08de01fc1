"""Pruning time projections: the cost model, and a study file's prune stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from randrnn.pruning import plan
from randrnn.pruning.protocol import PruneSpec, base_config, parse_levels

STUDIES = Path(__file__).resolve().parents[2] / "studies"


@pytest.mark.parametrize(
    ("target", "level", "share"),
    [
        ("both", 50.0, 0.5),
        ("h2h", 50.0, (5000 + 7500 * 0.5) / 12500),  # inner i2h 2·50·50, recurrent 3·50·50
        ("i2h", 100.0, 7500 / 12500),
        ("both", 100.0, 0.0),
    ],
)
def test_kernel_share_of_the_dense_model(target: str, level: float, share: float) -> None:
    """The share of the kernel's weights left, from the dense model's weight counts."""
    assert plan.kernel_share(PruneSpec("lstm", target=target), level) == pytest.approx(share)


def test_pruned_copy_costs_fixed_plus_visited_share() -> None:
    """A copy's epoch costs fixed + visited × share, scaled by the data used."""
    config = base_config(max_train=18_750 // 2)
    fixed, visited = plan.DENSE["gru"]
    spec = PruneSpec("gru", target="both")
    assert plan.epoch_seconds(spec, config, 30.0) == pytest.approx((fixed + visited * 0.7) / 2)
    assert plan.epoch_seconds(spec, config, None) == pytest.approx(plan.DENSE_BASE["gru"] / 2)


def test_waea_study_projection_in_closed_form() -> None:
    """studies/waea.toml: 10 experiments (4 α × 2 readings, magnitude, random) × 9 levels × 10
    epochs plus one 50-epoch base, shared by 2 workers (never less than the base alone)."""
    from randrnn.cli.study import VALIDATORS, commands
    from randrnn.studyfile import load
    from randrnn.studyplan import project

    sf = load(STUDIES / "waea.toml", commands(), None, VALIDATORS)
    (step,) = [s for s in sf.steps if s.stage == "prune"]
    work, seconds = project(step, sf)
    spec, config = PruneSpec("lstm"), base_config(epochs=50)
    levels = parse_levels("10:90:10")
    retrain = 10 * 10 * sum(10 * plan.epoch_seconds(spec, config, p) for p in levels) / 10
    base = 50 * plan.epoch_seconds(spec, config, None)
    assert seconds == pytest.approx(max((base + retrain) / 2, base))
    assert work.startswith("10 experiment(s) × 9 levels × 10 epochs + 1 base model(s)")


def test_pruning_study_projection_prices_each_target() -> None:
    """studies/pruning.toml: each of the 12 experiments (4 cells × both, i2h, h2h) is priced
    with its own target's kernel share (i2h and h2h leave more of the kernel than both), plus
    one 50-epoch base per cell, shared by 2 workers."""
    from randrnn.cli.study import VALIDATORS, commands
    from randrnn.studyfile import load
    from randrnn.studyplan import project

    sf = load(STUDIES / "pruning.toml", commands(), None, VALIDATORS)
    (step,) = [s for s in sf.steps if s.stage == "prune"]
    _, seconds = project(step, sf)
    config, levels = base_config(epochs=50), parse_levels("10:100:10")
    total = 0.0
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        total += 50 * plan.epoch_seconds(PruneSpec(cell), config, None)
        for target in ("both", "i2h", "h2h"):
            spec = PruneSpec(cell, target=target)
            total += sum(10 * plan.epoch_seconds(spec, config, p) for p in levels)
    assert seconds == pytest.approx(total / 2)
