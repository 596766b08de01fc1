"""What the sections read: the study's values (`StudyContext`) and, per task, the analysis of its
runs (`TaskContext`), each computed once, when a section first asks for it."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from randrnn.analysis import correlate as corr
from randrnn.analysis import noise, table
from randrnn.analysis import predict as pred
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import dataset
from randrnn.analysis.report.elements import Figures
from randrnn.errors import RandRNNError
from randrnn.store import DB_NAME, Study
from randrnn.tasks.registry import DEFAULT_TASK


def read_meta(study: Study) -> dict:
    """Every meta key of the study, read through a separate read-only connection."""
    uri = f"file:{(study.path / DB_NAME).resolve()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM meta ORDER BY key")]
    return {key: study.get_meta(key) for key in keys}


@dataclass
class Scores:
    """The regressors' scores per cell (`predict.score_cells`) and the lines about them."""

    cv: pd.DataFrame
    thesis: pd.DataFrame
    notes: list[str]


@dataclass
class TaskContext:
    """The runs of one task and what the sections compute from them.

    ``task``: the task's spec, None for a study of only the Reber task (analysed as before
    tasks existed); ``name``: the title suffix when the study has several tasks ('' if not).
    """

    study: Study
    meta: dict
    options: AnalysisConfig
    runs: pd.DataFrame
    configs: dict[str, dict]
    figures: Figures
    task: str | None = None
    name: str = ""
    data: str | Path | None = None

    @cached_property
    def df(self) -> pd.DataFrame:
        """The rows analysed: each graph's mean over its replicates (or one per run)."""
        if self.runs.empty or self.options.per_run:
            return self.runs
        return table.per_graph(self.runs)

    @property
    def target(self) -> str:
        return self.options.target

    @property
    def thesis_too(self) -> bool:
        """The thesis' numbers are of the Reber task: compared for it only."""
        return self.task in (None, DEFAULT_TASK)

    @cached_property
    def dataset(self) -> dataset.DataSet:
        return dataset.compute(self.meta, self.data, self.configs, self.task)

    @property
    def baselines(self) -> dict[str, dict[str, float]]:
        """Per cell, each trivial baseline's accuracy on the strings its runs saw."""
        return self.dataset.by_cell

    @cached_property
    def correlations(self) -> pd.DataFrame:
        """`correlate.correlate` over the properties (``params_<cell>`` left to `correlate`:
        exact functions of the layer sizes)."""
        props = [f for f in table.default_features(self.df, self.target)
                 if not f.startswith("params_")]  # fmt: skip
        return corr.correlate(self.df, self.target, features=props, seed=self.options.seed)

    @cached_property
    def scores(self) -> Scores:
        o = self.options
        try:
            cv_res, th_res, notes = pred.score_cells(
                self.df, self.target, cv=o.cv, repeats=o.repeats, seed=o.seed
            )
        except RandRNNError as exc:  # shown in the prediction section, the rest is written
            cv_res, th_res, notes = pred.concat([]), pred.concat([]), [f"Not predicted: {exc}"]
        if not self.thesis_too and "thesis_r2" in cv_res:  # thesis: reber only
            cv_res = cv_res.assign(thesis_r2=math.nan)
        return Scores(cv_res, th_res, notes)

    @cached_property
    def seeds(self) -> pd.DataFrame | None:
        """`noise.of_runs`: the seed noise per cell, None without replicates."""
        return noise.of_runs(self.runs, self.target)

    @cached_property
    def pairs(self) -> pd.DataFrame | None:
        return noise.replicate_pairs(self.runs, self.target) if self.seeds is not None else None

    @cached_property
    def ceilings(self) -> dict[str, tuple[float, str]]:
        return noise.ceilings(self.seeds, self.options.per_run) if self.seeds is not None else {}


@dataclass
class StudyContext:
    """The study, the options, and a `TaskContext` per task of its runs."""

    study: Study
    meta: dict
    options: AnalysisConfig
    runs: pd.DataFrame
    configs: dict[str, dict]  # per cell (per 'task · cell' with several tasks), for provenance
    figures: Figures
    tasks: list[TaskContext] = field(default_factory=list)

    @property
    def df(self) -> pd.DataFrame:
        """All rows analysed (every task)."""
        if self.runs.empty or self.options.per_run:
            return self.runs
        return table.per_graph(self.runs)

    @property
    def several(self) -> bool:
        return len(self.tasks) > 1
