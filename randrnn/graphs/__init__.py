"""Graphs: seeded generators, DAG orientation and layer index, properties, files."""

from randrnn.graphs.dag import layer_index, layers, to_dag
from randrnn.graphs.generate import (
    GENERATORS,
    GeneratorSpec,
    build_graph,
    generate,
    generate_graph,
    get_generator,
    graph_seed,
    resolve_params,
)
from randrnn.graphs.io import from_json, read_graph, to_json
from randrnn.graphs.properties import EXTRAS, FEATURES, properties

__all__ = [
    "EXTRAS",
    "FEATURES",
    "GENERATORS",
    "GeneratorSpec",
    "build_graph",
    "from_json",
    "generate",
    "generate_graph",
    "get_generator",
    "graph_seed",
    "layer_index",
    "layers",
    "properties",
    "read_graph",
    "resolve_params",
    "to_dag",
    "to_json",
]
