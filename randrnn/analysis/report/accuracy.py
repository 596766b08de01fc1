"""Section "Accuracy by generator": per cell, the accuracy of each generator's graphs beside the
trivial baselines (and the thesis' mean for the Reber task)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from randrnn.analysis import table, thesis
from randrnn.analysis.report.configs import cells, protocol_text
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph, Warn, frame_table

TITLE = "Accuracy by generator"
ACC_LABEL = "test accuracy (fraction correct)"
# How each trivial baseline is drawn on the accuracy figure (any other: a dotted grey line).
BASELINE_STYLES = {
    "majority": ("#b03030", ":"),
    "length_only": ("#b03030", "--"),
    "letter_set_only": ("#d08020", "-."),
    "ngram": ("#6a3d9a", (0, (5, 2, 1, 2, 1, 2))),
}


@dataclass(frozen=True)
class Accuracy:
    df: pd.DataFrame  # the rows analysed
    target: str
    baselines: dict[str, dict[str, float]]  # cell → baseline → accuracy
    summary: pd.DataFrame  # per cell and generator: count, mean, (thesis mean,) sd, ...
    caption: str
    protocol: str  # how the training differs from the thesis' ('' if it does not)


def compute(ctx: TaskContext) -> Accuracy:
    return summarise(ctx.df, ctx.target, ctx.baselines, protocol_text(ctx.configs),
                     ctx.thesis_too)  # fmt: skip


def summarise(
    df: pd.DataFrame, target: str, baselines: dict[str, dict[str, float]], protocol: str = "",
    thesis_too: bool = True,
) -> Accuracy:  # fmt: skip
    stats = ["count", "mean", "std", "min", "median", "max"]
    summary = df.groupby(["cell", "generator"])[target].agg(stats).reset_index()
    caption = f"{target} per cell and generator"
    if thesis_too:
        summary.insert(
            summary.columns.get_loc("mean") + 1,
            "thesis mean",
            [thesis.MEAN_ACCURACY.get(c, math.nan) for c in summary["cell"]],
        )
        caption += "; the thesis' mean (200 graphs per cell) beside"
    summary["cell"] = summary["cell"].map(table.cell_label)
    return Accuracy(df, target, baselines, summary.round(4), caption, protocol)


def figure(found: Accuracy) -> Figure:
    """Per cell a box and the points of each generator, a line per trivial baseline."""
    df, target, base = found.df, found.target, found.baselines
    shown = cells(df)
    fig = Figure(figsize=(3.6 * len(shown) + 0.8, 4.2))
    axes = fig.subplots(1, len(shown), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, shown):
        rows = df[df["cell"] == cell]
        kw = {"data": rows, "x": "generator", "y": target, "ax": ax}
        sns.boxplot(**kw, color="#d0d8e8", fliersize=0, width=0.55)
        sns.stripplot(**kw, color="#2a4d8f", size=3, alpha=0.6, jitter=0.2)
        for name, acc in base.get(cell, {}).items():
            color, style = BASELINE_STYLES.get(name, ("#777777", ":"))
            ax.axhline(acc, color=color, ls=style, lw=1, label=f"{name} baseline")
        ax.set_title(f"{table.cell_label(cell)} (n={len(rows)})")
        ax.set_xlabel("graph generator")
        ax.set_ylabel(ACC_LABEL)
    if any(base.get(c) for c in shown):
        axes[-1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{target} by generator, per cell type")
    return fig


def render(found: Accuracy, figures: Figures) -> tuple:
    note = (Warn(found.protocol, strong="Protocols differ."),) if found.protocol else ()
    img = figures.add(figure(found), "accuracy_by_generator",
                      f"{found.target} by generator and cell")  # fmt: skip
    return (
        *note,
        img,
        Paragraph(
            "Lines: the trivial baselines on the strings these runs were scored on (Data set)."
        ),
        frame_table(
            found.summary, found.caption, "a single graph (no sd), or no thesis number for the cell"
        ),
    )
