"""Put graphs into a study: generate them from the study seed, or import them from files.

Generation is idempotent: ``generate_into(study, n)`` makes the study hold n generated graphs
(generation indices 0..n-1, each seeded from the study seed and its index), so running it again
adds nothing and a larger n extends the study. Graphs are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import GENERATORS, generate, resolve_params, stored_params
from randrnn.graphs.io import read_graph
from randrnn.graphs.properties import properties
from randrnn.store import Study

Progress = Callable[[int], None]


def generated_count(study: Study) -> int:
    """Number of generated (not imported) graphs in a study."""
    return sum(1 for g in study.graphs() if g["generator"] in GENERATORS)


def study_seed(study: Study) -> int:
    """The study's seed (set when its first graphs were generated; 0 for import-only studies)."""
    return int(study.get_meta("seed", 0))


def generate_into(
    study: Study,
    n: int,
    seed: int,
    generators: Sequence[str] = ("ws", "ba"),
    nodes: tuple[int, int] = (10, 50),
    progress: Progress | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[int]:
    """Generate the graphs the study still lacks to hold n generated ones; return their ids.

    ``params`` overrides generator parameters ({"ba": {"seed_graph": "star"}}); a study is
    only extended with graphs made with the same parameters as those it holds."""
    if n <= 0:
        raise RandRNNError(f"--n must be at least 1, got {n}")
    params = {name: dict(values) for name, values in (params or {}).items()}
    _check_same_params(study, params)
    settings = {"seed": seed, "generators": list(generators), "nodes": list(nodes)}
    for key, value in settings.items():
        stored = study.get_meta(key)
        if stored is not None and stored != value:
            raise RandRNNError(
                f"this study was generated with {key}={stored}, not {value}; "
                "use another --study directory for different settings"
            )
    have = generated_count(study)
    if have >= n:
        return []
    records = generate(n - have, seed, tuple(generators), nodes, start=have, params=params)
    for record in records:
        record["params"] = {**record["params"], "index": record.pop("index")}
        record["properties"] = properties(record["graph"])
        if progress:
            progress(1)
    with study.transaction():
        for key, value in settings.items():
            study.set_meta(key, value)
        return study.add_graphs(records)


def _check_same_params(study: Study, params: Mapping[str, Mapping[str, Any]]) -> None:
    """Fail if the study's generated graphs were made with other generator parameters."""
    seen: set[str] = set()
    for graph in study.graphs():
        name = graph["generator"]
        if name not in GENERATORS or name in seen:
            continue
        seen.add(name)
        stored = stored_params(name, {k: v for k, v in graph["params"].items() if k != "index"})
        wanted = resolve_params(name, int(stored["n"]), params.get(name))
        for key in sorted(set(stored) | set(wanted)):
            if stored.get(key) != wanted.get(key):
                raise RandRNNError(
                    f"this study's {name} graphs were generated with {key}={stored.get(key)}, "
                    f"not {wanted.get(key)}; pass --param {name}.{key}={stored.get(key)} "
                    "or use another --study directory"
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
