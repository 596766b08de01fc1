"""The design of one prediction, built once: per cell the feature matrix X, the target y, the
graph of each row (groups), the graphs themselves when a predictor reads them, and the fold plan.

Every predictor — the property regressors and the graph-reading ones — consumes a `Design`, so
every predictor of a cell is scored on the very same folds (`Design.splits`); the target and
the features it reads were checked once before (`randrnn.analysis.request.parse`). A table with several rows per graph (one per seed
replicate, ``--per-run``) is split by graph, so no graph's runs are on both sides of a split.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedKFold

from randrnn.analysis import table
from randrnn.analysis.graph_input import GRAPH, GraphInput, encode_rows, study_graphs
from randrnn.errors import RandRNNError, check_name
from randrnn.graphs.properties import EXTRAS, FEATURES

MAX_FOLDS = 10  # folds when not given: min(MAX_FOLDS, graphs // 2), at least two per test fold
_SIZE = ["nodes", "edges", "source_nodes", "sink_nodes"]
FEATURE_SETS: dict[str, list[str]] = {
    "all": list(FEATURES),  # the thesis' 23
    "extended": [*FEATURES, *EXTRAS],
    "nodes-edges": _SIZE,
    "no-nodes-edges": [f for f in FEATURES if f not in _SIZE],
    "variances": [f for f in FEATURES if f.endswith("_var")],
}


def select_features(
    df: pd.DataFrame,
    target: str = table.DEFAULT_TARGET,
    feature_set: str = "all",
    features: Sequence[str] | str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The feature columns to use: an explicit list, else the named set's columns present;
    then ``extra`` (the learning-curve columns), all checked at once."""
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    if features:
        return table.check_features(df, [*features, *extra], target)
    check_name("feature set", feature_set, FEATURE_SETS)
    present = [f for f in FEATURE_SETS[feature_set] if f in df.columns]
    if not present and feature_set == "all":
        present = table.default_features(df, target)
    if not present:
        raise RandRNNError(
            f"{df.attrs.get('source', 'table')} has none of the '{feature_set}' features "
            f"({', '.join(FEATURE_SETS[feature_set])}); pick columns with --features"
        )
    return table.check_features(df, [*present, *extra], target)


def _complete(rows: pd.DataFrame, target: str, features: Sequence[str]) -> pd.Series:
    return rows[[*features, target]].notna().all(axis=1)


