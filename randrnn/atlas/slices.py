"""What an atlas export publishes, checked: the slices of a study and the runs each should hold.

A *slice* is one task under one training config. The runs it should hold follow what the study
was asked for: each train-all records its request (cells, assignment, replicates;
`randrnn.training.assignment`), so a split study expects each graph with its own cell only,
and a replicate that was asked for but never trained is missing. For a study trained before
requests were recorded, the expectation is inferred from its runs of any status
(`inferred_runs`): a replicate level or a graph of which no run was ever started cannot be seen
there. Each problem is one line (`RandRNNError`): runs that failed or are still in flight, a task
trained under more than one config, a slice with runs missing (``partial`` exports it anyway and
names every missing run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from randrnn.analysis.table import resolve_config
from randrnn.atlas import layout
from randrnn.errors import RandRNNError
from randrnn.store import Study
from randrnn.tasks.registry import DEFAULT_TASK
from randrnn.training.assignment import Expected, expected_runs, recorded_requests

UNFINISHED = ("failed", "running", "interrupted", "pending")


@dataclass
class Slice:
    """One task under one config: what it should hold and what it lacks."""

    task: str
    config_hash: str
    config: dict
    cells: list[str]
    replicates: int
    graphs: int
    runs: int = 0
    expected: int = 0
    missing: list[str] = field(default_factory=list)  # run ids
    absent_replicates: list[int] = field(default_factory=list)  # levels with no finished run
    requests: list[dict] = field(default_factory=list)  # recorded train-all requests, if any

    def describe(self) -> dict:
        return {"task": self.task, "config_hash": self.config_hash, "config": self.config,
                "cells": self.cells, "replicates": self.replicates, "graphs": self.graphs,
                "runs": self.runs, "expected": self.expected, "missing": self.missing,
                "absent_replicates": self.absent_replicates, "requests": self.requests}  # fmt: skip


def task_of(config: dict) -> str:
    """The task a training config trains (the default task where it names none)."""
    return str(config.get("task") or DEFAULT_TASK)


def inferred_runs(graph_ids: list[int], runs: list[dict]) -> Expected:
    """The runs an unrecorded request most likely asked for, from the runs it left (any
    status): replicates 0 .. the highest seen, and every graph with every cell seen, or, where
    several cells ran and each graph ran only one (a split), each graph with its own cell."""
    if not runs:
        return set()
    replicates = max(r["replicate"] for r in runs) + 1
    by_graph: dict[int, set[str]] = {}
    for r in runs:
        by_graph.setdefault(r["graph_id"], set()).add(r["cell"])
    cells = set().union(*by_graph.values())
    if len(cells) > 1 and all(len(mine) == 1 for mine in by_graph.values()):
        pairs = {(g, c) for g, mine in by_graph.items() for c in mine}
    else:
        pairs = {(g, c) for g in graph_ids for c in cells}
    return {(g, c, k) for g, c in pairs for k in range(replicates)}


def expected_of(graph_ids: list[int], requests: list[dict], runs: list[dict]) -> Expected:
    """The (graph, cell, replicate) a config should hold: its recorded ``requests``' runs, and
    for cells no request names, `inferred_runs` from ``runs`` (the config's runs of any status
    and every cell)."""
    named = {c for req in requests for c in req["cells"]}
    rest = [r for r in runs if r["cell"] not in named]
    return expected_runs(graph_ids, requests) | inferred_runs(graph_ids, rest)


def select_slices(
    study: Study,
    tasks: list[str] | None,
    cells: list[str] | None,
    config: str | None,
    partial: bool,
) -> tuple[list[Slice], list[dict]]:
    """The slices to export and their done runs; one-line errors for what cannot be exported."""
    every = study.runs()
    picked = [r for r in every if (not tasks or task_of(r["config"]) in tasks)
              and (not cells or r["cell"] in cells)]  # fmt: skip
    done = [r for r in picked if r["status"] == "done"]
    _check_asked(done, tasks, cells)
    chosen, configs = _chosen_configs(done, config)
    bad = [r for r in picked if r["status"] in UNFINISHED and r["config_hash"] in chosen.values()]
    if bad and not partial:
        first = bad[0]
        counts = ", ".join(
            f"{n} {status}" for status, n in Counter(r["status"] for r in bad).items()
        )
        raise RandRNNError(
            f"the study has {len(bad)} unfinished run(s) ({counts}; first: graph"
            f" {first['graph_id']} {first['cell']} r{first['replicate']}): run train-all again to"
            " finish them, or export with --partial"
        )
    graph_ids = study.graph_ids()
    slices, runs = [], []
    for task in sorted(chosen):
        h = chosen[task]
        mine = [r for r in done if r["config_hash"] == h]
        requests = recorded_requests(study, h)
        want = expected_of(graph_ids, requests, [r for r in every if r["config_hash"] == h])
        have = {(r["graph_id"], r["cell"], r["replicate"]) for r in mine}
        want = {w for w in want if not cells or w[1] in cells} | have
        found = _slice(task, h, configs[task][h], want, have, len(graph_ids), requests)
        if found.missing and not partial:
            raise RandRNNError(_incomplete(found))
        slices.append(found)
        runs += mine
    return slices, runs


def _slice(
    task: str,
    h: str,
    config: dict,
    want: Expected,
    have: Expected,
    graphs: int,
    requests: list[dict],
) -> Slice:
    replicates = max(k for _, _, k in want) + 1
    trained = {k for _, _, k in have}
    return Slice(task, h, config, sorted({c for _, c, _ in want}), replicates, graphs,
                 runs=len(have), expected=len(want),
                 missing=[layout.run_id(task, c, g, k) for g, c, k in sorted(want - have)],
                 absent_replicates=[k for k in range(replicates) if k not in trained],
                 requests=requests)  # fmt: skip


def _incomplete(s: Slice) -> str:
    """The one line of a slice with runs missing, naming replicate levels never trained."""
    never = ""
    if s.absent_replicates:
        levels = ", ".join(map(str, s.absent_replicates))
        never = f" replicate {levels} of {s.replicates} never trained;"
    return (
        f"slice {s.task} is incomplete:{never} {len(s.missing)} of {s.expected} runs missing"
        f" (first: {s.missing[0]}); finish it with train-all, or export with --partial"
    )


def _check_asked(done: list[dict], tasks: list[str] | None, cells: list[str] | None) -> None:
    """One line for a task or cell asked for that has no finished run, or for no run at all."""
    for names, key, what in ((cells, lambda r: r["cell"], "cell"),
                             (tasks, lambda r: task_of(r["config"]), "task")):  # fmt: skip
        absent = sorted(set(names or ()) - {key(r) for r in done})
        if absent:
            raise RandRNNError(f"the study has no finished runs of {what}(s) {', '.join(absent)}")
    if not done:
        raise RandRNNError("the study has no finished runs to export")


def _chosen_configs(
    done: list[dict], config: str | None
) -> tuple[dict[str, str], dict[str, dict[str, dict]]]:
    """Each task's config hash to export (``config``: a hash or unique prefix, where a task has
    several), and every task's configs by hash."""
    by_task: dict[str, dict[str, dict]] = {}
    for r in done:
        by_task.setdefault(task_of(r["config"]), {})[r["config_hash"]] = r["config"]
    chosen: dict[str, str] = {}
    for task, configs in by_task.items():
        if config is not None:
            try:
                chosen[task] = resolve_config(config, list(configs))
            except RandRNNError as exc:
                raise RandRNNError(f"task {task}: {exc}") from None
        elif len(configs) > 1:
            raise RandRNNError(
                f"task {task} has runs under {len(configs)} configs ({', '.join(sorted(configs))}):"
                " export one with --config HASH (randrnn results --configs lists them)"
            )
        else:
            chosen[task] = next(iter(configs))
    return chosen, by_task
