"""The partial rank correlation of the robustness analysis, against an independent route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from randrnn.pruning.robustness import partial_spearman, safe_level_correlations, strongest


def _residual_route(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Rank everything, regress z out of x and y by least squares, correlate the residuals."""
    rx, ry, rz = (stats.rankdata(v) for v in (x, y, z))
    design = np.column_stack([np.ones_like(rz), rz])
    ex = rx - design @ np.linalg.lstsq(design, rx, rcond=None)[0]
    ey = ry - design @ np.linalg.lstsq(design, ry, rcond=None)[0]
    return float(np.corrcoef(ex, ey)[0, 1])


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=8, max_value=60), st.integers(min_value=0, max_value=2**31))
def test_partial_spearman_equals_the_residual_route(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    x = z + rng.normal(size=n)
    y = 0.5 * z + rng.normal(size=n)
    got = partial_spearman(pd.Series(x), pd.Series(y), pd.Series(z))
    rz = stats.rankdata(z)
    wholly = (rz, len(rz) + 1 - rz)  # z explains x or y wholly (same or reversed ranks)
    if any(np.array_equal(stats.rankdata(v), r) for v in (x, y) for r in wholly):
        assert np.isnan(got)
        return
    assert got == pytest.approx(_residual_route(x, y, z), abs=1e-9)


def test_a_property_that_acts_only_through_the_base_accuracy_has_no_partial_rho() -> None:
    """Safe level driven by the base accuracy, a property tied to that accuracy: ρ is large,
    the partial ρ given the accuracy is near 0; a property acting directly keeps its partial ρ."""
    rng = np.random.default_rng(1)
    n = 400
    acc = rng.uniform(0.8, 1.0, n)
    direct = rng.normal(size=n)
    frame = pd.DataFrame(
        {"graph_id": range(n), "cell": "gru", "tag": "magnitude", "label": "magnitude",
         "acc_before": acc, "nodes": acc * 100 + rng.normal(0, 0.5, n),
         "source_nodes": direct}
    )  # fmt: skip
    frame["safe_level"] = -200 * acc + 5 * direct + rng.normal(0, 1, n)
    got = safe_level_correlations(frame).set_index("property")
    assert got.loc["nodes", "rho"] < -0.6
    assert abs(got.loc["nodes", "rho_given_acc"]) < 0.15
    assert got.loc["source_nodes", "rho_given_acc"] > 0.4
    table = strongest(safe_level_correlations(frame)).set_index("property")
    assert table.loc["nodes", "magnitude | acc"] == got.loc["nodes", "rho_given_acc"]


def test_without_the_unpruned_accuracy_the_partial_rho_is_missing() -> None:
    frame = pd.DataFrame(
        {"graph_id": range(10), "cell": "gru", "tag": "random", "label": "random",
         "nodes": range(10), "safe_level": [0, 0, 30, 30, 30, 50, 50, 50, 70, 70]}
    )  # fmt: skip
    got = safe_level_correlations(frame)
    assert got["rho"].iloc[0] > 0.9
    assert got["rho_given_acc"].isna().all()


def test_strongest_lists_only_the_pairs_computed() -> None:
    """A cell gets rows for its own properties only (none borrowed from another cell)."""
    correlations = pd.DataFrame(
        {"cell": ["gru", "gru", "lstm"], "tag": "magnitude", "label": "magnitude",
         "property": ["nodes", "edges", "density"], "graphs": 10, "rho": [0.5, -0.2, 0.4],
         "p": 0.1, "rho_given_acc": [0.1, float("nan"), -0.3]}
    )  # fmt: skip
    table = strongest(correlations)
    assert sorted(zip(table["cell"], table["property"])) == [
        ("gru", "edges"), ("gru", "nodes"), ("lstm", "density")
    ]  # fmt: skip
    assert list(table["property"][table["cell"] == "gru"]) == ["nodes", "edges"]  # by |ρ|
    assert table.set_index("property").loc["density", "magnitude | acc"] == -0.3
