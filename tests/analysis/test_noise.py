"""Seed noise and the noise ceiling, against closed forms and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from randrnn.analysis import noise
from randrnn.errors import RandRNNError


def runs_frame(values: dict[int, list[float]], cell: str = "gru") -> pd.DataFrame:
    """Per-run rows from {graph_id: [accuracy of replicate 0, 1, ...]} (None: run missing)."""
    rows = [
        {"graph_id": g, "cell": cell, "replicate": j, "test_acc": y}
        for g, ys in values.items()
        for j, y in enumerate(ys)
        if y is not None
    ]
    return pd.DataFrame(rows)


def simulate(n: int, k: int, sd_g: float, sd_e: float, seed: int = 0, cell: str = "gru"):
    """y = 0.9 + g + e for n graphs × k replicates, g ~ N(0, sd_g²), e ~ N(0, sd_e²)."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0, sd_g, size=(n, 1))
    y = 0.9 + g + rng.normal(0, sd_e, size=(n, k))
    return runs_frame({i: list(row) for i, row in enumerate(y)}, cell)


# ------------------------------------------------------------------ exact small example


def test_hand_checked_example() -> None:
    """Three graphs, two runs each: every number equals its value worked out by hand."""
    # graph 0: 0.8, 0.9; graph 1: 0.6, 0.6; graph 2: 0.7, 0.5
    result = noise.noise(runs_frame({0: [0.8, 0.9], 1: [0.6, 0.6], 2: [0.7, 0.5]}))
    row = result.iloc[0]
    r = math.sqrt(27 / 52)  # x = (8, 6, 7), y = (9, 6, 5): Sxy = 3, Sxx = 2, Syy = 26/3
    assert row["cell"] == "gru" and row["graphs"] == 3 and row["runs"] == 6
    assert row["replicates"] == 2
    assert row["within_sd"] == pytest.approx(math.sqrt(0.025 / 3))  # SS_w 0.025 on 3 df
    assert row["between_sd"] == pytest.approx(math.sqrt(1 / 48))  # means .85, .6, .6
    assert row["split_half_r"] == pytest.approx(r)
    assert row["icc"] == pytest.approx(2 / 3)  # MS_b 1/24, MS_w 1/120: (5 − 1)/(5 + 1)
    # the ceilings rest on ICC(1): 2/3 for one run, 2·(2/3)/(1 + 2/3) = 4/5 for the 2-run mean
    assert row["reliability_mean"] == pytest.approx(4 / 5)
    assert row["ceiling_run"] == pytest.approx(2 / 3)
    assert row["ceiling_mean"] == pytest.approx(4 / 5)
    # F = 5 on (2, 3) df, k₀ = 2: bounds (F/F_q(2,3) − 1)/(F/F_q(2,3) + 1) and with F·F_q(3,2)
    f_low, f_high = 5 / stats.f.ppf(0.975, 2, 3), 5 * stats.f.ppf(0.975, 3, 2)
    assert row["icc_low"] == pytest.approx((f_low - 1) / (f_low + 1))
    assert row["icc_high"] == pytest.approx((f_high - 1) / (f_high + 1))
    assert row["ceiling_mean_high"] == pytest.approx(2 * row["icc_high"] / (1 + row["icc_high"]))
    assert row["ceiling_mean_low"] == 0.0  # the lower bound is negative: no graph effect
    assert row["icc_low"] < 0


def test_three_replicates_average_the_three_pairs() -> None:
    """With K = 3 the split-half r is the mean of the Pearson r of pairs (0,1), (0,2), (1,2)."""
    runs = simulate(40, 3, 0.04, 0.03, seed=3)
    y = runs.pivot(index="graph_id", columns="replicate", values="test_acc").to_numpy()
    pairs = [stats.pearsonr(y[:, a], y[:, b]).statistic for a, b in [(0, 1), (0, 2), (1, 2)]]
    row = noise.noise(runs).iloc[0]
    assert row["split_half_r"] == pytest.approx(np.mean(pairs))
    assert row["replicates"] == 3
    rho = row["icc"]
    assert row["ceiling_mean"] == pytest.approx(3 * rho / (1 + 2 * rho))


