"""Section "Summary", first on the page: what a researcher reads in a minute. Per task and cell
the mean accuracy against the best trivial baseline, the strongest correlates, the best
regressor's pooled out-of-fold R² against the Dummy's and the noise ceiling; pruning's safe
levels where the study has them; and the alerts a reader must see first."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from randrnn.analysis import predict as pred
from randrnn.analysis import table
from randrnn.analysis.report.configs import cells, protocol_text
from randrnn.analysis.report.context import StudyContext, TaskContext
from randrnn.analysis.report.elements import MISSING, Alerts, Figures, Paragraph, frame_table
from randrnn.analysis.report.prediction import best
from randrnn.analysis.report.strongest import pick
from randrnn.errors import RandRNNError
from randrnn.pruning import results, robustness

TITLE = "Summary"
DENSE = "dense:"  # a pruned model that is not one of the study's graphs


@dataclass(frozen=True)
class Summary:
    target: str
    cells: pd.DataFrame  # one row per task and cell
    pruning: pd.DataFrame  # safe levels (empty without pruning)
    alerts: list[str]


def _strongest(t: TaskContext, cell: str) -> str:
    try:
        found = pick(t.correlations, cell, 3)
    except RandRNNError:
        return MISSING
    return ", ".join(f"{p} {r:+.2f}" for p, r in zip(found["property"], found["pearson"]))


def cell_rows(t: TaskContext, alerts: list[str]) -> list[dict]:
    """The summary rows of one task; what a reader must know goes to ``alerts``."""
    rows = []
    lead = f"{t.name} · " if t.name else ""
    for cell in cells(t.df):
        label = lead + table.cell_label(cell)
        acc = t.df.loc[t.df["cell"] == cell, t.target]
        base = t.baselines.get(cell, {})
        name, top_base = max(base.items(), key=lambda kv: kv[1]) if base else ("", math.nan)
        top, dummy = best(t.scores.cv, cell)
        ceiling = t.ceilings.get(cell, (math.nan, ""))[0]
        pooled = math.nan if top is None else float(top["r2_pooled"])
        rows.append({
            "task": t.name, "cell": table.cell_label(cell), "graphs": int(acc.size),
            "mean accuracy": float(acc.mean()), "sd": float(acc.std()),
            "best baseline": f"{name} {top_base:.3f}" if base else MISSING,
            "above it": float(acc.mean()) - top_base,
            "strongest correlates (Pearson r)": _strongest(t, cell),
            "best regressor": MISSING if top is None else pred.REGRESSORS[top["regressor"]][0],
            "pooled R²": pooled, "Dummy pooled R²": dummy, "noise ceiling": ceiling,
            "R² / ceiling": pooled / ceiling if ceiling > 0 else math.nan,
        })  # fmt: skip
        if base and not acc.mean() > top_base:
            alerts.append(f"{label}: mean accuracy {acc.mean():.3f} is not above the {name} "
                          f"baseline ({top_base:.3f}).")  # fmt: skip
        if top is not None and not pooled > dummy:
            alerts.append(f"{label}: no regressor's pooled R² beats the Dummy's ({dummy:.3f}).")
    return rows


def pruning_rows(ctx: StudyContext) -> pd.DataFrame:
    """Safe levels: per dense model × cell × target × method (right after pruning, the thesis'
    beside), and the mean over the study's graphs per cell × method (after retraining)."""
    if not results.has_results(ctx.study):
        return pd.DataFrame()
    frames = []
    done = results.results_table(ctx.study)
    dense = done[~done["model"].astype(str).str.startswith("graph:")]
    if len(dense):
        safe = results.safe_levels(dense)
        frames.append(pd.DataFrame({
            "model": safe["model"], "cell": safe["cell"].map(table.cell_label),
            "target": safe["target"], "method": safe["label"] + " (" + safe["scope"] + ")",
            "safe level %": safe["safe_level"], "thesis": safe["thesis"],
            "safe means": "no loss right after pruning",
        }))  # fmt: skip
    curves = robustness.curves(ctx.study)
    if len(curves):
        safe = robustness.safe_levels(ctx.study, curves)
        means = (
            safe.groupby(["cell", "label"], sort=True)
            .agg(graphs=("graph_id", "nunique"), level=("safe_level", "mean"))
            .reset_index()
        )
        frames.append(pd.DataFrame({
            "model": [f"study graphs (mean of {g})" for g in means["graphs"]],
            "cell": means["cell"].map(table.cell_label), "target": MISSING,
            "method": means["label"], "safe level %": means["level"], "thesis": math.nan,
            "safe means": "no loss after retraining",
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def compute(ctx: StudyContext) -> Summary:
    alerts = list(dict.fromkeys(
        f"Protocols differ{f' ({t.name})' if t.name else ''}: {protocol_text(t.configs)}"
        for t in ctx.tasks if protocol_text(t.configs)
    ))  # fmt: skip
    rows = [row for t in ctx.tasks if not t.df.empty for row in cell_rows(t, alerts)]
    frame = pd.DataFrame(rows)
    if len(frame) and not ctx.several:
        frame = frame.drop(columns="task")
    if rows and not any(t.ceilings for t in ctx.tasks):
        alerts.append("No seed replicates, so no noise ceiling for R² (train-all --replicates 2 "
                      "trains each graph twice).")  # fmt: skip
    alerts += [n for t in ctx.tasks if not t.df.empty for n in t.scores.notes
               if n.startswith("Not predicted")]  # fmt: skip
    return Summary(ctx.options.target, frame, pruning_rows(ctx), alerts)


def render(found: Summary, figures: Figures) -> tuple:
    parts: list = []
    if found.alerts:
        parts.append(Alerts(tuple(found.alerts)))
    if len(found.cells):
        parts += [
            Paragraph(
                f"Per cell: the mean {found.target} over the graphs against the best trivial "
                "baseline (Data set), the three properties with the largest |Pearson r|, and "
                "the regressor with the best pooled out-of-fold R² (one R² over every graph's "
                "held-out prediction) against the Dummy's and the noise ceiling (the most any "
                "predictor can reach, given the seed noise). The sections below give the "
                "details; provenance and the data set come last."
            ),
            frame_table(found.cells.round(3), "the study in one table",
                        "not computed (too few graphs, or no seed replicates for a ceiling)"),
        ]  # fmt: skip
    if len(found.pruning):
        parts.append(frame_table(found.pruning.round(1), "pruning: safe levels",
                                 "not applicable (no thesis number, or per graph)"))  # fmt: skip
    return tuple(parts) or (Paragraph("Nothing to summarise: no finished runs."),)
