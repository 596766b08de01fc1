"""What `randrnn predict` computes for one table: the regressors' scores (beside the noise
ceiling when the runs have seed replicates), the feature importances, or one graph's predicted
accuracy, each with the legend that says how to read it. The command only prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from randrnn.analysis import noise, table
from randrnn.analysis import predict as pred
from randrnn.analysis.request import Request

GRAPH_LEGEND = (
    "predicted: model fitted on all rows; fold models 95%: range of the predictions of the "
    "cv × repeats fold models; tree sd: spread across a forest's trees; CV R²: pooled "
    "out-of-fold R² (how far to trust it); fold R² (--wide): mean ± sd over the folds."
)

CURVE_NOTE = (
    "The learning-curve features are the runs' own early epochs, which carry their seed: the "
    "noise ceiling bounds what graph structure alone can explain, not them."
)


@dataclass(frozen=True)
class Prediction:
    """One table's outcome: ``kind`` is 'graph', 'importance' or 'scores' (the shape of
    ``result``: `predict.predict_graph`, `predict.importances` or `predict.evaluate`)."""

    kind: str
    result: pd.DataFrame
    legend: str


def run(
    df: pd.DataFrame,
    seeds: pd.DataFrame | None,
    request: Request,
    graphs: Mapping[int, nx.Graph] | None = None,
) -> Prediction:
    """Predict from ``df`` as ``request`` (`request.parse`d against the command's rows) asks;
    ``seeds`` (`noise.of_runs`, None without replicates) adds the noise ceiling to the scores.
    The design (X, y, groups, folds) is built once and every predictor asked for is scored on
    it; ``graphs`` (graph id → graph) feeds the graph-reading predictors, which otherwise read
    the table's study. The thesis' numbers are kept for a table of the reber task only, and
    only for its target (test accuracy)."""
    if request.mode == "graph":
        return _graph(df, request, graphs)
    if request.mode == "importance":
        return _importance(df, request)
    result = pred.score(pred.designs(df, request, graphs=graphs), request)
    if not table.is_reber(df) or request.target != table.DEFAULT_TARGET:
        result = result.assign(thesis_r2=math.nan)
    notes = "\n".join(filter(None, [pred.R2_LEGEND, pred.constant_note(result)]))
    if seeds is None:
        return Prediction("scores", result, notes + folds_note(result, request.cv))
    result = pred.add_ceiling(result, noise.ceilings(seeds, request.per_run))
    legend = f"{notes}\n{pred.CEILING_NOTE}\n{noise.LEGEND}" + folds_note(result, request.cv)
    if request.curve_epochs is not None:
        legend += "\n" + CURVE_NOTE
    return Prediction("scores", result, legend)


def _graph(df: pd.DataFrame, request: Request, graphs: Mapping[int, nx.Graph] | None) -> Prediction:
    """The predicted target of the graph in ``request.graph_file``, per predictor and cell,
    every predictor on the same design."""
    from randrnn.graphs.io import read_graph
    from randrnn.graphs.properties import properties

    graph = read_graph(request.graph_file)
    props = properties(graph)
    plans = pred.designs(df, request, graphs=graphs)
    result = pd.concat(
        [
            pred.predict_graph(df, props, request, regressor=r, graph=graph, plans=plans)
            for r in request.names
        ],
        ignore_index=True,
    )  # fmt: skip
    outside = sorted({f for text in result["outside"] for f in text.split(", ") if f})
    legend = GRAPH_LEGEND
    if outside:
        legend += f" The graph lies outside the training range of: {', '.join(outside)}."
    return Prediction("graph", result, legend + folds_note(result, request.cv))


def _importance(df: pd.DataFrame, request: Request) -> Prediction:
    """Feature importances of each regressor asked for (`request.parse` left the Dummy out)."""
    result = pd.concat(
        [pred.importances(df, request, regressor=r) for r in request.names], ignore_index=True
    )
    if not table.is_reber(df) or request.target != table.DEFAULT_TARGET:
        result = result.assign(thesis_impurity=math.nan)
    return Prediction("importance", result, folds_note(result, request.cv))


def folds_note(result: pd.DataFrame, cv: int | None, most: int = pred.MAX_FOLDS) -> str:
    """A line naming the cells that have too few graphs for the default folds ('' if none, or
    if ``cv`` was given)."""
    if cv is not None or "folds" not in result.columns:
        return ""
    few = result[result["folds"] < most].drop_duplicates("cell")
    if few.empty:
        return ""
    cells = ", ".join(
        f"{table.cell_label(c)} {int(k)}-fold (n={n})"
        for c, k, n in zip(few["cell"], few["folds"], few["n"])
    )
    return (
        f"\nFewer than {2 * most} graphs: {cells}, graphs // 2 folds so that each test fold "
        "holds two graphs at least (--cv K chooses)."
    )
