"""The thesis' published results (docs/method.md §7), kept as data so tables can show them beside ours.

Keys are cell registry names (`randrnn.models.cells.CELLS`); the thesis' own labels are the
cells' ``label``. Regressor keys are those of `randrnn.analysis.predict.REGRESSORS`. The
thesis' safe pruning levels are kept once, where pruning compares with them:
`randrnn.pruning.results.THESIS_SAFE`.
"""

from __future__ import annotations

import math

CELL_ORDER = ("rnn_tanh", "rnn_relu", "lstm", "gru")

# Graphs per cell type behind the correlation table (100 Watts–Strogatz + 100 Barabási–Albert).
GRAPHS_PER_CELL = 200


def _row(*values: float) -> dict[str, float]:
    return dict(zip(CELL_ORDER, values))


# Pearson correlation of test accuracy with each property, per cell type.
PEARSON: dict[str, dict[str, float]] = {
    "layers": _row(0.25, 0.30, 0.28, 0.34),
    "nodes": _row(0.40, 0.44, 0.44, 0.49),
    "edges": _row(0.38, 0.43, 0.42, 0.49),
    "source_nodes": _row(0.35, 0.47, 0.57, 0.74),
    "diameter": _row(-0.23, -0.27, -0.32, -0.20),
    "density": _row(0.29, 0.15, 0.29, 0.34),
    "average_shortest_path_length": _row(-0.27, -0.25, -0.36, -0.23),
    "eccentricity_var": _row(-0.22, -0.24, -0.30, -0.21),
    "degree_var": _row(-0.28, -0.26, -0.39, -0.58),
    "closeness_var": _row(-0.46, -0.39, -0.51, -0.67),
    "nodes_betweenness_var": _row(-0.49, -0.41, -0.56, -0.52),
    "edge_betweenness_var": _row(-0.34, -0.30, -0.44, -0.26),
}

# Mean test accuracy of the structured models.
MEAN_ACCURACY: dict[str, float] = _row(0.87, 0.78, 0.95, 0.96)

# R² of the thesis protocol (MinMax on all rows, one 90/10 split, scikit-learn defaults).
REGRESSION_R2: dict[str, dict[str, float]] = {
    "rnn_tanh": {"bayesian_ridge": 0.479, "random_forest": 0.432, "adaboost": 0.357},
    "rnn_relu": {"bayesian_ridge": 0.361, "random_forest": 0.615, "adaboost": 0.535},
    "lstm": {"bayesian_ridge": 0.372, "random_forest": 0.579, "adaboost": 0.595},
    "gru": {"bayesian_ridge": 0.672, "random_forest": 0.876, "adaboost": 0.783},
}

# RandomForest R² per feature set (keys of `predict.FEATURE_SETS`), RNN_ReLU and GRU only.
ABLATION_R2: dict[str, dict[str, float]] = {
    "all": {"rnn_relu": 0.61, "gru": 0.87},
    "nodes-edges": {"rnn_relu": 0.71, "gru": 0.75},
    "no-nodes-edges": {"rnn_relu": -0.05, "gru": 0.78},
    "variances": {"rnn_relu": 0.06, "gru": 0.76},
}

# Share of the GRU forest's impurity importance carried by one property.
IMPORTANCE: dict[str, dict[str, float]] = {"gru": {"source_nodes": 0.67}}


def pearson(prop: str, cell: str) -> float:
    """The thesis' Pearson r for a property and cell, NaN where it published none."""
    return PEARSON.get(prop, {}).get(cell, math.nan)


def regression_r2(cell: str, regressor: str, feature_set: str = "all") -> float:
    """The thesis' R² for (cell, regressor, feature set), NaN where it published none."""
    if feature_set == "all":
        return REGRESSION_R2.get(cell, {}).get(regressor, math.nan)
    if regressor == "random_forest":
        return ABLATION_R2.get(feature_set, {}).get(cell, math.nan)
    return math.nan
