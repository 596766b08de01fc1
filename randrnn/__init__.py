"""randrnn: how the structure of a recurrent network shapes what it can learn.

The names a script needs are available from the package itself (``docs/python.md`` shows them
at work)::

    from randrnn import build_model, fit, to_dag

They are imported on first use (a module ``__getattr__``), so ``import randrnn`` stays cheap and
does not load torch, networkx or pandas until one of them is asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    "RandRNNError": "randrnn.errors",
    # data
    "load_data": "randrnn.reber",
    "make_dataset": "randrnn.reber",
    "baselines": "randrnn.reber",
    # graphs
    "generate_graph": "randrnn.graphs.generate",
    "to_dag": "randrnn.graphs.dag",
    "layers": "randrnn.graphs.dag",
    "properties": "randrnn.graphs.properties",
    # model
    "build_model": "randrnn.models.graph_rnn",
    "GraphRNN": "randrnn.models.graph_rnn",
    "CELLS": "randrnn.models.cells",
    # training
    "TrainConfig": "randrnn.training.config",
    "prepare_data": "randrnn.training.loop",
    "fit": "randrnn.training.loop",
    "evaluate": "randrnn.training.loop",
    # pruning
    "select_weights": "randrnn.pruning.criteria",
    "apply_pruning": "randrnn.pruning.criteria",
    "CRITERIA": "randrnn.pruning.criteria",
}

__all__ = [  # the keys of _EXPORTS (tests/test_python_api.py checks), as a literal for tools
    "CELLS",
    "CRITERIA",
    "GraphRNN",
    "RandRNNError",
    "TrainConfig",
    "__version__",
    "apply_pruning",
    "baselines",
    "build_model",
    "evaluate",
    "fit",
    "generate_graph",
    "layers",
    "load_data",
    "make_dataset",
    "prepare_data",
    "properties",
    "select_weights",
    "to_dag",
]

if TYPE_CHECKING:  # static analysers see ordinary imports
    from randrnn.errors import RandRNNError
    from randrnn.graphs.dag import layers, to_dag
    from randrnn.graphs.generate import generate_graph
    from randrnn.graphs.properties import properties
    from randrnn.models.cells import CELLS
    from randrnn.models.graph_rnn import GraphRNN, build_model
    from randrnn.pruning.criteria import CRITERIA, apply_pruning, select_weights
    from randrnn.reber import baselines, load_data, make_dataset
    from randrnn.training.config import TrainConfig
    from randrnn.training.loop import evaluate, fit, prepare_data


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'randrnn' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
