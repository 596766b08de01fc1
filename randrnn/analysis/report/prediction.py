"""Section "Prediction": the regressors' cross-validated R² per cell (`predict.score_cells`),
led by the pooled out-of-fold R² (one R² over every held-out prediction), the fold mean and its
spread beside it, the Dummy baseline and the noise ceiling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from randrnn.analysis import predict as pred
from randrnn.analysis import table
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph, frame_table

TITLE = "Prediction"
COLUMNS = ["cell", "regressor", "n", "folds", "r2_pooled", "r2_pooled_of_ceiling", "ceiling",
           "r2", "r2_sd", "r2_of_ceiling", "mae", "spearman", "kendall", "r2_thesis_protocol",
           "thesis_test_rows", "thesis_r2"]  # fmt: skip
LEGEND = (
    "r2_pooled (leading): one R² over all out-of-fold predictions of a repeat (every graph "
    "predicted by a model that did not see it), averaged over repeats; r2 and r2_sd: the mean "
    "and sd of the per-fold R² (secondary: a fold of few graphs with nearly equal accuracies "
    "gives a wild R²); *_of_ceiling: that R² over the cell's noise ceiling."
)


@dataclass(frozen=True)
class Prediction:
    cv: pd.DataFrame  # `predict.score_cells`' cross-validated scores
    thesis: pd.DataFrame  # its thesis-protocol scores
    notes: list[str]
    folds: int  # the folds asked for
    repeats: int
    ceilings: dict[str, tuple[float, str]]


def compute(ctx: TaskContext) -> Prediction:
    s = ctx.scores
    return Prediction(s.cv, s.thesis, s.notes, ctx.options.cv, ctx.options.repeats, ctx.ceilings)


def scored(found: Prediction) -> pd.DataFrame:
    """The scores with ceiling and thesis-protocol columns, in `COLUMNS` order (raw names)."""
    frame = pred.add_ceiling(found.cv, found.ceilings) if found.ceilings else found.cv.copy()
    if not found.thesis.empty:
        frame = frame.merge(
            found.thesis[["cell", "regressor", "r2", "n_test"]].rename(
                columns={"r2": "r2_thesis_protocol", "n_test": "thesis_test_rows"}
            ),
            on=["cell", "regressor"],
            how="left",
        )
    return frame[[c for c in COLUMNS if c in frame]]


def figure(found: Prediction) -> Figure:
    """Per cell a bar per regressor: the pooled R²; a dot with a bar: the fold mean ± sd. The
    axis spans the pooled R² and the ceiling; a fold mean beyond it is a triangle at the edge
    with its value written beside."""
    cv_res, ceilings = found.cv, found.ceilings
    cells = list(dict.fromkeys(cv_res["cell"]))
    fig = Figure(figsize=(3.6 * len(cells) + 0.8, 3.8))
    axes = fig.subplots(1, len(cells), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = cv_res[cv_res["cell"] == cell]
        labels = [pred.REGRESSORS[r][0] for r in rows["regressor"]]
        colors = ["#999999" if r == "dummy" else "#2a4d8f" for r in rows["regressor"]]
        ceiling = ceilings.get(cell, (float("nan"), ""))[0]
        shown = [v for v in [*rows["r2_pooled"], ceiling, -0.25, 0.25] if not math.isnan(v)]
        lo, hi = min(shown) - 0.1, max(shown) + 0.1
        ax.barh(labels, rows["r2_pooled"], color=colors, label="pooled out-of-fold R²")
        inside = rows["r2"].between(lo, hi).to_numpy()
        ax.errorbar(rows["r2"][inside], [n for n, i in zip(labels, inside) if i],
                    xerr=rows["r2_sd"][inside], fmt="o", color="black", ms=3, capsize=3, lw=0.8,
                    label="fold mean ± sd")  # fmt: skip
        for y, value in zip(labels, rows["r2"]):
            if value < lo or value > hi:
                edge = lo if value < lo else hi
                ax.plot([edge], [y], marker="<" if value < lo else ">", color="black", ms=7)
                ax.annotate(f"fold mean {value:.3g}", (edge, y), xytext=(6 if value < lo else -6, 7),
                            textcoords="offset points", fontsize=7,
                            ha="left" if value < lo else "right")  # fmt: skip
        ax.set_xlim(lo, hi)
        ax.axvline(0, color="black", lw=0.8)
        if cell in ceilings:
            ax.axvline(ceiling, color="#b03030", ls="--", lw=1, label="noise ceiling")
        ax.set_title(f"{table.cell_label(cell)} (n={int(rows['n'].iloc[0])})")
        folds = int(rows["folds"].iloc[0]) if "folds" in rows else found.folds
        ax.set_xlabel(f"R², {folds}-fold CV × {found.repeats}")
        ax.invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=8)
    fig.tight_layout()
    return fig


def render(found: Prediction, figures: Figures) -> tuple:
    if found.cv.empty:
        return tuple(Paragraph(n) for n in found.notes) or (Paragraph("No cell has enough runs."),)
    img = figures.add(figure(found), "prediction_r2",
                      "cross-validated R² per regressor and cell: bars pooled out-of-fold, "
                      "dots the fold mean ± sd")  # fmt: skip
    frame = scored(found)
    frame["cell"] = frame["cell"].map(table.cell_label)
    frame["regressor"] = frame["regressor"].map(lambda r: pred.REGRESSORS[r][0])
    ceiling = _ceiling_of(found.ceilings)
    cv = found.folds
    return (
        Paragraph(
            f"Regressors on the thesis' 23 features (MinMax scaling inside each pipeline), "
            f"K-fold cross-validation (K = {cv}, or graphs // 2 for a cell with fewer than "
            f"{2 * cv} graphs: column folds) repeated {found.repeats} times: R², MAE, and "
            "Spearman / Kendall between out-of-fold predictions and truth. The Dummy regressor "
            "predicts the training mean: anything not clearly above it predicts nothing. "
            "r2_thesis_protocol repeats the thesis' single 90/10 split (random_state 7); "
            "thesis_r2 is its published value."
        ),
        Paragraph(LEGEND),
        *(
            (Paragraph(f"{pred.CEILING_NOTE} ceiling: of the {ceiling} (see Seed noise)."),)
            if found.ceilings
            else ()
        ),
        img,
        frame_table(
            frame.round(3),
            missing="not computed (fewer than 20 graphs for the thesis' split, no replicates for "
            "a ceiling) or not published by the thesis",
        ),
        *[Paragraph(n) for n in found.notes],
    )


def _ceiling_of(ceilings: dict[str, tuple[float, str]]) -> str:
    """What the ceilings bound, e.g. 'mean of 2 runs' (several texts joined if cells differ)."""
    return " / ".join(dict.fromkeys(of for _, of in ceilings.values()))


def best(cv_res: pd.DataFrame, cell: str) -> tuple[pd.Series | None, float]:
    """The regressor with the highest pooled R² of a cell (None: none scored) and the Dummy's
    pooled R² (NaN if not scored)."""
    rows = cv_res[cv_res["cell"] == cell] if len(cv_res) else cv_res
    real = rows[rows["regressor"] != "dummy"] if len(rows) else rows
    top = real.loc[real["r2_pooled"].idxmax()] if len(real) and real["r2_pooled"].notna().any() \
        else None  # fmt: skip
    dummy = rows.loc[rows["regressor"] == "dummy", "r2_pooled"] if len(rows) else []
    return top, float(dummy.iloc[0]) if len(dummy) else float("nan")