def test_unequal_replicates_use_the_harmonic_mean() -> None:
    """K of 3 graphs with 3 runs and 3 graphs with 1 run is 1 / mean(1/k) = 6 / (3·1/3 + 3) = 3/2;
    only the first three count as graphs (two runs or more), all twelve runs count as runs."""
    values = {0: [0.9, 0.8, 0.85], 1: [0.7, 0.75, 0.6], 2: [0.5, 0.55, 0.52]}
    values |= {3: [0.8], 4: [0.6], 5: [0.7]}
    result = noise.noise(runs_frame(values)).iloc[0]
    assert result["replicates"] == pytest.approx(6 / (3 * (1 / 3) + 3))
    assert result["graphs"] == 3 and result["runs"] == 12


def test_spearman_brown_closed_form() -> None:
    """r = 0.5: the mean of 2 runs has reliability 2/3, of 3 runs 3/4; r = 1 stays 1."""
    assert noise.spearman_brown(0.5, 2) == pytest.approx(2 / 3)
    assert noise.spearman_brown(0.5, 3) == pytest.approx(3 / 4)
    assert noise.spearman_brown(1.0, 7) == pytest.approx(1.0)
    assert noise.spearman_brown(0.3, 1) == pytest.approx(0.3)


# ------------------------------------------------------------------ simulation: closed form


@pytest.mark.parametrize("k", [2, 3])
def test_simulated_reliability_matches_the_variance_ratio(k: int) -> None:
    """For y = g + e the estimates approach σ_g²/(σ_g²+σ_e²), σ_e and the SB value at K."""
    sd_g, sd_e = 0.043, 0.028
    rho = sd_g**2 / (sd_g**2 + sd_e**2)
    row = noise.noise(simulate(20_000, k, sd_g, sd_e, seed=k)).iloc[0]
    assert row["split_half_r"] == pytest.approx(rho, abs=0.015)
    assert row["icc"] == pytest.approx(rho, abs=0.015)
    assert row["within_sd"] == pytest.approx(sd_e, rel=0.02)
    assert row["between_sd"] == pytest.approx(math.sqrt(sd_g**2 + sd_e**2 / k), rel=0.02)
    assert row["ceiling_mean"] == pytest.approx(k * rho / (1 + (k - 1) * rho), abs=0.015)


def test_simulated_mean_r2_of_the_true_effect_reaches_the_ceiling() -> None:
    """The R² of the true graph effect on the K-run mean is the Spearman–Brown ceiling."""
    rng = np.random.default_rng(1)
    n, k, sd_g, sd_e = 20_000, 2, 0.04, 0.04
    g = rng.normal(0, sd_g, n)
    y = g[:, None] + rng.normal(0, sd_e, (n, k))
    runs = runs_frame({i: list(row) for i, row in enumerate(y)})
    best_r2 = 1 - np.var(y.mean(axis=1) - g) / np.var(y.mean(axis=1))
    best_run_r2 = 1 - np.var(y[:, 0] - g) / np.var(y[:, 0])
    row = noise.noise(runs).iloc[0]
    assert row["ceiling_mean"] == pytest.approx(best_r2, abs=0.02)
    assert row["ceiling_run"] == pytest.approx(best_run_r2, abs=0.02)


# ------------------------------------------------------------------ ICC: a second implementation


def test_icc_agrees_with_scipy_f_oneway_unbalanced() -> None:
    """ICC(1) = (F − 1)/(F + k₀ − 1) with F from scipy's one-way ANOVA, unequal group sizes."""
    rng = np.random.default_rng(5)
    values = {
        i: list(0.8 + rng.normal(0, 0.05) + rng.normal(0, 0.03, 2 + i % 3)) for i in range(30)
    }
    groups = [np.array(v) for v in values.values()]
    f = stats.f_oneway(*groups).statistic
    sizes = np.array([len(v) for v in groups])
    k0 = (sizes.sum() - (sizes**2).sum() / sizes.sum()) / (len(groups) - 1)
    assert noise.noise(runs_frame(values)).iloc[0]["icc"] == pytest.approx((f - 1) / (f + k0 - 1))


