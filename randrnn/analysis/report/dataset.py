"""Section "Data set": where the strings come from, their statistics, and per analysed cell the
trivial baselines on the strings its runs saw (learned on its training strings, scored on its
test strings, ``max_train``/``max_test`` subsets included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from randrnn import reber
from randrnn.analysis import table
from randrnn.analysis.report.elements import MISSING, Figures, Paragraph, frame_table
from randrnn.errors import RandRNNError
from randrnn.tasks.baselines import rules as baseline_rules
from randrnn.tasks.registry import DEFAULT_TASK, parse_spec

TITLE = "Data set"


@dataclass(frozen=True)
class DataSet:
    """The data set and its baselines; ``error`` set (the rest empty) when it cannot be read."""

    where: str = ""
    task: str | None = None
    baselines: pd.DataFrame = field(default_factory=pd.DataFrame)  # baseline × test-set column
    statistics: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_cell: dict[str, dict[str, float]] = field(default_factory=dict)
    subset: bool = False
    error: str = ""


def load_data(
    meta: dict, data: str | Path | None, task: str | None = None, key: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, where) of the study's data set: --data, else meta 'data', else the default.
    A task other than reber: its folder (meta 'tasks') or its default set; where the runs'
    data ``key`` names another set (one made by an older randrnn), the set its recorded recipe
    (meta 'recipes') rebuilds, and an error if that is not the set the runs trained on."""
    if data is None and task not in (None, DEFAULT_TASK):
        from randrnn.tasks.data import task_data

        source = (meta.get("tasks") or {}).get(task)
        found = task_data(task, None, None if source in (None, "default") else source)
        where = "the task's default set" if found.source == "default" else found.source
        if key is not None and found.key != key:
            return rebuilt(meta, key, task)
        return found.train, found.test, f"{where} ({task})"
    value = data if data is not None else meta.get("data")
    if isinstance(value, dict):
        value = value.get("dir") or value.get("path")
    if value is None or str(value) in ("", "default", "shipped"):
        train, test = reber.load_data(None)
        return train, test, "the default data set (randrnn.reber.load_data())"
    if not Path(str(value)).is_dir():
        raise RandRNNError(f"data folder '{value}' not found (pass --data DIR)")
    train, test = reber.load_data(value)
    return train, test, str(value)


def rebuilt(meta: dict, key: str, task: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The set of data key ``key`` rebuilt from its recipe in the study meta ('recipes'); an
    error where there is none or it makes another set (a folder of the user's own, say)."""
    from randrnn.tasks.data import rebuild

    recipe = (meta.get("recipes") or {}).get(key)
    try:
        train, test = rebuild(recipe, key)
    except RandRNNError:
        raise RandRNNError(
            f"the runs of {task} trained on data {key}, which no recipe rebuilds"
        ) from None
    return train, test, f"the set its recipe rebuilds ({recipe['task']}, split {recipe['split']})"


def subsample(df: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """The rows a run with ``max_train``/``max_test`` = ``limit`` saw: the seeded subset
    `randrnn.training.loop.encode_split` draws (all rows without a limit)."""
    if limit is None or limit >= len(df):
        return df
    return df.sample(n=limit, random_state=seed).sort_index()


def compute(
    meta: dict, data: str | Path | None, configs: dict[str, dict], task: str | None = None
) -> DataSet:
    """The data set of ``task`` (None: the study's Reber set) and the baselines per cell."""
    try:
        keys = {cfg.get("data") for cfg in (configs or {}).values()} - {None}
        key = next(iter(keys)) if len(keys) == 1 else None
        train, test, where = load_data(meta, data, task, key)
    except (RandRNNError, OSError) as exc:
        return DataSet(error=f"Data set not available: {exc}")
    settings: dict[tuple, list[str]] = {}
    for cell, cfg in (configs or {"": {}}).items():
        key = (cfg.get("max_train"), cfg.get("max_test"), int(cfg.get("seed", 0) or 0))
        settings.setdefault(key, []).append(cell)
    columns, by_cell = {}, {}
    for (max_train, max_test, seed), cells in settings.items():
        seen_train, seen_test = subsample(train, max_train, seed), subsample(test, max_test, seed)
        base = reber.baselines(seen_train, seen_test)
        for cell in cells:
            by_cell[cell] = base
        labels = ", ".join(table.cell_label(c) for c in cells if c)
        heading = f"{len(seen_test):,} test strings" + (f" ({labels})" if labels else "")
        columns[heading] = base
    frame = pd.DataFrame(
        {"trivial baseline (learned on train)": list(next(iter(columns.values())))}
        | {h: [f"{v:.4f}" for v in base.values()] for h, base in columns.items()}
    )
    letters = reber.REBER_LETTERS if task is None else parse_spec(task)[0].alphabet
    stats = {"train": reber.describe(train, letters), "test": reber.describe(test, letters)}
    desc = pd.DataFrame(
        [{"statistic": key} | {name: table.fmt(st[key], missing=MISSING) for name, st in stats.items()}
         for key in stats["train"]]
    )  # fmt: skip
    subset = any(k[0] is not None or k[1] is not None for k in settings)
    return DataSet(where, task, frame, desc, {c: b for c, b in by_cell.items() if c}, subset)


def render(found: DataSet, figures: Figures) -> tuple:
    if found.error:
        return (Paragraph(found.error),)
    how = (
        "Each baseline is learned on the training strings the models trained on and scored on "
        "the test strings they were scored on"
        + (
            " (the runs used a seeded subset of the data: max_train / max_test)."
            if found.subset
            else " (all of them)."
        )
    )
    return (
        Paragraph(
            f"{'Reber strings' if found.task in (None, DEFAULT_TASK) else 'Strings'} from "
            f"{found.where}. An accuracy means something only above these trivial "
            f"rules: {baseline_rules()}. " + how
        ),
        frame_table(found.baselines, "trivial baselines, test accuracy"),
        frame_table(found.statistics, "train and test splits (the whole data set)", "not defined"),
    )
