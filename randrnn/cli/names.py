"""The registry names and defaults that the commands' help texts show, importable for free.

`randrnn --help`, any `COMMAND --help` and a mistyped option must answer at once, so the command
modules import no torch, scikit-learn, scipy or pandas at module level: those load inside the
command that needs them. Most registries live beside the code they choose (criteria with torch,
regressors with scikit-learn), so their names are repeated here for the help texts only;
`tests/cli/test_names.py` checks every tuple against its registry. The cell registry is plain
Python, so `CELLS` is read from it. Names given on the command line are still checked by the
registries themselves.
"""

from __future__ import annotations

from randrnn.models.cells import CELLS as _CELL_REGISTRY
from randrnn.training.engines import DEVICES as _DEVICES
from randrnn.training.engines import ENGINES as _ENGINE_REGISTRY

# randrnn.models.cells.CELLS, a plain table: read from it, not repeated
CELLS = tuple(_CELL_REGISTRY)
# randrnn.training.engines: ENGINES and DEVICES, plain too
ENGINES = tuple(_ENGINE_REGISTRY)
DEVICES = _DEVICES
# randrnn.reber: NEGATIVES, GRAMMARS and the data set defaults
NEGATIVES = ("thesis", "hard")
GRAMMARS = ("reber", "embedded")
DATA_N = 25_000
DATA_NEGATIVES = "thesis"
DATA_GRAMMAR = "reber"
DATA_SEED = 0
DATA_TEST_FRACTION = 0.25
# randrnn.graphs.generate.GENERATORS
GENERATORS = ("ws", "ba", "er")
# randrnn.analysis: correlate.METHODS, predict.REGRESSORS / GRAPH_PREDICTORS / FEATURE_SETS,
# table.DEFAULT_TARGET
METHODS = ("pearson", "spearman", "kendall")
REGRESSORS = ("bayesian_ridge", "random_forest", "adaboost", "gradient_boosting", "dummy")
GRAPH_PREDICTORS = ("wl_kernel", "gin", "wl_props", "gin_props")  # predictors.GRAPH_PREDICTORS
FEATURE_SETS = ("all", "extended", "nodes-edges", "no-nodes-edges", "variances")
TARGET = "test_acc"
# randrnn.pruning: criteria.CRITERIA / TARGETS / SCOPES, protocol.DEFAULT_TOLERANCE, waea.*
CRITERIA = ("magnitude", "waea", "random")
TARGETS = ("i2h", "h2h", "both")
SCOPES = ("global", "layer")
TOLERANCE = 0.01
WAEA_READINGS = ("signed", "magnitude")
WAEA_READING = "signed"
WAEA_FILTER_STATS = ("matrix", "global")
WAEA_CENTERS = ("mean", "zero")
WAEA_NORMALIZE = ("minmax", "rank", "none")
WAEA_NORMALIZATION = "rank"


def listed(names: tuple[str, ...], sep: str = ", ") -> str:
    """Names joined for a help text."""
    return sep.join(names)
