"""`randrnn report`: one self-contained HTML page (figures embedded) plus the PNG figures.

The page is a list of sections (`sections.SECTIONS`, one module each: ``compute`` a plain value
from the study, ``render`` it as elements), rendered by one small Jinja2 template per kind of
element (``templates/``). It opens with a summary a researcher reads in a minute (per cell:
mean accuracy against the trivial baselines, the strongest correlates, the best regressor's
pooled out-of-fold R² against the Dummy's and the noise ceiling, pruning's safe levels) and the
alerts; then accuracy by generator, the best and the worst graph per cell drawn layer by layer,
the seed noise, accuracy against the strongest properties, the correlation heatmap, the
prediction table, the thesis' published tables beside this study's (Reber task), pruning
(`randrnn.pruning.report.report_section`), and last the data set with its trivial baselines and
the provenance.

The rows are each graph's mean over its seed replicates (``per_run``: one row per run), of one
training config per cell (`randrnn.analysis.table.load_study`). Every number is computed in
`randrnn.analysis` as a frame; the sections only draw and write them. The options are one
`AnalysisConfig`, listed in the provenance; a section that cannot be computed says so in one
line under its title, never a silent blank. Runs trained otherwise than the thesis get a
visible note beside its numbers; a missing value shows as — with a line saying why.

A study of several tasks gets a section "Tasks" after the summary (per task and cell side by
side) and one correlation heatmap with a column per task and cell; then the sections per task,
titled with the task.
"""

from __future__ import annotations

import importlib

# The public names and the module of each, imported when first asked for, so that the package
# itself imports nothing and its sections can import each other without a cycle through it.
_NAMES = {
    "write_report": "build",
    "config_frame": "configs",
    "protocol_differences": "configs",
    "protocol_note": "configs",
    "run_configs": "configs",
    "read_meta": "context",
    "subsample": "dataset",
}
__all__ = ["config_frame", "protocol_differences", "protocol_note", "read_meta", "run_configs",
           "subsample", "write_report"]  # fmt: skip


def __getattr__(name: str) -> object:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
