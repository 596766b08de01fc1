"""Which runs a study is asked for: the (graph, cell) assignment, and the requests it records.

Every train-all records its request in the study (meta ``train_requests``: per config hash, each
distinct request's cells in the order given, assignment, replicates and split group), so that a
reader (the atlas export) knows the runs the study should hold, not only those it holds: a
replicate that was asked for and never trained, or the graphs a split gives to each cell.
A study trained before requests were recorded has none (`recorded_requests` is empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from randrnn.errors import check_name
from randrnn.store import Study

ASSIGNMENTS = ("all", "split")
REQUESTS = "train_requests"  # the study meta key: {config_hash: [request, ...]}

Expected = set[tuple[int, str, int]]  # (graph, cell, replicate)


def assigned_cells(
    graph_ids: Sequence[int], cells: Sequence[str], assign: str, group: int = 1
) -> dict[int, list[str]]:
    """Which cells each graph is trained with.

    ``all``: every graph with every cell (paired: cells can be compared graph by graph).
    ``split``: each graph with one cell, as the thesis did; graph k in id order goes to
    ``cells[(k // group) % len(cells)]``, so with ``group`` = the number of generators used in
    turn, every cell gets the same mix of generators.
    """
    check_name("assignment", assign, ASSIGNMENTS)
    ordered = sorted(graph_ids)
    if assign == "all":
        return {gid: list(cells) for gid in ordered}
    return {gid: [cells[(k // max(group, 1)) % len(cells)]] for k, gid in enumerate(ordered)}


def split_group(study: Study) -> int:
    """The ``group`` of a split assignment in this study: its number of generators (at least 1)."""
    return len(study.get_meta("generators", []) or []) or 1


def record_request(
    study: Study, config_hash: str, cells: Sequence[str], assign: str, replicates: int
) -> dict:
    """Record a train-all request under its config hash (once: a resumed train-all asks the
    same) and return it: ``cells``, ``assign``, ``replicates``, ``group``."""
    request = {"cells": list(cells), "assign": assign, "replicates": int(replicates),
               "group": split_group(study)}  # fmt: skip
    with study.transaction():
        requests = study.get_meta(REQUESTS, {}) or {}
        mine = requests.setdefault(config_hash, [])
        if request not in mine:
            mine.append(request)
            study.set_meta(REQUESTS, requests)
    return request


def recorded_requests(study: Study, config_hash: str) -> list[dict]:
    """The requests recorded for a config hash, oldest first (empty for an older study)."""
    return list((study.get_meta(REQUESTS, {}) or {}).get(config_hash, []))


def expected_runs(graph_ids: Sequence[int], requests: Iterable[dict]) -> Expected:
    """Every (graph, cell, replicate) the requests ask for, over today's graphs."""
    out: Expected = set()
    for req in requests:
        assigned = assigned_cells(graph_ids, req["cells"], req["assign"], req.get("group", 1))
        out |= {(gid, cell, k) for gid, cells in assigned.items() for cell in cells
                for k in range(req["replicates"])}  # fmt: skip
    return out
