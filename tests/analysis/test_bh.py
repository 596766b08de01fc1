"""Benjamini–Hochberg q-values are SciPy's `false_discovery_control` on the p-values that exist:
a constant property (p NaN) is not counted as a test, so it does not inflate the others' q."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from randrnn.analysis.correlate import bh, correlate


def _expected(p: np.ndarray) -> np.ndarray:
    """q by SciPy over the non-NaN entries only; NaN where p is NaN."""
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def test_hand_worked_example() -> None:
    """p = (0.01, 0.04, NaN, 0.03): m = 3 tests, q = (0.03, 0.04, NaN, 0.04) by hand
    (sorted 0.01·3/1, 0.03·3/2 = 0.045, 0.04·3/3 = 0.04; then the running minimum from the top)."""
    q = bh([0.01, 0.04, np.nan, 0.03])
    np.testing.assert_allclose(q, [0.03, 0.04, np.nan, 0.04], rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_q_is_scipy_on_the_non_nan_p_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 23) ** 2
    p[rng.choice(23, size=4, replace=False)] = np.nan
    q = bh(p)
    np.testing.assert_allclose(q, _expected(p), rtol=1e-12)
    assert np.array_equal(np.isnan(q), np.isnan(p))


def test_all_nan_stays_nan() -> None:
    assert np.isnan(bh([np.nan, np.nan])).all()


def test_correlate_corrects_over_the_properties_with_a_p_value() -> None:
    """In a cell with a constant property, each method's q column is SciPy's BH over the other
    properties' p-values, and the constant property's q is NaN."""
    rng = np.random.default_rng(4)
    n = 40
    x = rng.normal(size=(n, 4))
    df = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    df["constant"] = 3.0
    df["test_acc"] = 0.5 + 0.05 * x[:, 0] + 0.02 * x[:, 1] + rng.normal(0, 0.05, n)
    df["cell"] = "gru"
    df["graph_id"] = range(n)
    result = correlate(df, features=["a", "b", "c", "d", "constant"])
    for method in ("pearson", "spearman", "kendall"):
        p = result[f"{method}_p"].to_numpy(dtype=float)
        assert np.isnan(p).sum() == 1
        np.testing.assert_allclose(result[f"{method}_q"].to_numpy(dtype=float), _expected(p),
                                   rtol=1e-12)  # fmt: skip
        row = result[result["property"] == "constant"].iloc[0]
        assert np.isnan(row[f"{method}_q"])
