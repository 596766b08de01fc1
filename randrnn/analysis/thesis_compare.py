"""The thesis' published numbers (`randrnn.analysis.thesis`) beside a study's, as frames.

`compare` computes every table the report's "Thesis comparison" section draws: Pearson r of
the 12 published properties, mean accuracy, regression R² (thesis protocol and CV), the
RandomForest feature-set ablation, the forest's top impurity importances and the thesis' safe
pruning levels. What cannot be computed for a cell stays NaN in its table and gets a note
saying why (the report shows the notes in the section).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from randrnn.analysis import predict as pred
from randrnn.analysis import table, thesis
from randrnn.analysis.config import AnalysisConfig
from randrnn.errors import RandRNNError
from randrnn.pruning.results import THESIS_SAFE

# How the thesis names each pruned weight set (`randrnn.pruning` targets).
PRUNED_SETS = {"both": "i2h and h2h", "i2h": "i2h only", "h2h": "h2h only"}


@dataclass(frozen=True)
class ThesisComparison:
    """The tables of the comparison; ``cells``: the thesis' cells present, in its order."""

    cells: list[str]
    graphs: int  # the most rows behind one correlation (n of `correlate`)
    pearson: pd.DataFrame
    accuracy: pd.DataFrame
    regression: pd.DataFrame
    ablation: pd.DataFrame
    importance: pd.DataFrame
    safe: pd.DataFrame
    notes: list[str] = field(default_factory=list)  # what was not computed, and why


def compare(
    df: pd.DataFrame,
    result: pd.DataFrame,
    cv_res: pd.DataFrame,
    th_res: pd.DataFrame,
    options: AnalysisConfig,
) -> ThesisComparison:
    """The comparison of a study's rows ``df`` (its correlations ``result`` and its regression
    results ``cv_res``/``th_res``, `predict.score_cells`) with the thesis' numbers."""
    cells = [c for c in thesis.CELL_ORDER if c in set(result["cell"])]
    notes: list[str] = []
    return ThesisComparison(
        cells=cells,
        graphs=int(result["n"].max()) if len(result) else 0,
        pearson=pearson_table(result, cells),
        accuracy=pd.DataFrame(
            {
                "cell": [table.cell_label(c) for c in cells],
                "thesis mean accuracy": [thesis.MEAN_ACCURACY[c] for c in cells],
                "here": [df.loc[df["cell"] == c, options.target].mean() for c in cells],
                "n here": [int((df["cell"] == c).sum()) for c in cells],
            }
        ),
        regression=regression_table(cells, cv_res, th_res),
        ablation=ablation_table(df, cells, cv_res, options, notes),
        importance=importance_table(df, cells, options, notes),
        safe=safe_table(),
        notes=notes,
    )


def pearson_table(result: pd.DataFrame, cells: list[str]) -> pd.DataFrame:
    """Per published property, the thesis' r and this study's per cell (NaN where none)."""
    rows = []
    for prop in thesis.PEARSON:
        row: dict[str, object] = {"property": prop}
        for cell in cells:
            hit = result[(result["cell"] == cell) & (result["property"] == prop)]
            row[f"{table.cell_label(cell)} thesis"] = thesis.pearson(prop, cell)
            row[f"{table.cell_label(cell)} here"] = hit["pearson"].iloc[0] if len(hit) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _rows(res: pd.DataFrame, cell: str, regressor: str) -> pd.DataFrame:
    """The rows of (cell, regressor) in an `evaluate` result."""
    return res[(res["cell"] == cell) & (res["regressor"] == regressor)] if len(res) else res


def _r2(res: pd.DataFrame, cell: str, regressor: str) -> float:
    """The R² of (cell, regressor) in an `evaluate` result, NaN if it was not scored."""
    hit = _rows(res, cell, regressor)
    return hit["r2"].iloc[0] if len(hit) else math.nan


def regression_table(cells: list[str], cv_res: pd.DataFrame, th_res: pd.DataFrame) -> pd.DataFrame:
    """The thesis' R² per (cell, regressor) beside this study's (its protocol, and CV)."""
    return pd.DataFrame([
        {
            "cell": table.cell_label(cell),
            "regressor": pred.REGRESSORS[reg][0],
            "thesis R² (one split)": thesis.regression_r2(cell, reg),
            "here, thesis protocol": _r2(th_res, cell, reg),
            "here, CV mean": _r2(cv_res, cell, reg),
        }
        for cell in cells
        for reg in pred.THESIS_REGRESSORS
    ])  # fmt: skip


def ablation_table(
    df: pd.DataFrame,
    cells: list[str],
    cv_res: pd.DataFrame,
    options: AnalysisConfig,
    notes: list[str],
) -> pd.DataFrame:
    """RandomForest CV R² per feature set, the thesis' beside; the full set is taken from
    ``cv_res`` when it was scored there. A set that cannot be scored: NaN and a note."""
    rows = []
    for cell in cells:
        row: dict[str, object] = {"cell": table.cell_label(cell)}
        forest = _rows(cv_res, cell, "random_forest")
        folds = pred.choose_folds(pred.graph_count(df[df["cell"] == cell]), None, most=options.cv)
        for fs in thesis.ABLATION_R2:
            row[f"{fs} thesis"] = thesis.ABLATION_R2[fs].get(cell, math.nan)
            if fs == "all" and len(forest):  # already scored in the prediction section
                row[f"{fs} here"] = forest["r2"].iloc[0]
                continue
            try:
                res = pred.evaluate(
                    df, options.target, "random_forest", "cv", fs, cell=cell, cv=folds,
                    repeats=options.repeats, seed=options.seed,
                )  # fmt: skip
                row[f"{fs} here"] = res["r2"].iloc[0]
            except RandRNNError as exc:
                row[f"{fs} here"] = math.nan
                notes.append(f"ablation, {table.cell_label(cell)}, {fs}: not computed: {exc}")
        rows.append(row)
    return pd.DataFrame(rows)


def importance_table(
    df: pd.DataFrame, cells: list[str], options: AnalysisConfig, notes: list[str]
) -> pd.DataFrame:
    """The three largest impurity importances of a RandomForest fitted on all of a cell's rows,
    beside the thesis' (a cell that cannot be fitted: no row, and a note)."""
    rows = []
    for cell in cells:
        try:
            feats = pred.select_features(df, options.target)
            X, y = pred.xy(df[df["cell"] == cell], options.target, feats)
            fitted = pred.make_pipeline("random_forest", options.seed).fit(X, y)
        except (RandRNNError, ValueError) as exc:
            notes.append(f"impurity importance, {table.cell_label(cell)}: not computed: {exc}")
            continue
        weights = fitted.named_steps["model"].feature_importances_
        best = np.argsort(-weights)[:3]
        rows.append({
            "cell": table.cell_label(cell),
            "top impurity importances here": ", ".join(
                f"{feats[i]} {weights[i]:.2f}" for i in best
            ),
            "thesis": ", ".join(
                f"{k} {v:.2f}" for k, v in thesis.IMPORTANCE.get(cell, {}).items()
            ),
        })  # fmt: skip
    return pd.DataFrame(rows)


def safe_table() -> pd.DataFrame:
    """The thesis' safe pruning level per pruned weight set (rows) and cell (columns)."""
    return pd.DataFrame([
        {"pruned": name, **{
            table.cell_label(cell): f"{THESIS_SAFE[(cell, target)]}%"
            for cell in thesis.CELL_ORDER if (cell, target) in THESIS_SAFE
        }}
        for target, name in PRUNED_SETS.items()
    ])  # fmt: skip
