"""The options of one analysis (the report's), as one frozen value passed whole.

Like nanoGPT's ``GPTConfig``: defaults with a comment each, and recorded beside the result (the
report's provenance lists `AnalysisConfig.shown`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from randrnn.analysis.table import DEFAULT_TARGET


@dataclass(frozen=True)
class AnalysisConfig:
    """What the analysis explains, and how hard it tries."""

    target: str = DEFAULT_TARGET  # the column explained by the graph properties
    cv: int = 5  # folds of the prediction CV (a cell with fewer than 2 × cv graphs: graphs // 2)
    repeats: int = 2  # repeats of that cross-validation
    top: int = 3  # strongest properties plotted per cell
    seed: int = 0  # seed of the folds, the models and the bootstrap
    config: str | None = None  # the training config analysed (hash or prefix); None: the only one
    per_run: bool = False  # one row per run instead of each graph's mean over its replicates

    def shown(self) -> dict[str, object]:
        """The options as the report's provenance lists them (an unset config: 'the only one')."""
        return {**asdict(self), "config": self.config or "the only one"}


@dataclass(frozen=True)
class PredictConfig:
    """What `randrnn predict` computes for a table (`randrnn.analysis.predict_study.run`)."""

    target: str = DEFAULT_TARGET  # the column predicted from the graph properties
    regressor: str | None = None  # 'all' or comma-separated; None: all (random_forest with
    # graph_file or importance)
    protocol: str = "cv"  # cv: repeated K-fold; thesis: one 90/10 split, random_state 7
    cv: int | None = None  # folds; None: min(10, graphs // 2) per cell
    repeats: int = 5  # repeats of the K-fold cross-validation
    feature_set: str = "all"  # a key of `predict.FEATURE_SETS`
    features: str | None = None  # comma-separated columns instead of the feature set
    importance: bool = False  # feature importances instead of scores
    graph_file: Path | None = None  # predict this graph's target instead of scoring
    seed: int = 0  # seed of the folds and the models
    per_run: bool = False  # rows are runs (the noise ceiling is then of one run)
    curve_epochs: int | None = None  # add the first K epochs' curve columns to the features
