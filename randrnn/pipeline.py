"""Put graphs into a study: generate them from the study seed, or import them from files.

Generation is idempotent: ``generate_into(study, n)`` makes the study hold n generated graphs
(generation indices 0..n-1, each seeded from the study seed and its index), so running it again
adds nothing and a larger n extends the study. Graphs are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import GENERATORS, generate
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
) -> list[int]:
    """Generate the graphs the study still lacks to hold n generated ones; return their ids."""
    if n <= 0:
        raise RandRNNError(f"--n must be at least 1, got {n}")
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
    records = generate(n - have, seed, tuple(generators), nodes, start=have)
    for record in records:
        record["params"] = {**record["params"], "index": record.pop("index")}
        record["properties"] = properties(record["graph"])
        if progress:
            progress(1)
    with study.transaction():
        for key, value in settings.items():
            study.set_meta(key, value)
        return study.add_graphs(records)


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
