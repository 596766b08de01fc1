"""Section "Thesis comparison": the thesis' published numbers (docs/method.md §7) beside this
study's (`thesis_compare.compare`); Reber task only."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from randrnn.analysis import table, thesis_compare
from randrnn.analysis.report.configs import protocol_text
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph, Warn, frame_table

TITLE = "Thesis comparison"


@dataclass(frozen=True)
class ThesisSection:
    found: thesis_compare.ThesisComparison
    cv: int
    protocol: str  # how the training differs from the thesis' ('' if it does not)


def compute(ctx: TaskContext) -> ThesisSection:
    s = ctx.scores
    found = thesis_compare.compare(ctx.df, ctx.correlations, s.cv, s.thesis, ctx.options)
    return ThesisSection(found, ctx.options.cv, protocol_text(ctx.configs))


def figure(found: thesis_compare.ThesisComparison) -> Figure:
    """The 12 published correlations, the thesis' against this study's, one colour per cell."""
    fig = Figure(figsize=(5, 4.6))
    ax = fig.subplots()
    for cell in found.cells:
        label = table.cell_label(cell)
        ax.scatter(found.pearson[f"{label} thesis"], found.pearson[f"{label} here"], label=label,
                   s=22)  # fmt: skip
    ax.plot([-1, 1], [-1, 1], color="grey", lw=0.8, ls="--")
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_xlabel("Pearson r in the thesis")
    ax.set_ylabel("Pearson r in this study")
    ax.set_title(f"12 published correlations: thesis vs here (n≤{found.graphs} per cell)")
    ax.legend(fontsize=8)
    return fig


def render(section: ThesisSection, figures: Figures) -> tuple:
    found = section.found
    parts: list = [Warn(section.protocol, strong="Protocols differ.")] if section.protocol else []
    parts.append(Paragraph(
        "The thesis' published numbers (docs/method.md §7) beside this study's. The thesis "
        "had 200 graphs per cell and scored regressors on one 20-row test split."
    ))  # fmt: skip
    if found.cells:
        parts.append(figures.add(figure(found), "thesis_pearson",
                                 "thesis vs this study, Pearson r"))  # fmt: skip
    parts += [
        frame_table(found.pearson.round(2), "Pearson r of test accuracy with properties",
                    "not computable here"),
        frame_table(found.accuracy.round(3), "mean test accuracy of the structured models"),
        frame_table(found.regression.round(3), "regression R²",
                    "not computed here (the thesis' split needs 20 graphs)"),
    ]  # fmt: skip
    if len(found.ablation):
        parts.append(frame_table(
            found.ablation.round(2),
            f"feature-set ablation, RandomForest R² (here: {section.cv}-fold CV mean)",
        ))  # fmt: skip
    if len(found.importance):
        parts.append(frame_table(found.importance, "RandomForest impurity importance"))
    parts.append(frame_table(found.safe, "thesis: safe pruning level per weight set"))
    parts += [Warn(n) for n in found.notes]
    return tuple(parts)
