"""The task registry: every task by name, and the task spec that names a task with its negatives.

A *task spec* is the task's name, or ``name:negatives`` for a kind of negatives other than the
task's default: ``reber`` (thesis negatives), ``reber:hard``, ``tomita-4``, ``tomita-4:edit``.
It is what a run's config records (`TrainConfig.task`) and what the analysis groups by.

Importing this module loads no numerical library, so help texts may list the names.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from randrnn.errors import RandRNNError, check_name
from randrnn.tasks import anbn, dyck, reber, tomita
from randrnn.tasks.task import Task

TASKS: Mapping[str, Task] = MappingProxyType(
    {t.name: t for t in (*reber.TASKS, *tomita.TASKS, *dyck.TASKS, *anbn.TASKS)}
)
DEFAULT_TASK = "reber"


def get_task(name: str) -> Task:
    """The task registered under ``name``; an unknown name lists the known ones."""
    return TASKS[check_name("task", name.strip(), TASKS)]


def parse_spec(spec: str, negatives: str | None = None) -> tuple[Task, str]:
    """(task, negative kind) of a spec ``name`` or ``name:negatives``; ``negatives`` (e.g. from
    ``--negatives``) may give the kind instead, but must not contradict the spec."""
    name, _, kind = spec.strip().partition(":")
    task = get_task(name)
    kind, negatives = kind.strip() or None, (negatives or "").strip() or None
    if kind and negatives and kind != negatives:
        raise RandRNNError(f"task '{spec}' names negatives {kind}, but --negatives is {negatives}")
    kind = kind or negatives or task.default_negatives
    check_name("negatives", kind, task.negatives, f"for task {task.name}")
    return task, kind


def spec(task: str, negatives: str | None = None) -> str:
    """The canonical spec: the name alone for the default negatives, else ``name:negatives``."""
    t, kind = parse_spec(task, negatives)
    return t.name if kind == t.default_negatives else f"{t.name}:{kind}"


def check_spec(value: str | None) -> str | None:
    """``value`` if it names a known task (and known negatives); for option callbacks."""
    if value is not None:
        parse_spec(value)
    return value
