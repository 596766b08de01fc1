"""WAEA: streaming statistics, the activity formula and its options."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn.callbacks import Step
from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import build_model, dense_dag
from randrnn.pruning.criteria import lowest_mask, select_weights
from randrnn.pruning.waea import (
    WaeaOptions,
    WaeaRecorder,
    Welford,
    activity,
    gate_activity,
    gaussian_filter,
    magnitude_correlation,
    split_state,
)


def test_welford_equals_batch_formulas() -> None:
    """Welford's running mean and variance equal numpy's mean and var(ddof=0)."""
    rng = np.random.default_rng(0)
    steps = rng.normal(0.3, 2.0, size=(50, 4, 3))
    acc = Welford(torch.Size([4, 3]))
    for x in steps:
        acc.update(torch.as_tensor(x))
    np.testing.assert_allclose(acc.mean.numpy(), steps.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(acc.variance.numpy(), steps.var(0, ddof=0), rtol=1e-10)


def test_recorder_matches_recorded_sequence() -> None:
    """The recorder's Q and I equal the batch mean of weights and variance of gradients."""
    model = build_model(dense_dag([3, 4]), "lstm", seed=0)
    recorder = WaeaRecorder(first_step=3)
    rng = torch.Generator().manual_seed(0)
    seen_w, seen_g = [], []
    for step in range(1, 11):
        ref = select_weights(model, "h2h")[1]
        for w in select_weights(model, "both"):
            with torch.no_grad():
                w.param().add_(torch.randn(w.param().shape, generator=rng))
            w.param().grad = torch.randn(w.param().shape, generator=rng)
        if step >= 3:
            seen_w.append(ref.param().detach().double().numpy().copy())
            seen_g.append(ref.param().grad.double().numpy().copy())
        recorder.on_step(Step(model, step))
    q, i = split_state(recorder.state_dict())
    assert recorder.steps == 8
    np.testing.assert_allclose(q["1.h2h"].numpy(), np.mean(seen_w, 0), rtol=1e-10)
    np.testing.assert_allclose(i["1.h2h"].numpy(), np.var(seen_g, 0, ddof=0), rtol=1e-9)


def _stats(shape=(8, 5), seed=0):
    g = torch.Generator().manual_seed(seed)
    q = {"0.h2h": torch.randn(shape, generator=g, dtype=torch.float64)}
    i = {"0.h2h": torch.rand(shape, generator=g, dtype=torch.float64) * 1e-6}
    return q, i, {"0.h2h": torch.ones(shape)}


def test_alpha_one_ranks_by_filter() -> None:
    """With α = 1 and the filter at the mean, WAEA drops the weights farthest from the mean."""
    q, i, masks = _stats()
    score = activity(q, i, masks, WaeaOptions(alpha=1.0))["0.h2h"]["activity"]
    distance = (q["0.h2h"] - q["0.h2h"].mean()).abs()
    for amount in (0.2, 0.5, 0.8):
        assert torch.equal(
            lowest_mask(score, masks["0.h2h"], amount),
            lowest_mask(-distance, masks["0.h2h"], amount),
        )


def test_unnormalised_activity_is_paper_formula() -> None:
    """With normalize='none' the activity is α·Filter(Q) + (1-α)·I, the paper's equation (2)."""
    q, i, masks = _stats()
    x = q["0.h2h"]
    mu, sigma = float(x.mean()), float(x.std(correction=0))
    expected = 0.4 * (torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma))
    expected = expected + 0.6 * i["0.h2h"]
    got = activity(q, i, masks, WaeaOptions(alpha=0.4, normalize="none"))["0.h2h"]["activity"]
    torch.testing.assert_close(got.double(), expected, rtol=1e-6, atol=1e-7)
    assert gaussian_filter(torch.tensor(0.0), 0.0, 1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))


def test_minmax_terms_in_unit_interval() -> None:
    """Min-max normalisation puts both terms in [0, 1], so α weighs comparable scales."""
    q, i, masks = _stats()
    part = activity(q, i, masks, WaeaOptions(alpha=0.5))["0.h2h"]
    assert float(part["filter"].min()) == 0.0 and float(part["filter"].max()) == 1.0
    assert 0.0 <= float(part["activity"].min()) and float(part["activity"].max()) <= 1.0


def test_structural_zeros_ignored_by_statistics() -> None:
    """μ, σ and the min-max range use only existing connections."""
    q, i, masks = _stats()
    masks["0.h2h"][0] = 0
    q["0.h2h"][0] = 1e6  # a huge value where no connection exists must not matter
    part = activity(q, i, masks, WaeaOptions())["0.h2h"]
    assert float(part["activity"][1:].max()) <= 1.0


