"""Tiny data and a tiny trained pruning study shared by the pruning tests."""

from __future__ import annotations

import pandas as pd
import pytest

from randrnn import reber


@pytest.fixture(scope="session")
def tiny_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded 400-string Reber data set (train 300, test 100)."""
    return reber.make_dataset(n=400, seed=3, test_fraction=0.25)
