"""Graphs designed to win: many seeded candidates scored, the best put into a study to train.

``design_into(study, scorer, candidates=10000, top=20, random=20, seed=0, ...)`` generates the
candidates with the study generators (`randrnn.graphs.generate`: candidate i is
``generate_graph(generators[i % len], i, stream(seed), nodes, params)``, so any candidate can
be made again alone; ``stream`` keeps the candidates apart from a study generated with the same
seed, such as the atlas' graphs), computes their properties, asks ``scorer`` for a score each and adds the ``top``
best-scored to the study (ties: the lower candidate index first), then ``random`` others drawn
with the seed from the rest: the control group, made by the same generators and scored the same
way but not chosen by the score. ``randrnn train-all`` then trains both groups alike.

A stored graph's generator is ``design:<generator>`` and its params are the generator's, plus
``candidate`` (its index), ``group`` ('designed' or 'random'), ``rank`` (1 = best score of all
candidates) and every column the scorer returned (``score`` and, from the atlas' scorer, the
predicted accuracy per cell). The study meta ``design`` records the settings; designing into a
study again with the same settings adds nothing, with others is refused.

The scorer is passed in (`randrnn.analysis.atlas_model` supplies the atlas' predictor through
the command): it gets the candidates' property dicts and generator names and returns a frame
with one row per candidate and a ``score`` column (higher is better).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.graphs.generate import check_settings, effective_overrides, generate_graph
from randrnn.graphs.properties import properties
from randrnn.store import Study

PREFIX = "design:"
GROUPS = ("designed", "random")
CHUNK = 100  # candidates per worker task
DESIGN_STREAM = 0xDE5  # mixed into the design seed (`stream`)
Scorer = Callable[[Sequence[Mapping[str, float]], Sequence[str]], pd.DataFrame]


@dataclass(frozen=True)
class Candidates:
    """Scored-to-be candidates in index order: each one's generator and properties (the graphs
    themselves are made again, from their seeds, for the few that are stored)."""

    seed: int
    nodes: tuple[int, int]
    params: dict[str, dict[str, Any]]
    generators: list[str]
    props: list[dict[str, float]]

    def record(self, index: int) -> dict[str, Any]:
        """Candidate ``index`` as `generate_graph` makes it, with its properties."""
        name = self.generators[index]
        record = generate_graph(name, index, stream(self.seed), self.nodes, self.params.get(name))
        return {**record, "properties": self.props[index]}


def stream(seed: int) -> int:
    """The study seed the candidates of design ``seed`` are generated with: derived, so that
    candidate i is not graph i of a study generated with ``seed`` (the atlas' own graphs)."""
    if seed < 0:
        raise RandRNNError(f"--seed must be >= 0, got {seed}")
    return int(np.random.SeedSequence([seed, DESIGN_STREAM]).generate_state(1, np.uint32)[0])


def _chunk(
    indices: range, seed: int, generators: Sequence[str], nodes: tuple[int, int],
    params: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, float]]:  # fmt: skip
    """The properties of candidates ``indices`` (what one worker computes)."""
    out = []
    for i in indices:
        name = generators[i % len(generators)]
        out.append(
            properties(generate_graph(name, i, stream(seed), nodes, params.get(name))["graph"])
        )
    return out


def candidates(
    n: int,
    seed: int,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: Sequence[int] = (10, 50),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    callbacks: Callbacks | None = None,
    workers: int = 1,
) -> Candidates:
    """Candidates 0..n-1 and their properties, in ``workers`` processes (progress events of
    stage 'candidates' per chunk of 100); the result does not depend on ``workers``."""
    if n < 1:
        raise RandRNNError(f"--candidates must be at least 1, got {n}")
    if workers < 1:
        raise RandRNNError(f"--workers must be at least 1, got {workers}")
    lo, hi = check_settings(generators, nodes, params)
    params = {k: dict(v) for k, v in (params or {}).items()}
    callbacks = callbacks or Callbacks()
    chunks = [range(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]
    args = (seed, tuple(generators), (lo, hi), params)
    results: dict[int, list[dict[str, float]]] = {}
    callbacks.trigger_callback("progress", Progress(0, n, "candidates"))
    done = 0
    if workers == 1:
        for chunk in chunks:
            results[chunk.start] = _chunk(chunk, *args)
            done += len(chunk)
            callbacks.trigger_callback("progress", Progress(done, n, "candidates"))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(_chunk, chunk, *args): chunk for chunk in chunks}
            for future in as_completed(futures):
                chunk = futures[future]
                results[chunk.start] = future.result()
                done += len(chunk)
                callbacks.trigger_callback("progress", Progress(done, n, "candidates"))
    props = [p for start in sorted(results) for p in results[start]]
    names = [generators[i % len(generators)] for i in range(n)]
    return Candidates(seed, (lo, hi), params, names, props)


