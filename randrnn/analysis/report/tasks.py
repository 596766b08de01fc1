"""Sections of a study of several tasks: "Tasks" (per task and cell side by side: accuracy, the
task's baselines, the strongest properties, the best pooled R² beside the Dummy's and the noise
ceiling; a figure of each task's accuracy per cell) and "Correlation · all tasks" (one heatmap,
a column per task and cell)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from randrnn.analysis import predict as pred
from randrnn.analysis import table
from randrnn.analysis.report import correlation
from randrnn.analysis.report.accuracy import ACC_LABEL
from randrnn.analysis.report.configs import cells
from randrnn.analysis.report.context import StudyContext
from randrnn.analysis.report.elements import MISSING, Figures, Paragraph, frame_table
from randrnn.analysis.report.prediction import best
from randrnn.analysis.report.strongest import pick

TITLE = "Tasks"
ALL_TASKS = "all tasks"


@dataclass(frozen=True)
class Tasks:
    target: str
    rows: pd.DataFrame  # one per task and cell
    long: pd.DataFrame  # every task's rows analysed, with a task column
    tasks: list[str]


def compute(ctx: StudyContext) -> Tasks:
    rows = []
    for t in ctx.tasks:
        df, result, cv_res = t.df, t.correlations, t.scores.cv
        for cell in cells(df):
            acc = df.loc[df["cell"] == cell, ctx.options.target]
            strongest = pick(result, cell, 3)
            top, dummy = best(cv_res, cell)
            rows.append({
                "task": t.name,
                "cell": table.cell_label(cell),
                "graphs": len(acc),
                "mean": acc.mean(),
                "sd": acc.std(),
                **t.baselines.get(cell, {}),
                "strongest properties (Pearson r)": ", ".join(
                    f"{p} {r:.2f}" for p, r in zip(strongest["property"], strongest["pearson"])
                ),
                "best pooled R²": MISSING if top is None else
                f"{top['r2_pooled']:.3f} ({pred.REGRESSORS[top['regressor']][0]})",
                "its fold mean ± sd": MISSING if top is None else
                f"{top['r2']:.3f} ± {top['r2_sd']:.3f}",
                "Dummy pooled R²": dummy,
                "noise ceiling": t.ceilings.get(cell, (math.nan, ""))[0],
            })  # fmt: skip
    long = pd.concat([t.df.assign(task=t.name) for t in ctx.tasks], ignore_index=True)
    return Tasks(ctx.options.target, pd.DataFrame(rows), long, [t.name for t in ctx.tasks])


def figure(found: Tasks) -> Figure:
    """Per cell, a box and the points of each task's accuracy."""
    long = found.long
    shown = list(dict.fromkeys(c for t in found.tasks for c in cells(long[long["task"] == t])))
    fig = Figure(figsize=(1.2 * len(found.tasks) * len(shown) + 2.5, 4.2))
    axes = fig.subplots(1, len(shown), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, shown):
        rows = found.long[found.long["cell"] == cell]
        kw = {"data": rows, "x": "task", "y": found.target, "ax": ax, "order": found.tasks}
        sns.boxplot(**kw, color="#d0d8e8", fliersize=0, width=0.55)
        sns.stripplot(**kw, color="#2a4d8f", size=2, alpha=0.5, jitter=0.2)
        ax.set_title(table.cell_label(cell))
        ax.set_xlabel("task")
        ax.set_ylabel(ACC_LABEL)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(f"{found.target} of the same graphs on each task")
    return fig


def render(found: Tasks, figures: Figures) -> tuple:
    img = figures.add(figure(found), "accuracy_by_task", f"{found.target} per task and cell")
    return (
        Paragraph(
            "The same graphs trained on several tasks. Per task and cell: the accuracy over the "
            "graphs, the task's baselines (learned on its training strings, scored on its test "
            "strings), the three properties with the largest |Pearson r|, and the best "
            "cross-validated R² of a regressor on the graph properties (pooled out-of-fold R², "
            "leading; the same regressor's fold mean ± sd beside) against the Dummy's pooled R². "
            "Each task's own sections follow, titled with the task."
        ),
        img,
        frame_table(
            found.rows.round(3),
            "tasks side by side",
            "not computed: noise ceiling without seed replicates, R² with too few graphs",
        ),
    )


def compute_correlation(ctx: StudyContext) -> correlation.Correlation:
    """Every task's correlations in one table, the cells named 'task · cell'."""

    def relabel(frame: pd.DataFrame, task: str) -> pd.DataFrame:
        return frame.assign(cell=[f"{task} · {table.cell_label(c)}" for c in frame["cell"]])

    df = pd.concat([relabel(t.df, t.name) for t in ctx.tasks], ignore_index=True)
    result = pd.concat([relabel(t.correlations, t.name) for t in ctx.tasks], ignore_index=True)
    return correlation.Correlation(cells(df), result)


def render_correlation(found: correlation.Correlation, figures: Figures) -> tuple:
    return correlation.render(found, figures.for_task(ALL_TASKS))
