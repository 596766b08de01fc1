"""Section "Seed noise": replicate a against replicate b per graph, one panel per cell, and the
noise table (`randrnn.analysis.noise`): the ceilings the prediction section compares R² with."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from randrnn.analysis import noise, table
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph, frame_table

TITLE = "Seed noise"


@dataclass(frozen=True)
class SeedNoise:
    target: str
    seeds: pd.DataFrame | None  # `noise.of_runs`; None without replicates
    pairs: pd.DataFrame | None  # `noise.replicate_pairs`


def compute(ctx: TaskContext) -> SeedNoise:
    return SeedNoise(ctx.target, ctx.seeds, ctx.pairs)


def figure(pairs: pd.DataFrame, target: str) -> Figure:
    cells = list(dict.fromkeys(pairs["cell"]))
    fig = Figure(figsize=(3.8 * len(cells) + 0.6, 4.0))
    axes = fig.subplots(1, len(cells), squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = pairs[pairs["cell"] == cell]
        a, b, r = rows["a"].iloc[0], rows["b"].iloc[0], rows["r"].iloc[0]
        sns.scatterplot(data=rows, x="y_a", y="y_b", ax=ax, s=18, alpha=0.7, color="#2a4d8f")
        lo = float(min(rows["y_a"].min(), rows["y_b"].min()))
        hi = float(max(rows["y_a"].max(), rows["y_b"].max()))
        pad = 0.05 * (hi - lo) if hi > lo else 0.01
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=0.8, ls="--")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal")
        shown = "r undefined" if math.isnan(r) else f"r = {r:.2f}"
        ax.set_title(f"{table.cell_label(cell)}: {shown} (n={len(rows)} graphs)")
        ax.set_xlabel(f"{target}, replicate {a}")
        ax.set_ylabel(f"{target}, replicate {b}")
    fig.tight_layout()
    return fig


def render(found: SeedNoise, figures: Figures) -> tuple:
    if found.seeds is None or found.pairs is None or found.pairs.empty:
        return (Paragraph(noise.HOW_TO_REPLICATE),)
    img = figures.add(figure(found.pairs, found.target), "replicates",
                      f"{found.target} of replicate a against b, one point per graph")  # fmt: skip
    ((caption, frame),) = noise.display(found.seeds)
    return (
        Paragraph(
            "Each graph was trained more than once, with different initialisation and "
            "batch-order seeds. Points off the dashed identity line are seed noise: the spread "
            "a graph's accuracy has without any change to its structure. Two runs of one graph "
            "correlate by ρ, the reliability of one run (estimated by ICC(1) from every run; "
            "the plot's r is one pair's), and ρ is the largest share of one run's "
            "accuracy variance that any predictor from graph structure can explain; for the "
            "mean of K runs the bound is Spearman–Brown Kρ/(1+(K−1)ρ). These are the noise "
            "ceilings the prediction section compares its R² with."
        ),
        img,
        frame_table(frame, caption),
        Paragraph(noise.LEGEND),
    )
