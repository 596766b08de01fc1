"""Put graphs into a study: generate them from the study seed, or import them from files.

Generation is idempotent: ``generate_into(study, n)`` makes the study hold n generated graphs
(generation indices 0..n-1, each seeded from the study seed and its index), so running it again
adds nothing and a larger n extends the study. Graphs are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from randrnn.callbacks import Callbacks, Progress
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import (
    GENERATORS,
    check_settings,
    effective_overrides,
    generate,
    resolve_params,
    stored_params,
)
from randrnn.graphs.io import read_graph
from randrnn.graphs.properties import properties
from randrnn.store import Study


def generated_count(study: Study) -> int:
    """Number of generated (not imported) graphs in a study."""
    return sum(1 for g in study.graphs() if g["generator"] in GENERATORS)


def study_seed(study: Study) -> int:
    """The study's seed (set when its first graphs were generated; 0 for import-only studies)."""
    return int(study.get_meta("seed", 0))


def check_generation(
    study: Study,
    seed: int,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: tuple[int, int] = (10, 50),
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check, before anything is generated, that these settings are valid and are the ones the
    study's graphs were generated with; return them as the study records them (its meta).

    Every stored graph is checked against the parameters these settings give at its node count,
    and the overrides themselves (those that differ from a default somewhere in the node range)
    against the ones the study recorded: an override that happens to agree with every stored
    graph (``ba.m=3`` where all graphs so far had n//10 = 3) still changes the rule."""
    params = {name: dict(values) for name, values in (params or {}).items()}
    check_settings(generators, nodes, params)
    _check_same_params(study, params)
    settings = {"seed": seed, "generators": list(generators), "nodes": list(nodes),
                "generator_params": effective_overrides(nodes, params)}  # fmt: skip
    for key, value in settings.items():
        stored = study.get_meta(key)
        if stored is not None and stored != value:
            raise RandRNNError(
                f"this study was generated with {_shown(key, stored)}, not {_shown(key, value)}; "
                "use another --study directory for different settings"
            )
    return settings


def _shown(key: str, value: Any) -> str:
    if key != "generator_params":
        return f"{key}={value}"
    pairs = [f"{g}.{k}={v}" for g, values in sorted(value.items()) for k, v in values.items()]
    return f"--param {','.join(pairs)}" if pairs else "no --param"


def generate_into(
    study: Study,
    n: int,
    seed: int,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: tuple[int, int] = (10, 50),
    callbacks: Callbacks | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[int]:
    """Generate the graphs the study still lacks to hold n generated ones; return their ids.

    ``params`` overrides generator parameters ({"ba": {"seed_graph": "star"}}); a study is
    only extended with graphs made with the same settings and parameters as those it holds.
    ``callbacks`` get ``"progress"`` as each graph's properties are computed (stage "graphs")."""
    if n <= 0:
        raise RandRNNError(f"--n must be at least 1, got {n}")
    settings = check_generation(study, seed, generators, nodes, params)
    have = generated_count(study)
    if have >= n:
        return []
    records = generate(n - have, seed, tuple(generators), nodes, start=have, params=params)
    callbacks = callbacks or Callbacks()
    callbacks.trigger_callback("progress", Progress(0, len(records), "graphs"))
    for done, record in enumerate(records, start=1):
        record["params"] = {**record["params"], "index": record.pop("index")}
        record["properties"] = properties(record["graph"])
        callbacks.trigger_callback("progress", Progress(done, len(records), "graphs"))
    with study.transaction():
        for key, value in settings.items():
            study.set_meta(key, value)
        return study.add_graphs(records)


def _check_same_params(study: Study, params: Mapping[str, Mapping[str, Any]]) -> None:
    """Fail if any generated graph of the study was made with other parameters than ``params``
    give at its node count."""
    graphs = [g for g in study.graphs() if g["generator"] in GENERATORS]
    for graph in graphs:
        name = graph["generator"]
        stored = stored_params(name, {k: v for k, v in graph["params"].items() if k != "index"})
        wanted = resolve_params(name, int(stored["n"]), params.get(name))
        for key in sorted(set(stored) | set(wanted)):
            if stored.get(key) != wanted.get(key):
                same = {
                    repr(stored_params(name, g["params"]).get(key))
                    for g in graphs
                    if g["generator"] == name
                }
                hint = (
                    f"pass --param {name}.{key}={stored.get(key)}"
                    if len(same) == 1
                    else "generate with the study's own parameters"
                )
                raise RandRNNError(
                    f"this study's {name} graphs were generated with {key}={stored.get(key)}, "
                    f"not {wanted.get(key)} (graph {graph['id']}); {hint}, or use another "
                    "--study directory"
                )


def import_into(
    study: Study, paths: Sequence[str | Path], directed: bool | None = None
) -> list[int]:
    """Read graph files (edge list, GraphML, node-link JSON) into the study; all or nothing."""
    records: list[dict[str, Any]] = []
    for path in paths:
        g = read_graph(path, directed=directed)
        dag = to_dag(g)  # a cyclic directed graph fails here, before anything is written
        records.append(
            {
                "generator": f"import:{Path(path).name}",
                "params": {"file": str(Path(path).resolve()), "directed": g.is_directed()},
                "seed": None,
                "graph": g,
                "properties": properties(g, dag),
            }
        )
    return study.add_graphs(records)
