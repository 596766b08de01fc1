"""The folds a `Design` hands out keep each graph's runs on one side: with seed replicates
(a per-run table) no graph_id is in both the train and the test rows of any fold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from randrnn.analysis import design, table
from tests.analysis.conftest import make_study


@pytest.fixture(scope="module")
def per_run(tmp_path_factory) -> pd.DataFrame:
    path = make_study(Path(tmp_path_factory.mktemp("folds")) / "s", n_graphs=20, replicates=3)
    return table.load_study(path, per_run=True)


def _checked(df: pd.DataFrame) -> dict:
    """The target and features `design.build` takes, checked as `request.parse` checks them."""
    table.check_target(df, table.DEFAULT_TARGET)
    return {
        "target": table.DEFAULT_TARGET,
        "features": table.default_features(df, table.DEFAULT_TARGET),
    }


def test_the_table_has_replicates(per_run) -> None:
    counts = per_run.groupby(["cell", "graph_id"]).size()
    assert (counts == 3).all()


@pytest.mark.parametrize("cv", [4, 5])
def test_no_graph_on_both_sides_of_a_fold(per_run, cv: int) -> None:
    """Every fold of every cell's design: train and test graph ids are disjoint, and each
    repeat tests every row exactly once."""
    designs = design.build(per_run, cv=cv, repeats=3, seed=1, **_checked(per_run))
    assert {d.cell for d in designs} == set(per_run["cell"])
    for d in designs:
        assert d.graph_ids is not None and len(d.graph_ids) == len(d.y)
        folds = d.splits()
        assert len(folds) == cv * 3
        tested = np.zeros((3, len(d.y)), dtype=int)
        for i, (train, test) in enumerate(folds):
            assert not set(d.graph_ids[train]) & set(d.graph_ids[test])
            assert len(train) + len(test) == len(d.y)
            tested[i // cv, test] += 1
        assert (tested == 1).all()


def test_rows_with_a_missing_value_do_not_shift_the_groups(per_run) -> None:
    """A row dropped for a missing feature leaves the remaining rows' graphs in step."""
    df = per_run.copy()
    first = df.index[df["cell"] == df["cell"].iloc[0]][0]
    df.loc[first, "nodes"] = np.nan
    (d,) = design.build(df, cv=4, repeats=2, seed=0, cell=df.loc[first, "cell"], **_checked(df))
    assert len(d.y) == (df["cell"] == df.loc[first, "cell"]).sum() - 1
    for train, test in d.splits():
        assert not set(d.graph_ids[train]) & set(d.graph_ids[test])
