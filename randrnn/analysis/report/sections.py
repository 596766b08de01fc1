"""The report's sections, in page order: the one list to extend. A section is a module with
``compute(context) -> a plain value`` and ``render(value, figures) -> elements``; an entry here
puts it on the page. ``per_task`` entries read a `TaskContext` and appear once per task (a run
of them repeats as a block, titled with the task when the study has several); the others read
the `StudyContext`. ``when`` leaves a section out where it does not apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from randrnn.analysis.report import (
    accuracy,
    correlation,
    dataset,
    drawings,
    prediction,
    provenance,
    pruning,
    seednoise,
    strongest,
    summary,
    tasks,
    thesis_comparison,
)


def always(ctx: object) -> bool:
    return True


def several(ctx) -> bool:
    return ctx.several


def has_runs(ctx) -> bool:
    """A pruning-only study has no rows for the structure sections."""
    return not ctx.df.empty


def reber_runs(ctx) -> bool:
    """The thesis' numbers are compared for the Reber task only."""
    return has_runs(ctx) and ctx.thesis_too


def data_set(ctx):
    return ctx.dataset


@dataclass(frozen=True)
class Kind:
    """One section: its title, how it is computed and rendered, where it applies."""

    title: str
    compute: Callable
    render: Callable
    per_task: bool = False
    when: Callable[[object], bool] = always


SECTIONS: tuple[Kind, ...] = (
    Kind(summary.TITLE, summary.compute, summary.render),
    Kind(tasks.TITLE, tasks.compute, tasks.render, when=several),
    Kind(
        f"{correlation.TITLE} · {tasks.ALL_TASKS}",
        tasks.compute_correlation,
        tasks.render_correlation,
        when=several,
    ),
    Kind(accuracy.TITLE, accuracy.compute, accuracy.render, True, has_runs),
    Kind(drawings.TITLE, drawings.compute, drawings.render, True, has_runs),
    Kind(seednoise.TITLE, seednoise.compute, seednoise.render, True, has_runs),
    Kind(strongest.TITLE, strongest.compute, strongest.render, True, has_runs),
    Kind(correlation.TITLE, correlation.compute, correlation.render, True, has_runs),
    Kind(prediction.TITLE, prediction.compute, prediction.render, True, has_runs),
    Kind(
        thesis_comparison.TITLE,
        thesis_comparison.compute,
        thesis_comparison.render,
        True,
        reber_runs,
    ),
    Kind(pruning.TITLE, pruning.compute, pruning.render),
    Kind(dataset.TITLE, data_set, dataset.render, True),
    Kind(provenance.TITLE, provenance.compute, provenance.render),
)
