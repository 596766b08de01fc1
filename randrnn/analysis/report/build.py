"""`write_report`: the study's values, the sections of `sections.SECTIONS` computed and rendered
in order, the page written from the templates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from randrnn.analysis import table
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import render, sections
from randrnn.analysis.report.configs import run_configs
from randrnn.analysis.report.context import StudyContext, TaskContext, read_meta
from randrnn.analysis.report.elements import Figures, Paragraph, Section
from randrnn.errors import RandRNNError
from randrnn.pruning.results import has_results
from randrnn.store import Study
from randrnn.tasks.registry import DEFAULT_TASK


def section(kind: sections.Kind, ctx: object, figures: Figures, title: str) -> Section:
    """One section; one that cannot be computed becomes a one-line reason under its title."""
    try:
        elements = kind.render(kind.compute(ctx), figures)
    except RandRNNError as exc:
        elements = (Paragraph(f"Not shown: {exc}"),)
    return Section(title, tuple(elements))


def blocks(kinds: Sequence[sections.Kind]) -> list[list[sections.Kind]]:
    """The kinds grouped into runs of the same scope (a per-task run repeats per task)."""
    out: list[list[sections.Kind]] = []
    for kind in kinds:
        if out and out[-1][0].per_task == kind.per_task:
            out[-1].append(kind)
        else:
            out.append([kind])
    return out


def page_sections(ctx: StudyContext, kinds: Sequence[sections.Kind]) -> list[Section]:
    """Every section of the page, in the order of ``kinds``."""
    out = []
    for block in blocks(kinds):
        if not block[0].per_task:
            out += [section(k, ctx, ctx.figures, k.title) for k in block if k.when(ctx)]
            continue
        for t in ctx.tasks:
            for k in block:
                if k.when(t):
                    out.append(section(k, t, t.figures, f"{k.title} · {t.name}" if t.name
                                       else k.title))  # fmt: skip
    return out


def context(
    study: Study, runs: pd.DataFrame, options: AnalysisConfig, out_dir: Path,
    data: str | Path | None,
) -> StudyContext:  # fmt: skip
    """The study's values and a `TaskContext` per task (one, unnamed, for a single task)."""
    meta = read_meta(study)
    figures = Figures(out_dir)
    parts = table.by_task(runs)
    if len(parts) > 1 and data is not None:
        raise RandRNNError(
            f"--data names one data set, but the study holds {len(parts)} tasks; leave "
            "--data out (each task's data is recorded in the study)"
        )
    if len(parts) == 1:
        found = table.tasks_of(runs)
        only = found[0] if found and found[0] != DEFAULT_TASK else None  # reber: as before
        configs = run_configs(study, runs)
        tasks = [TaskContext(study, meta, options, runs, configs, figures, only, "", data)]
    else:
        tasks = [
            TaskContext(study, meta, options, part, run_configs(study, part),
                        figures.for_task(str(task)), str(task), str(task))
            for task, part in parts
        ]  # fmt: skip
        configs = {f"{t.task} · {table.cell_label(cell)}": cfg
                   for t in tasks for cell, cfg in t.configs.items()}  # fmt: skip
    return StudyContext(study, meta, options, runs, configs, figures, tasks)


def write_report(
    study_path: str | Path,
    out: str | Path | None = None,
    *,
    data: str | Path | None = None,
    options: AnalysisConfig | None = None,
) -> Path:
    """Write ``report.html`` and the figures to ``out`` (default ``<study>/report``); return it.

    ``data``: the Reber data folder for the baselines (default: the study's); ``options``: what
    to analyse and how (`AnalysisConfig`: target, folds, the training config, per run, ...;
    default: its defaults).
    """
    options = options if options is not None else AnalysisConfig()
    with Study.open(study_path) as study:
        done = study.run_counts()["done"]
        pruned = has_results(study)
    if not done and not pruned:
        raise RandRNNError(
            f"study '{study_path}' has no finished runs and no pruning results; run: "
            f"randrnn train-all --study {study_path} (or randrnn prune --study {study_path})"
        )
    runs = pd.DataFrame()
    if done:  # checked before anything is written
        runs = table.load_study(study_path, config=options.config, per_run=True)
        table.check_target(runs, options.target)
    with Study.open(study_path) as study:
        out_dir = Path(out) if out is not None else study.path / "report"
        if len(table.by_task(runs)) > 1 and data is not None:
            context(study, runs, options, out_dir, data)  # raises before anything is written
        out_dir.mkdir(parents=True, exist_ok=True)
        ctx = context(study, runs, options, out_dir, data)
        shown = page_sections(ctx, sections.SECTIONS)
    title = f"randrnn report: {Path(study_path).resolve().name}"
    path = out_dir / "report.html"
    path.write_text(render.page(title, shown), encoding="utf-8")
    return path