def test_ceiling_of_unequal_means_is_the_variance_ratio_of_the_table() -> None:
    """Unequal counts (graphs with 1 to 4 runs): ceiling_mean = σ_g² / (σ_g² + σ_e²·mean(1/k_i)),
    mean over every graph of the table, with σ_e² the pooled within-graph variance (numpy) and
    σ_g² = (MS_b − MS_w)/k₀, MS_b = F·MS_w from scipy's one-way ANOVA of the replicated graphs."""
    rng = np.random.default_rng(11)
    sizes = [1 + i % 4 for i in range(40)]
    values = {i: list(rng.normal(0, 0.5) + rng.normal(0, 1.0, k)) for i, k in enumerate(sizes)}
    groups = [np.array(v) for v in values.values() if len(v) >= 2]
    ms_w = sum((len(g) - 1) * np.var(g, ddof=1) for g in groups) / sum(len(g) - 1 for g in groups)
    ms_b = stats.f_oneway(*groups).statistic * ms_w
    k = np.array([len(g) for g in groups])
    k0 = (k.sum() - (k**2).sum() / k.sum()) / (len(groups) - 1)
    var_g = (ms_b - ms_w) / k0
    expected = var_g / (var_g + ms_w * np.mean(1 / np.array(sizes)))
    row = noise.noise(runs_frame(values)).iloc[0]
    assert row["ceiling_mean"] == pytest.approx(expected)
    assert row["ceiling_run"] == pytest.approx(var_g / (var_g + ms_w))


def _unequal(rng: np.random.Generator, sizes: list[int], var_g: float, var_e: float):
    """The graph × replicate table (`noise.wide`'s shape) of y = g + e, graph i with sizes[i]
    runs labelled 0..sizes[i] − 1 (as train-all labels replicates, so high labels are shared by
    few graphs); NaN where a graph has no such run."""
    g = rng.normal(0, math.sqrt(var_g), len(sizes))
    y = np.full((len(sizes), max(sizes)), np.nan)
    for i, k in enumerate(sizes):
        y[i, :k] = g[i] + rng.normal(0, math.sqrt(var_e), k)
    return pd.DataFrame(y)


def test_icc_ceiling_is_closer_to_the_truth_than_split_half_with_unequal_replicates() -> None:
    """Seeded simulation, σ_g² = 0.2, σ_e² = 0.8 (ρ = 0.2), 30 graphs with 2 to 6 runs: over 150
    studies the ICC-based ceilings (one run: ρ; the per-graph means: σ_g²/(σ_g² + σ_e²·mean(1/k)))
    have a smaller mean squared error than those from the mean split-half r, and little bias."""
    rng = np.random.default_rng(2026)
    sizes = [2 + i % 5 for i in range(30)]
    var_g, var_e = 0.2, 0.8
    k = noise.effective_replicates(np.array(sizes))
    truth_run = var_g / (var_g + var_e)
    truth_mean = var_g / (var_g + var_e * np.mean(1 / np.array(sizes)))
    assert truth_mean == pytest.approx(noise.spearman_brown(truth_run, k))  # K: harmonic mean
    icc, old = [], []
    for _ in range(150):
        w = _unequal(rng, sizes, var_g, var_e)
        icc.append(noise.anova(w)["icc"])
        old.append(noise.split_half_r(w))
    icc, old = np.array(icc), np.array(old)
    ceil_new = np.array([noise.ceiling(r, k) for r in icc])
    ceil_old = np.array([noise.ceiling(r, k) for r in old])
    assert np.mean((icc - truth_run) ** 2) < 0.7 * np.mean((old - truth_run) ** 2)
    assert np.mean((ceil_new - truth_mean) ** 2) < 0.8 * np.mean((ceil_old - truth_mean) ** 2)
    assert abs(np.mean(icc) - truth_run) < 0.03


def test_icc_interval_covers_the_truth_95_percent_of_the_time() -> None:
    """Equal counts (the interval is exact there): over 400 seeded studies of 20 graphs × 3
    runs, the 95 % interval holds ρ = 0.3 in 92–98 % of them."""
    rng = np.random.default_rng(7)
    rho, hits = 0.3, 0
    for _ in range(400):
        stats_ = noise.anova(_unequal(rng, [3] * 20, rho, 1 - rho))
        hits += stats_["icc_low"] <= rho <= stats_["icc_high"]
    assert 0.92 <= hits / 400 <= 0.98


def test_within_sd_is_the_pooled_sd_of_the_residuals() -> None:
    """within_sd² = Σ (n_i − 1)·s_i² / Σ (n_i − 1), with each graph's s_i from numpy."""
    values = {0: [0.9, 0.8, 0.7], 1: [0.5, 0.6], 2: [0.65, 0.66, 0.61, 0.7]}
    pooled = sum((len(v) - 1) * np.var(v, ddof=1) for v in values.values()) / sum(
        len(v) - 1 for v in values.values()
    )
    assert noise.noise(runs_frame(values)).iloc[0]["within_sd"] == pytest.approx(math.sqrt(pooled))


