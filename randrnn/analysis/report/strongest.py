"""Section "Accuracy vs the strongest properties": per cell, the properties with the largest
|Pearson r| (`correlate.correlate`), each a scatter with a least-squares line."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from randrnn.analysis import table
from randrnn.analysis.report.accuracy import ACC_LABEL
from randrnn.analysis.report.configs import cells
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph

TITLE = "Accuracy vs the strongest properties"


@dataclass(frozen=True)
class Strongest:
    df: pd.DataFrame
    target: str
    top: int
    picks: dict[str, pd.DataFrame]  # cell → its `top` correlation rows, strongest first


def pick(result: pd.DataFrame, cell: str, top: int) -> pd.DataFrame:
    """The ``top`` rows of a cell with a Pearson r (the correlation table is sorted by |r|)."""
    return result[(result["cell"] == cell) & result["pearson"].notna()].head(top)


def compute(ctx: TaskContext) -> Strongest:
    top, result = ctx.options.top, ctx.correlations
    return Strongest(ctx.df, ctx.target, top, {c: pick(result, c, top) for c in cells(ctx.df)})


def figure(found: Strongest) -> Figure:
    df, target, picks = found.df, found.target, found.picks
    ncols = max(len(p) for p in picks.values())
    fig = Figure(figsize=(4.0 * ncols, 3.6 * len(picks)))
    axes = fig.subplots(len(picks), ncols, squeeze=False)
    hue = "generator" if "generator" in df.columns else None
    for i, cell in enumerate(picks):
        rows = df if cell == table.ALL else df[df["cell"] == cell]
        for j in range(ncols):
            ax = axes[i][j]
            if j >= len(picks[cell]):
                ax.set_axis_off()
                continue
            chosen = picks[cell].iloc[j]
            prop = chosen["property"]
            kw = {"data": rows, "x": prop, "y": target, "ax": ax}
            sns.scatterplot(**kw, hue=hue, s=18, alpha=0.7, legend=(i == 0 and j == 0))
            sns.regplot(**kw, scatter=False, color="black", line_kws={"lw": 1.2})
            ax.set_title(
                f"{table.cell_label(cell)}: {prop}\n(n={int(chosen['n'])}, "
                f"r={chosen['pearson']:.2f}, q={chosen['pearson_q']:.2g})",
                fontsize=10,
            )
            ax.set_xlabel(prop.replace("_", " "))
            ax.set_ylabel(ACC_LABEL if j == 0 else "")
    fig.tight_layout()
    return fig


def render(found: Strongest, figures: Figures) -> tuple:
    if max([len(p) for p in found.picks.values()] + [0]) == 0:
        return (Paragraph("No property varies."),)
    img = figures.add(figure(found), "accuracy_vs_properties",
                      f"{found.target} vs the strongest properties")  # fmt: skip
    return (
        Paragraph(
            f"For each cell, the {found.top} properties with the largest |Pearson r|, with a "
            "least-squares line and its 95% band."
        ),
        img,
    )
