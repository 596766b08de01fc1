"""What one `randrnn predict` asks for, parsed and checked once, at the edge, against its table.

`PredictConfig` holds the options as the user typed them (comma-separated text, a feature-set
name); `parse` turns them into a `Request`: the predictor names validated (their extras present),
the target checked, the feature columns chosen and checked, the folds, the seed. Everything after
(`design.build`, `predict.score`, `predict.importances`, `predict.predict_graph`) only reads it,
so a name is parsed once and the table is checked once per command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from randrnn.analysis import curvefeatures, predictors, table
from randrnn.analysis.config import PredictConfig
from randrnn.analysis.design import select_features
from randrnn.errors import RandRNNError, check_name

PROTOCOLS = ("cv", "thesis")
MODES = ("scores", "importance", "graph")
# What each mode fits when no --regressor is given.
DEFAULT_REGRESSORS = {"scores": "all", "importance": "random_forest", "graph": "random_forest"}


@dataclass(frozen=True)
class Request:
    """One prediction, checked: ``mode`` ('scores', 'importance' or 'graph': predict the graph in
    ``graph_file``), the predictors ``names``, the ``target`` and ``features`` columns (checked
    against the table), ``feature_set`` (the name shown: the set's, or 'custom' for a list), the
    ``protocol`` ('cv' outside scores), the folds (``cv`` None: chosen per cell), ``repeats``
    and ``seed``; ``per_run``: rows are runs; ``curve_epochs``: the learning-curve epochs among
    the features (None: none)."""

    mode: str
    names: tuple[str, ...]
    target: str
    features: tuple[str, ...]
    feature_set: str
    protocol: str = "cv"
    cv: int | None = None
    repeats: int = 5
    seed: int = 0
    per_run: bool = False
    graph_file: Path | None = None
    curve_epochs: int | None = None

    @property
    def readers(self) -> list[str]:
        """The predictors among ``names`` that read the graph itself."""
        return predictors.reads_graphs(self.names)


def parse(
    options: PredictConfig,
    df: pd.DataFrame,
    explain: Callable[[list[str], str, str], str | None] | None = None,
) -> Request:
    """``options`` checked against ``df`` (every row the command will analyse, all tasks): one
    error line for an unknown predictor or protocol, a predictor the mode cannot use, a missing
    or non-numeric target or feature. ``explain`` (columns, target, source) → a better error
    line for a missing target, or None (`table.check_target`)."""
    mode = (
        MODES[2] if options.graph_file is not None else MODES[1] if options.importance else MODES[0]
    )
    check_name("protocol", options.protocol, PROTOCOLS)
    names = predictors.parse(options.regressor or DEFAULT_REGRESSORS[mode])
    readers = predictors.reads_graphs(names)
    if mode == "importance":
        names = [n for n in names if n != "dummy"]
        if not names:
            raise RandRNNError("--importance needs a regressor other than dummy")
        if readers:
            raise RandRNNError(
                f"--importance ranks properties: {readers[0]} reads the graph instead"
            )
    elif mode == "scores" and options.protocol == "thesis" and readers:
        raise RandRNNError(
            f"--protocol thesis scores the property regressors, not {', '.join(readers)}"
        )
    table.check_target(df, options.target, explain)
    features, shown = _features(options, df)
    return Request(
        mode=mode,
        names=tuple(names),
        target=options.target,
        features=tuple(features),
        feature_set=shown,
        protocol=options.protocol if mode == "scores" else "cv",
        cv=options.cv,
        repeats=options.repeats,
        seed=options.seed,
        per_run=options.per_run,
        graph_file=options.graph_file,
        curve_epochs=options.curve_epochs,
    )


def _features(options: PredictConfig, df: pd.DataFrame) -> tuple[list[str], str]:
    """The feature columns and the name the tables show for them: an explicit list ('custom'),
    the curve columns alone (``--feature-set curve``, 'curve K'), or the set's columns with the
    curve columns after them ('SET + curve K') when ``curve_epochs`` is given."""
    k = options.curve_epochs
    if options.feature_set == curvefeatures.CURVE_SET and not options.features and k is None:
        raise RandRNNError("--feature-set curve needs --curve-epochs K (the epochs to read)")
    if k is None:
        chosen = select_features(df, options.target, options.feature_set, options.features)
        return chosen, "custom" if options.features else options.feature_set
    if options.graph_file is not None:
        raise RandRNNError("--curve-epochs: a graph file has no learning curve to read")
    curve = curvefeatures.require(df, k)
    if options.features:
        return select_features(df, options.target, features=options.features), "custom"
    if options.feature_set == curvefeatures.CURVE_SET:
        return select_features(df, options.target, features=curve), f"curve {k}"
    chosen = select_features(df, options.target, options.feature_set, extra=curve)
    return chosen, f"{options.feature_set} + curve {k}"