# ------------------------------------------------------------------ edge cases and errors


def test_single_runs_give_nan_and_no_replicates() -> None:
    """With one run per graph nothing is estimable: NaN numbers, graphs 0, has_replicates False."""
    result = noise.noise(runs_frame({i: [0.5 + i / 100] for i in range(10)}))
    row = result.iloc[0]
    assert row["graphs"] == 0 and row["replicates"] == 1
    assert all(math.isnan(row[c]) for c in ("within_sd", "split_half_r", "icc", "ceiling_mean"))
    assert not noise.has_replicates(result)


def test_negative_r_gives_a_zero_ceiling() -> None:
    """Replicates that anti-correlate show no graph effect: ceiling 0, r itself kept, and no
    Spearman–Brown reliability."""
    result = noise.noise(runs_frame({0: [0.9, 0.1], 1: [0.5, 0.5], 2: [0.1, 0.9]})).iloc[0]
    assert result["split_half_r"] == pytest.approx(-1.0)
    assert result["ceiling_run"] == 0.0 and result["ceiling_mean"] == 0.0
    assert math.isnan(result["reliability_mean"])  # not K·r/(1+(K−1)r) < 0, an impossible value


def test_cells_are_separate_and_in_registry_order() -> None:
    """Two cells give two rows (registry order), each from its own runs only."""
    runs = pd.concat(
        [simulate(50, 2, 0.05, 0.01, 0, "gru"), simulate(50, 2, 0.0, 0.05, 1, "rnn_tanh")]
    )
    result = noise.noise(runs).set_index("cell")
    assert list(result.index) == ["rnn_tanh", "gru"]
    assert (
        result.loc["gru", "split_half_r"] > 0.8
        and abs(result.loc["rnn_tanh", "split_half_r"]) < 0.4
    )


def test_missing_replicate_column_is_one_error() -> None:
    """Per-graph rows (no replicate column) are refused with a clear message."""
    with pytest.raises(RandRNNError, match="no replicate column"):
        noise.noise(pd.DataFrame({"graph_id": [0], "cell": ["gru"], "test_acc": [0.5]}))


def test_duplicate_replicate_labels_are_one_error() -> None:
    """Two runs with the same (graph, cell, replicate) mean mixed configs: one error."""
    runs = runs_frame({0: [0.5, 0.6], 1: [0.5, 0.6]})
    with pytest.raises(RandRNNError, match="two runs labelled replicate"):
        noise.noise(pd.concat([runs, runs.iloc[:1]]))


def test_replicate_pairs_holds_the_first_two_replicates() -> None:
    """The plotted frame pairs replicate 0 and 1 per graph, with their Pearson r."""
    runs = simulate(12, 3, 0.05, 0.02, seed=2)
    pairs = noise.replicate_pairs(runs)
    y = runs.pivot(index="graph_id", columns="replicate", values="test_acc")
    assert list(pairs["graph_id"]) == list(range(12))
    assert np.allclose(pairs["y_a"], y[0]) and np.allclose(pairs["y_b"], y[1])
    assert pairs["r"].iloc[0] == pytest.approx(stats.pearsonr(y[0], y[1]).statistic)


def test_replicate_pairs_takes_the_labels_most_graphs_share() -> None:
    """Replicate 0 failed on most graphs: the plotted pair is (1, 2), the one shared by most."""
    values = {0: [0.5, 0.6, 0.55], 1: [None, 0.7, 0.72], 2: [None, 0.8, 0.79], 3: [None, 0.6, 0.65]}
    pairs = noise.replicate_pairs(runs_frame(values))
    assert set(pairs["a"]) == {1} and set(pairs["b"]) == {2}
    assert list(pairs["y_a"]) == [0.6, 0.7, 0.8, 0.6] and list(pairs["y_b"]) == [
        0.55,
        0.72,
        0.79,
        0.65,
    ]


# ------------------------------------------------------------------ invariants (Hypothesis)

unit = st.floats(0.0, 1.0, allow_nan=False)
accuracy_tables = st.lists(
    st.lists(st.floats(0.3, 1.0, allow_nan=False), min_size=3, max_size=3), min_size=4, max_size=12
)