def test_gate_activity_per_lstm_gate() -> None:
    """Mean activity is reported for the four LSTM gates of each weight set."""
    shape = (4 * 3, 3)
    q, i, _ = _stats(shape)
    masks = {"0.h2h": torch.ones(shape)}
    gates = gate_activity(activity(q, i, masks), masks, "lstm")
    assert list(gates["activity"]["h2h"]) == ["input", "forget", "cell", "output"]


def test_options_fail_at_the_edge() -> None:
    """Unknown option values and α outside [0, 1] raise RandRNNError."""
    with pytest.raises(RandRNNError):
        WaeaOptions(alpha=1.5)
    with pytest.raises(RandRNNError):
        WaeaOptions(normalize="zscore")


def test_magnitude_reading_is_filter_on_abs() -> None:
    """reading='magnitude': α·Filter(|Q|) with μ, σ of |Q|, plus (1-α)·I (no normalisation)."""
    q, i, masks = _stats()
    x = q["0.h2h"].abs()
    mu, sigma = float(x.mean()), float(x.std(correction=0))
    expected = 0.6 * torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma)
    expected = expected + 0.4 * i["0.h2h"]
    options = WaeaOptions(alpha=0.6, normalize="none", reading="magnitude")
    got = activity(q, i, masks, options)["0.h2h"]["activity"]
    torch.testing.assert_close(got.double(), expected, rtol=1e-6, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    alpha=st.floats(0.0, 1.0),
    normalize=st.sampled_from(["rank", "minmax", "none"]),
)
def test_magnitude_reading_ignores_signs(seed: int, alpha: float, normalize: str) -> None:
    """Flipping the sign of any weights leaves the magnitude reading's activity unchanged."""
    q, i, masks = _stats(seed=seed)
    flips = torch.randint(0, 2, q["0.h2h"].shape, generator=torch.Generator().manual_seed(seed))
    flipped = {"0.h2h": torch.where(flips == 1, -q["0.h2h"], q["0.h2h"])}
    options = WaeaOptions(alpha=alpha, normalize=normalize, reading="magnitude")
    a = activity(q, i, masks, options)["0.h2h"]["activity"]
    b = activity(flipped, i, masks, options)["0.h2h"]["activity"]
    torch.testing.assert_close(a, b)


def test_readings_drop_different_tails() -> None:
    """α = 1: signed drops the largest |w| first; magnitude drops the smallest and the largest."""
    q, i, masks = _stats(shape=(40, 30), seed=2)
    size = q["0.h2h"].abs()
    smallest, largest = size.argmin(), size.argmax()
    signed = activity(q, i, masks, WaeaOptions(alpha=1.0))["0.h2h"]["activity"]
    mag = activity(q, i, masks, WaeaOptions(alpha=1.0, reading="magnitude"))["0.h2h"]["activity"]
    dropped_signed = lowest_mask(signed, masks["0.h2h"], 0.2).flatten() == 0
    dropped_mag = lowest_mask(mag, masks["0.h2h"], 0.2).flatten() == 0
    assert dropped_signed[largest] and not dropped_signed[smallest]
    assert dropped_mag[largest] and dropped_mag[smallest]
    assert magnitude_correlation(q, i, masks, WaeaOptions(alpha=1.0)) < -0.9


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of ranks, ties given their mean rank (pandas), written out."""
    rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    return float(np.corrcoef(rx, ry)[0, 1])


@pytest.mark.parametrize("reading", ["signed", "magnitude"])
def test_magnitude_correlation_pools_existing_weights(reading: str) -> None:
    """magnitude_correlation = Spearman(activity, |Q|) over the existing weights of all matrices."""
    g = torch.Generator().manual_seed(5)
    shapes = {"0.i2h": (12, 6), "0.h2h": (12, 3)}
    q = {k: torch.randn(s, generator=g, dtype=torch.float64) for k, s in shapes.items()}
    i = {k: torch.rand(s, generator=g, dtype=torch.float64) ** 6 for k, s in shapes.items()}
    masks = {k: (torch.rand(s, generator=g) < 0.6).float() for k, s in shapes.items()}
    options = WaeaOptions(alpha=0.5, reading=reading)
    parts = activity(q, i, masks, options)
    act = np.concatenate([parts[k]["activity"].numpy()[masks[k].numpy() > 0] for k in shapes])
    size = np.concatenate([q[k].abs().numpy()[masks[k].numpy() > 0] for k in shapes])
    expected = _spearman(act, size)
    assert magnitude_correlation(q, i, masks, options) == pytest.approx(expected, abs=1e-12)


def test_unknown_reading_fails() -> None:
    """An unknown reading is a RandRNNError naming the known readings."""
    with pytest.raises(RandRNNError, match="signed, magnitude"):
        WaeaOptions(reading="absolute")
