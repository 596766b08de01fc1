"""Section "Provenance": versions, the study, the runs analysed, the report's options, every meta
key, the training configs of the runs, and the study file. Last on the page."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

import randrnn
from randrnn.analysis.report.configs import config_frame
from randrnn.analysis.report.context import StudyContext
from randrnn.analysis.report.elements import Details, Figures, Pre, frame_table

TITLE = "Provenance"


@dataclass(frozen=True)
class Provenance:
    items: pd.DataFrame  # item, value
    configs: pd.DataFrame  # one row per distinct training config (empty: no runs)
    study_file: str | None


def _meta_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def compute(ctx: StudyContext) -> Provenance:
    import sklearn

    study, df, options = ctx.study, ctx.df, ctx.options
    counts = study.run_counts()
    if df.empty:
        analysed = "0"
    elif options.per_run:
        analysed = f"{len(df)} runs (one row per run, --per-run)"
    else:
        analysed = f"{len(df)} (graph, cell) rows, each the mean over its replicates"
    libs = (platform.python_version(), np.__version__, pd.__version__, sklearn.__version__)
    rows = [
        ("randrnn version", randrnn.__version__),
        ("report date (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("study", str(study.path.resolve())),
        ("graphs", str(study.graph_count())),
        ("runs by status", ", ".join(f"{k} {v}" for k, v in counts.items())),
        ("rows analysed", analysed),
        ("finished runs analysed", str(len(ctx.runs))),
        ("python · numpy · pandas · scikit-learn", " · ".join(map(str, libs))),
        ("report options", ", ".join(f"{k}={v}" for k, v in options.shown().items())),
    ]
    meta = dict(ctx.meta)
    toml = meta.pop("study_toml", None)
    rows += [(f"meta: {key}", _meta_text(value)) for key, value in meta.items()]
    configs = config_frame(ctx.configs) if ctx.configs else pd.DataFrame()
    return Provenance(pd.DataFrame(rows, columns=["item", "value"]), configs,
                      None if toml is None else str(toml))  # fmt: skip


def render(found: Provenance, figures: Figures) -> tuple:
    parts: list = [frame_table(found.items)]
    if len(found.configs):
        parts.append(frame_table(found.configs, "training config of the runs analysed",
                                 "not recorded with these runs"))  # fmt: skip
    if found.study_file:
        parts.append(Details("study file", (Pre(found.study_file),), open=True))
    return tuple(parts)