@given(r=st.floats(-1.0, 1.0, allow_nan=False), k=st.floats(1.0, 20.0))
def test_ceiling_lies_in_the_unit_interval(r: float, k: float) -> None:
    """Whatever r (negative included) and K, the ceiling is in [0, 1]."""
    assert 0.0 <= noise.ceiling(r, k) <= 1.0 + 1e-12


@given(r=unit, k=st.integers(1, 30))
def test_spearman_brown_is_monotone_in_k(r: float, k: int) -> None:
    """For r in [0, 1], averaging more runs never lowers the reliability, and it stays ≤ 1."""
    lo, hi = noise.spearman_brown(r, k), noise.spearman_brown(r, k + 1)
    assert lo - 1e-12 <= hi <= 1.0 + 1e-12 and lo >= r - 1e-12


@settings(max_examples=60, deadline=None)
@given(values=accuracy_tables, perm=st.permutations([0, 1, 2]))
def test_relabelling_replicates_changes_nothing(values, perm) -> None:
    """Renaming the replicate labels (the same permutation for every graph) leaves every number."""
    runs = runs_frame(dict(enumerate(values)))
    relabelled = runs.assign(replicate=runs["replicate"].map(dict(enumerate(perm))))
    a, b = noise.noise(runs), noise.noise(relabelled)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(values=accuracy_tables, swaps=st.lists(st.permutations([0, 1, 2]), min_size=12, max_size=12))
def test_icc_ignores_which_run_of_a_graph_is_which(values, swaps) -> None:
    """ICC and the sds depend only on each graph's set of runs, not on their labels."""
    shuffled = {i: [v[j] for j in swaps[i]] for i, v in enumerate(values)}
    a = noise.noise(runs_frame(dict(enumerate(values)))).iloc[0]
    b = noise.noise(runs_frame(shuffled)).iloc[0]
    for col in ("icc", "within_sd", "between_sd"):
        assert a[col] == pytest.approx(b[col], nan_ok=True, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(values=accuracy_tables, scale=st.floats(0.1, 10.0), shift=st.floats(-1.0, 1.0))
def test_affine_change_of_the_target_scales_only_the_sds(values, scale, shift) -> None:
    """y → a·y + b: reliabilities and ceilings unchanged, sds multiplied by a."""
    runs = runs_frame(dict(enumerate(values)))
    moved = runs.assign(test_acc=scale * runs["test_acc"] + shift)
    a, b = noise.noise(runs).iloc[0], noise.noise(moved).iloc[0]
    for col in ("split_half_r", "icc", "ceiling_run", "ceiling_mean"):
        assert b[col] == pytest.approx(a[col], nan_ok=True, abs=1e-9)
    for col in ("within_sd", "between_sd"):
        assert b[col] == pytest.approx(scale * a[col], rel=1e-9, abs=1e-12)


def test_four_replicates_average_the_six_pairs() -> None:
    """K = 4: the split-half r is the mean of the upper triangle of numpy's correlation matrix."""
    runs = simulate(30, 4, 0.05, 0.02, seed=9)
    y = runs.pivot(index="graph_id", columns="replicate", values="test_acc").to_numpy()
    c = np.corrcoef(y, rowvar=False)
    expected = c[np.triu_indices(4, k=1)].mean()
    assert noise.noise(runs).iloc[0]["split_half_r"] == pytest.approx(expected)


def test_a_replicate_constant_but_for_rounding_has_no_r() -> None:
    """A replicate whose values differ only by floating-point rounding is constant: r is NaN,
    before and after an affine change of the target (Hypothesis found r = -0.5 vs -0.87)."""
    values = [[0.30000000000000004, 1.0, 0.5], [0.3, 1.0, 1.0], [0.3, 1.0, 1.0], [0.3, 1.0, 1.0]]
    w = noise.wide(runs_frame(dict(enumerate(values))), "test_acc")
    assert math.isnan(noise.pair_r(w, 0, 2)) and math.isnan(noise.pair_r(0.109375 * w, 0, 2))
    spread = w.copy()
    spread[0] = [0.3, 0.4, 0.5, 0.6]  # a real spread keeps its r
    expected = np.corrcoef(spread[0], spread[2])[0, 1]
    assert noise.pair_r(spread, 0, 2) == pytest.approx(expected)
