"""Seeded random-graph generators (SPEC §3), kept in one registry.

Every graph gets its own seed, derived from the study seed and the graph's index, so any graph
can be regenerated alone::

    >>> rec = generate_graph("ws", index=3, study_seed=7)
    >>> rec["params"]          # e.g. {'n': 27, 'k': 5, 'p': 1.0, 'tries': 10}
    >>> generate_graph("ws", 3, 7)["graph"].edges == rec["graph"].edges  # same graph again

The node count n is drawn uniformly from ``nodes[0]..nodes[1]`` (inclusive) with the graph's seed;
the generator then runs with that same seed. The defaults are the thesis' parameterisation; any
parameter (and n itself) can be overridden through ``params``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from randrnn.errors import RandRNNError

Params = dict[str, Any]


@dataclass(frozen=True)
class GeneratorSpec:
    """One generator: its thesis defaults for n nodes, a validity check and the builder."""

    name: str
    description: str
    defaults: Callable[[int], Params]  # n -> default parameters (without n)
    check: Callable[[Params], str | None]  # full params (with n) -> problem, or None if fine
    build: Callable[[Params, int], nx.Graph]  # (full params, seed) -> graph on nodes 0..n-1


# --- Watts–Strogatz ---------------------------------------------------------------------------


def _ws_check(p: Params) -> str | None:
    n, k = p["n"], p["k"]
    if not 2 <= k <= n:
        return f"k={k} must satisfy 2 <= k <= n (n={n}); the thesis uses k = n//5, so n >= 10"
    if not 0.0 <= p["p"] <= 1.0:
        return f"p={p['p']} must lie in [0, 1]"
    if p["tries"] < 1:
        return f"tries={p['tries']} must be >= 1"
    return None


def _ws_build(p: Params, seed: int) -> nx.Graph:
    return nx.connected_watts_strogatz_graph(p["n"], p["k"], p["p"], tries=p["tries"], seed=seed)


# --- Barabási–Albert --------------------------------------------------------------------------


def _ba_check(p: Params) -> str | None:
    n, m = p["n"], p["m"]
    if not 1 <= m < n:
        return f"m={m} must satisfy 1 <= m < n (n={n}); the thesis uses m = n//10, so n >= 10"
    return None


def _ba_build(p: Params, seed: int) -> nx.Graph:
    return nx.barabasi_albert_graph(p["n"], p["m"], seed=seed)


# --- Erdős–Rényi (extra) ----------------------------------------------------------------------


def _er_defaults(n: int) -> Params:
    # Expected mean degree (n-1)·p = n//5, WS's nominal k, so ER graphs are comparably dense.
    return {"p": (n // 5) / (n - 1) if n > 1 else 1.0, "tries": 100}


def _er_check(p: Params) -> str | None:
    if not 0.0 < p["p"] <= 1.0:
        return f"p={p['p']} must lie in (0, 1]; the default p = (n//5)/(n-1) needs n >= 5"
    if p["tries"] < 1:
        return f"tries={p['tries']} must be >= 1"
    return None


def _er_build(p: Params, seed: int) -> nx.Graph:
    rng = random.Random(seed)  # successive draws come from one seeded stream
    for _ in range(p["tries"]):
        g = nx.gnp_random_graph(p["n"], p["p"], seed=rng)
        if nx.is_connected(g):
            return g
    raise RandRNNError(
        f"er: no connected G(n={p['n']}, p={p['p']:.3g}) in {p['tries']} tries; raise p or tries"
    )


GENERATORS: dict[str, GeneratorSpec] = {
    "ws": GeneratorSpec(
        "ws",
        "Watts–Strogatz, connected_watts_strogatz_graph(n, k=n//5, p=1, tries=10) (thesis)",
        lambda n: {"k": n // 5, "p": 1.0, "tries": 10},
        _ws_check,
        _ws_build,
    ),
    "ba": GeneratorSpec(
        "ba",
        "Barabási–Albert, barabasi_albert_graph(n, m=n//10) (thesis)",
        lambda n: {"m": n // 10},
        _ba_check,
        _ba_build,
    ),
    "er": GeneratorSpec(
        "er",
        "Erdős–Rényi G(n, p=(n//5)/(n-1)), redrawn (seeded) until connected (extra)",
        _er_defaults,
        _er_check,
        _er_build,
    ),
}


def get_generator(name: str) -> GeneratorSpec:
    """The registry entry for `name`; an unknown name fails listing the known ones."""
    try:
        return GENERATORS[name]
    except KeyError:
        known = ", ".join(GENERATORS)
        raise RandRNNError(f"unknown graph generator {name!r}; known: {known}") from None


def graph_seed(study_seed: int, index: int) -> int:
    """The seed of graph `index` in a study: a deterministic hash of (study_seed, index)."""
    if study_seed < 0 or index < 0:
        raise RandRNNError(f"seeds and indices must be >= 0 (got seed={study_seed}, index={index})")
    return int(np.random.SeedSequence([study_seed, index]).generate_state(1, np.uint32)[0])


def _check_nodes(nodes: Sequence[int]) -> tuple[int, int]:
    if len(nodes) != 2:
        raise RandRNNError(f"node range must be two numbers (low, high), got {tuple(nodes)}")
    lo, hi = int(nodes[0]), int(nodes[1])
    if lo < 2 or hi < lo:
        raise RandRNNError(f"node range {lo}..{hi} is invalid: need 2 <= low <= high")
    return lo, hi


def resolve_params(generator: str, n: int, params: Mapping[str, Any] | None = None) -> Params:
    """The full parameters for `generator` at n nodes: thesis defaults updated by `params`.

    Raises RandRNNError for unknown parameter names or values the generator cannot use.
    """
    spec = get_generator(generator)
    full: Params = {"n": n, **spec.defaults(n)}
    unknown = sorted(set(params or {}) - set(full))
    if unknown:
        raise RandRNNError(
            f"{generator}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(full)}"
        )
    full.update(params or {})
    if full["n"] < 2:
        raise RandRNNError(f"{generator}: n={full['n']} must be >= 2")
    problem = spec.check(full)
    if problem:
        raise RandRNNError(f"{generator}: {problem}")
    return full


def build_graph(generator: str, params: Mapping[str, Any], seed: int) -> nx.Graph:
    """Build the graph of a stored record from its generator, full parameters and seed."""
    full = resolve_params(generator, int(params["n"]), params)
    try:
        g = get_generator(generator).build(full, seed)
    except nx.NetworkXError as exc:
        raise RandRNNError(f"{generator} with {full}: {exc}") from None
    return nx.Graph(g)  # a plain Graph (drops generator graph attributes such as its name)


def generate_graph(
    generator: str,
    index: int,
    study_seed: int,
    nodes: Sequence[int] = (10, 50),
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Graph `index` of a study: a record {index, generator, params, seed, graph}.

    n is drawn from `nodes` (inclusive) with the graph's own seed unless `params` sets "n".
    """
    get_generator(generator)
    lo, hi = _check_nodes(nodes)
    seed = graph_seed(study_seed, index)
    n = int(np.random.default_rng(seed).integers(lo, hi + 1))
    full = resolve_params(generator, n, params)
    return {
        "index": index,
        "generator": generator,
        "params": full,
        "seed": seed,
        "graph": build_graph(generator, full, seed),
    }


def generate(
    n: int,
    seed: int,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: Sequence[int] = (10, 50),
    start: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Records of graphs start..start+n-1; graph i uses generators[i % len(generators)].

    `params` maps a generator name to parameter overrides, e.g. {"ws": {"p": 0.5}}. All
    parameters are checked at both ends of the node range before anything is generated.
    """
    if n <= 0:
        raise RandRNNError(f"number of graphs must be >= 1, got {n}")
    if start < 0:
        raise RandRNNError(f"start index must be >= 0, got {start}")
    if not generators:
        raise RandRNNError("no graph generators given; known: " + ", ".join(GENERATORS))
    lo, hi = _check_nodes(nodes)
    params = dict(params or {})
    for name in list(generators) + list(params):
        get_generator(name)
    for name in generators:
        for size in (lo, hi):
            resolve_params(name, size, params.get(name))
    return [
        generate_graph(
            generators[i % len(generators)],
            i,
            seed,
            (lo, hi),
            params.get(generators[i % len(generators)]),
        )
        for i in range(start, start + n)
    ]