def ranking(scores: np.ndarray) -> np.ndarray:
    """Candidate indices best score first; equal scores in index order; NaN scores last."""
    values = np.asarray(scores, dtype=float)
    keyed = np.where(np.isnan(values), -np.inf, values)
    return np.lexsort((np.arange(len(values)), -keyed))


def pick(scores: np.ndarray, top: int, random: int, seed: int) -> tuple[list[int], list[int]]:
    """(the ``top`` best-scored candidates, best first; ``random`` others drawn uniformly
    with ``seed`` from the rest, in index order)."""
    n = len(scores)
    if top < 1:
        raise RandRNNError(f"--top must be at least 1, got {top}")
    if random < 0:
        raise RandRNNError(f"--random must be 0 or more, got {random}")
    if top + random > n:
        raise RandRNNError(
            f"--top {top} and --random {random} need {top + random} candidates, "
            f"--candidates gives {n}"
        )
    best = [int(i) for i in ranking(scores)[:top]]
    rest = np.setdiff1d(np.arange(n), best)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    drawn = sorted(int(i) for i in rng.choice(rest, size=random, replace=False))
    return best, drawn


@dataclass(frozen=True)
class Design:
    """What ``design_into`` did: the scored candidates (``scored``: one row per candidate,
    the scorer's columns, ``rank`` and ``group``, '' for those not stored), the graph ids
    stored per group (empty when the study already held this design) and the settings."""

    scored: pd.DataFrame
    ids: dict[str, list[int]]
    settings: dict[str, Any]


def design_into(
    study: Study,
    scorer: Scorer,
    *,
    candidates_n: int = 10000,
    top: int = 20,
    random: int = 0,
    seed: int = 0,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: Sequence[int] = (10, 50),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    label: Mapping[str, Any] | None = None,
    callbacks: Callbacks | None = None,
    workers: int = 1,
) -> Design:
    """Generate, score and store (see the module docstring). ``label`` describes the scorer
    (the atlas' checksum, task, cells) and is recorded with the settings."""
    lo, hi = check_settings(generators, nodes, params)
    settings = {
        "candidates": candidates_n, "top": top, "random": random, "seed": seed,
        "generators": list(generators), "nodes": [lo, hi],
        "generator_params": effective_overrides((lo, hi), params), "scorer": dict(label or {}),
    }  # fmt: skip
    stored = study.get_meta("design")
    if stored is not None and stored != settings:
        raise RandRNNError(
            f"study '{study.path}' already holds a design with other settings ({_differ(stored, settings)}); "
            "use another --study directory"
        )
    if stored is None and study.graph_count():
        raise RandRNNError(
            f"study '{study.path}' already holds {study.graph_count()} graphs; design into a new "
            "--study directory, so the study holds the designed and control graphs only"
        )
    pool = candidates(candidates_n, seed, generators, (lo, hi), params, callbacks, workers)
    scored = _scores(scorer, pool)
    best, drawn = pick(scored["score"].to_numpy(), top, random, seed)
    order = ranking(scored["score"].to_numpy())
    scored.insert(0, "candidate", np.arange(candidates_n))
    scored["rank"] = np.empty(candidates_n, dtype=int)
    scored.loc[order, "rank"] = np.arange(1, candidates_n + 1)
    scored["group"] = ""
    scored.loc[best, "group"] = GROUPS[0]
    scored.loc[drawn, "group"] = GROUPS[1]
    if stored is not None:  # the same design again: nothing to add
        return Design(scored, {g: [] for g in GROUPS}, settings)
    records = [_record(pool.record(i), scored.iloc[i]) for i in [*best, *drawn]]
    with study.transaction():
        study.set_meta("design", settings)
        ids = study.add_graphs(records)
    return Design(scored, {GROUPS[0]: ids[:top], GROUPS[1]: ids[top:]}, settings)


def _scores(scorer: Scorer, pool: Candidates) -> pd.DataFrame:
    """The scorer's frame, checked: one row per candidate, a numeric ``score`` column."""
    frame = pd.DataFrame(scorer(pool.props, pool.generators)).reset_index(drop=True)
    if "score" not in frame.columns or len(frame) != len(pool.props):
        raise RandRNNError(
            f"the scorer returned {len(frame)} rows ({', '.join(map(str, frame.columns))}); "
            f"it must return {len(pool.props)} rows with a 'score' column"
        )
    return frame


def _record(record: Mapping[str, Any], row: pd.Series) -> dict[str, Any]:
    """The study record of a chosen candidate: 'design:<generator>', the generator's params
    and the design's columns."""
    extra = {k: _plain(v) for k, v in row.items() if k not in record["params"]}
    return {
        "generator": PREFIX + record["generator"],
        "params": {**record["params"], **extra},
        "seed": record["seed"],
        "graph": record["graph"],
        "properties": record["properties"],
    }


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy numbers become Python's; NaN becomes None)."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def _differ(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    keys = [k for k in dict.fromkeys([*stored, *wanted]) if stored.get(k) != wanted.get(k)]
    return ", ".join(f"{k}={stored.get(k)} not {wanted.get(k)}" for k in keys)