def xy(rows: pd.DataFrame, target: str, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and target of the rows with no missing value among them."""
    data = rows.loc[_complete(rows, target, features), [*features, target]]
    return data[list(features)].to_numpy(dtype=float), data[target].to_numpy(dtype=float)


def graph_groups(rows: pd.DataFrame, target: str, features: Sequence[str]) -> np.ndarray | None:
    """The graph id of each row ``xy`` keeps, when some graph has several rows (per-run tables).

    Folds then split graphs, so the runs of one graph never sit on both sides of a split (its
    other run would leak the answer). None when every row is its own graph.
    """
    if GRAPH not in rows.columns:
        return None
    ids = rows.loc[_complete(rows, target, features), GRAPH].to_numpy()
    return ids if len(np.unique(ids)) < len(ids) else None


def graph_count(rows: pd.DataFrame) -> int:
    """What prediction folds split: graphs (a per-run table has several rows per graph)."""
    return rows[GRAPH].nunique() if GRAPH in rows.columns else len(rows)


def choose_folds(units: int, cv: int | None, most: int = MAX_FOLDS) -> int:
    """``cv`` if given, else min(``most``, units // 2): every test fold holds two graphs at
    least (the K-fold a pilot study can afford, instead of an error)."""
    return cv if cv is not None else max(2, min(most, units // 2))


def splits(
    n: int, cv: int, repeats: int, seed: int, groups: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of repeated K-fold; with ``groups``, K-fold over the groups."""
    if cv < 2 or repeats < 1:
        raise RandRNNError(
            f"--cv must be at least 2 and --repeats at least 1 (got {cv}, {repeats})"
        )
    if groups is None:
        yield from RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed).split(
            np.zeros(n)
        )
        return
    ids = np.unique(groups)
    folds = RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
    for _, test_ids in folds.split(ids):
        test = np.isin(groups, ids[test_ids])
        yield np.flatnonzero(~test), np.flatnonzero(test)


@dataclass(frozen=True)
class Design:
    """One cell's rows ready to fit: property matrix ``X`` (columns ``features``), target
    ``y``, the graph id of each row (``graph_ids``, None for a table without graph ids), the
    groups folds keep together (`graph_groups`: None when every row is its own graph), the
    encoded graph of each row (``graphs``, only when a predictor reads them) and the fold plan:
    ``folds`` × ``repeats`` K-fold seeded by ``seed``."""

    cell: str
    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    graph_ids: np.ndarray | None
    groups: np.ndarray | None
    folds: int
    repeats: int
    seed: int
    graphs: tuple[GraphInput, ...] | None = None

    @property
    def units(self) -> int:
        """What the folds split: rows, or graphs when grouped."""
        return len(self.y) if self.groups is None else len(np.unique(self.groups))

    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (train, test) row positions of every fold, repeat by repeat."""
        return list(splits(len(self.y), self.folds, self.repeats, self.seed, self.groups))

    def inputs(self, reads: str, rows: np.ndarray | slice = slice(None)) -> object:
        """What a predictor that ``reads`` 'properties', 'graph' or 'both' gets for ``rows``:
        the property rows, the list of encoded graphs, or (property rows, graphs)."""
        if reads == "properties":
            return self.X[rows]
        if self.graphs is None:
            raise RandRNNError(f"the design of {self.cell} holds no graphs (with_graphs)")
        picked = [self.graphs[i] for i in np.arange(len(self.y))[rows]]
        return picked if reads == "graph" else (self.X[rows], picked)

    def fit_args(self, reads: str, rows: np.ndarray | slice = slice(None)) -> dict:
        """What else a predictor's ``fit`` gets for ``rows``: the graph-reading ones the graph of
        each row when a graph has several (``groups``), so that their inner splits (WL's inner
        CV, GIN's early-stopping split) keep its runs together; nothing otherwise."""
        if reads == "properties" or self.groups is None:
            return {}
        return {"groups": self.groups[rows]}


def _need_rows(
    n: int, need: int, why: str, cell: str, source: str, fix: str, grouped: bool = False
) -> None:
    """Too few rows for a method: say how many there are, how many it needs, and what to do."""
    if n >= need:
        return
    if source.startswith("study"):
        what = f"only {n} graphs with finished {table.cell_label(cell)} runs in {source}"
        todo = "generate more graphs and run randrnn train-all"
    else:
        unit = "graphs" if grouped else "rows"
        what = f"only {n} {unit}" + ("" if cell == table.ALL else f" for {cell}") + f" in {source}"
        todo = "add rows"
    raise RandRNNError(f"{what}; {why} needs at least {need}: {todo} (or {fix})")


def build(
    df: pd.DataFrame, *, target: str, features: Sequence[str], cell: str | None = None,
    cv: int | None = 10, repeats: int = 5, seed: int = 0,
    why: str = "{k}-fold CV", need: int | None = None, fix: str = "lower --cv",
) -> list[Design]:  # fmt: skip
    """The design of every cell (or of ``cell``) for a ``target`` and ``features`` already
    checked against ``df`` (`randrnn.analysis.request.parse`): ``choose_folds(graphs, cv)``
    folds per cell, after checking the cell has the graphs ``why`` needs (``need``, default two
    per fold); else one error line."""
    cols = list(features)
    source = df.attrs.get("source", "table")
    out = []
    for (name, _), rows in table.groups(df, cell=cell):
        X, y = xy(rows, target, cols)
        kept = _complete(rows, target, cols)
        ids = rows.loc[kept, GRAPH].to_numpy() if GRAPH in rows.columns else None
        groups = graph_groups(rows, target, cols)
        units = len(y) if groups is None else len(np.unique(groups))
        k = choose_folds(units, cv)
        _need_rows(units, need or 2 * k, why.format(k=k), name, source, fix, groups is not None)
        out.append(Design(name, X, y, tuple(cols), ids, groups, k, repeats, seed))
    return out


def with_graphs(
    designs: Sequence[Design],
    df: pd.DataFrame,
    why: str,
    graphs: Mapping[int, nx.Graph] | None = None,
) -> list[Design]:
    """The designs with each row's encoded graph: from ``graphs`` (graph id → graph) if given,
    else read from the table's study. ``why`` names the predictors that need them (errors)."""
    if not designs:
        return []
    if any(d.graph_ids is None for d in designs):
        raise RandRNNError(
            f"{why}: predicting from the graph itself needs a {GRAPH} column, and the table has none"
        )
    if graphs is None:
        ids = np.unique(np.concatenate([d.graph_ids for d in designs]))
        graphs = study_graphs(df, ids.tolist(), why)
    return [replace(d, graphs=tuple(encode_rows(d.graph_ids, graphs))) for d in designs]
