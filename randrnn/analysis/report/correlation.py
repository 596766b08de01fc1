"""Section "Correlation": the heatmap of Pearson r, properties × cells (* where BH q < 0.05), and
the full table of `correlate.correlate` under it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from randrnn.analysis import correlate as corr
from randrnn.analysis import table
from randrnn.analysis.report.configs import cells
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import MISSING, Details, Figures, Paragraph, frame_table

TITLE = "Correlation"
COLUMNS = ["cell", "property", "n", "pearson", "pearson_q", "spearman", "spearman_q", "kendall",
           "kendall_q", "note"]  # fmt: skip


@dataclass(frozen=True)
class Correlation:
    cells: list[str]  # heatmap columns, in order
    result: pd.DataFrame  # `correlate.correlate`: one row per (cell, property)


def compute(ctx: TaskContext) -> Correlation:
    return Correlation(cells(ctx.df), ctx.correlations)


def figure(found: Correlation) -> Figure:
    shown, result = found.cells, found.result
    props = list(dict.fromkeys(result["property"]))
    r = result.pivot(index="property", columns="cell", values="pearson").reindex(props)[shown]
    q = result.pivot(index="property", columns="cell", values="pearson_q").reindex(props)[shown]
    n = result.groupby("cell")["n"].max()
    annot = r.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    annot = annot.where(~(q < 0.05), annot + "*")
    fig = Figure(figsize=(1.6 * len(shown) + 3.5, 0.32 * len(props) + 1.6))
    ax = fig.subplots()
    sns.heatmap(r.astype(float), annot=annot.to_numpy(), fmt="", cmap="vlag", vmin=-1, vmax=1,
                ax=ax, cbar_kws={"label": "Pearson r"}, annot_kws={"fontsize": 8})  # fmt: skip
    ax.set_xticklabels([f"{table.cell_label(c)}\n(n={int(n[c])})" for c in shown], rotation=0)
    ax.set_xlabel("cell type")
    ax.set_ylabel("graph property")
    ax.set_title("Pearson r of test accuracy with each property (* BH q < 0.05)")
    return fig


def render(found: Correlation, figures: Figures) -> tuple:
    img = figures.add(figure(found), "correlation_heatmap", "Pearson r, properties × cells")
    shown = found.result.copy()
    shown["cell"] = shown["cell"].map(table.cell_label)
    for col in [c for c in shown if c.endswith(("_p", "_q"))]:
        shown[col] = [MISSING if table.is_missing(v) else corr.format_p(v) for v in shown[col]]
    full = frame_table(
        shown[[c for c in COLUMNS if c in shown]].round(4),
        missing="no coefficient: the property (or the accuracy) is constant for that cell",
    )
    return (
        Paragraph(
            "Blank cells in the heatmap, — in the table: no coefficient (the note says why). "
            "q: Benjamini–Hochberg corrected p-value across the properties of one cell."
        ),
        img,
        Details("full table", (full,)),
    )
