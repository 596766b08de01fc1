"""Seeded random-graph generators (docs/method.md §3), kept in one registry.

Every graph gets its own seed, derived from the study seed and the graph's index, so any graph
can be regenerated alone::

    >>> rec = generate_graph("ws", index=3, study_seed=7)
    >>> rec["params"]          # e.g. {'n': 27, 'k': 5, 'p': 1.0, 'tries': 10}
    >>> generate_graph("ws", 3, 7)["graph"].edges == rec["graph"].edges  # same graph again

The node count n is drawn uniformly from ``nodes[0]..nodes[1]`` (inclusive) with the graph's seed;
the generator then runs with that same seed. The defaults are the thesis' parameterisation; any
parameter (and n itself) can be overridden through ``params``, e.g. ``{"seed_graph": "star"}``
for ``ba``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from randrnn.errors import RandRNNError, check_name

Params = dict[str, Any]


@dataclass(frozen=True)
class GeneratorSpec:
    """One generator: its thesis defaults for n nodes, a validity check and the builder."""

    name: str
    description: str
    defaults: Callable[[int], Params]  # n -> default parameters (without n)
    check: Callable[[Params], str | None]  # full params (with n) -> problem, or None if fine
    build: Callable[[Params, int], nx.Graph]  # (full params, seed) -> graph on nodes 0..n-1
    # Values assumed for a stored record made before a parameter existed (what it was built with).
    legacy: Params = field(default_factory=dict)


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
#
# The process: start from a seed graph, then add nodes one at a time, each joined by m edges to m
# distinct existing nodes drawn with probability proportional to their degree. Two seed graphs:
#   isolated  m nodes 0..m-1 without edges; the first new node (m) joins all of them. This is the
#             process as published and as the thesis' networkx ran it: after orientation by node
#             order, nodes 0..m-1 are the m sources (units reading the input).
#   star      a star on m+1 nodes (centre 0), what current networkx' barabasi_albert_graph grows
#             from: node 0 is then the only source.
# Both give m·(n−m) edges, and every node ≥ m (isolated) or ≥ m+1 (star) has m lower neighbours.

BA_SEED_GRAPHS = ("isolated", "star")


def _ba_check(p: Params) -> str | None:
    n, m = p["n"], p["m"]
    check_name("ba seed_graph", p["seed_graph"], BA_SEED_GRAPHS)
    if not 1 <= m < n:
        return f"m={m} must satisfy 1 <= m < n (n={n}); the thesis uses m = n//10, so n >= 10"
    return None


def _degree_weighted_distinct(ends: list[int], m: int, rng: random.Random) -> list[int]:
    """m distinct nodes, each draw uniform over `ends` (a node once per edge end, so ∝ degree)."""
    chosen: set[int] = set()
    while len(chosen) < m:
        chosen.add(rng.choice(ends))
    return sorted(chosen)


def ba_isolated_graph(n: int, m: int, seed: int) -> nx.Graph:
    """Barabási–Albert grown from m isolated nodes (see above); nodes 0..n-1, seeded."""
    rng = random.Random(seed)
    g = nx.empty_graph(n)
    ends: list[int] = []  # every node once per edge end
    for new in range(m, n):
        targets = list(range(m)) if new == m else _degree_weighted_distinct(ends, m, rng)
        g.add_edges_from((new, t) for t in targets)
        ends += targets + [new] * m
    return g


def _ba_build(p: Params, seed: int) -> nx.Graph:
    if p["seed_graph"] == "isolated":
        return ba_isolated_graph(p["n"], p["m"], seed)
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
        "Barabási–Albert, m=n//10 edges per new node, grown from m isolated nodes (thesis;"
        " seed_graph=star: from a star on m+1 nodes, as current networkx does)",
        lambda n: {"m": n // 10, "seed_graph": "isolated"},
        _ba_check,
        _ba_build,
        legacy={"seed_graph": "star"},  # records made before seed_graph existed grew from a star
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
    return GENERATORS[check_name("graph generator", name, GENERATORS)]


def graph_seed(study_seed: int, index: int) -> int:
    """The seed of graph `index` in a study: a deterministic hash of (study_seed, index)."""
    if study_seed < 0 or index < 0:
        raise RandRNNError(f"seeds and indices must be >= 0 (got seed={study_seed}, index={index})")
    return int(np.random.SeedSequence([study_seed, index]).generate_state(1, np.uint32)[0])


def parse_params(text: str) -> dict[str, Params]:
    """'ba.seed_graph=star,ws.p=0.5' → {'ba': {'seed_graph': 'star'}, 'ws': {'p': 0.5}}.

    Values that read as an int or a float become numbers; the generator names are checked here,
    the parameter names and values when the parameters are resolved.
    """
    out: dict[str, Params] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, eq, raw = item.partition("=")
        generator, dot, name = key.strip().partition(".")
        if not (eq and dot and generator and name.strip() and raw.strip()):
            raise RandRNNError(
                f"generator parameter '{item}' must look like generator.name=value, "
                "e.g. ba.seed_graph=star"
            )
        check_name("graph generator", generator, GENERATORS)
        out.setdefault(generator, {})[name.strip()] = _number_or_text(raw.strip())
    return out


def _number_or_text(raw: str) -> Any:
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


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


def stored_params(generator: str, params: Mapping[str, Any]) -> Params:
    """A stored record's parameters, with the generator's legacy values for those it predates."""
    return {**get_generator(generator).legacy, **params}


def build_graph(generator: str, params: Mapping[str, Any], seed: int) -> nx.Graph:
    """Build the graph of a stored record from its generator, full parameters and seed."""
    full = resolve_params(generator, int(params["n"]), stored_params(generator, params))
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


def check_settings(
    generators: Sequence[str],
    nodes: Sequence[int],
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[int, int]:
    """Check generators, node range and parameter overrides (at both ends of the range) before
    anything is generated; return the node range. An override for a generator that is not used
    is an error, not silently ignored."""
    if not generators:
        raise RandRNNError("no graph generators given; known: " + ", ".join(GENERATORS))
    lo, hi = _check_nodes(nodes)
    params = dict(params or {})
    for name in list(generators) + list(params):
        get_generator(name)
    unused = sorted(set(params) - set(generators))
    if unused:
        raise RandRNNError(
            f"--param {unused[0]}.*: {unused[0]} is not among the generators "
            f"({', '.join(generators)})"
        )
    for name in generators:
        for size in (lo, hi):
            resolve_params(name, size, params.get(name))
    return lo, hi


def effective_overrides(
    nodes: Sequence[int], params: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Params]:
    """The overrides that change something: those equal to the generator's default at every
    node count of the range are dropped (``ba.seed_graph=isolated`` is no override)."""
    lo, hi = _check_nodes(nodes)
    out: dict[str, Params] = {}
    for name, values in (params or {}).items():
        defaults = [get_generator(name).defaults(n) for n in range(lo, hi + 1)]
        kept = {k: v for k, v in values.items() if any(d.get(k) != v for d in defaults)}
        if kept:
            out[name] = kept
    return out


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
    lo, hi = check_settings(generators, nodes, params)
    params = dict(params or {})
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
