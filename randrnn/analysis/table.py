"""The results table the analysis reads: from a study or from any CSV, checked once, here.

A table has one row per trained model: a target column (default ``test_acc``), numeric property
columns and, optionally, a cell column (``cell``, or ``mode`` as in the thesis' own tables) and a
``generator`` column. Cell names are mapped to registry names (``RNN_Tanh`` → ``rnn_tanh``);
names the registry does not know are kept as given. Without a cell column every row is one group,
``all``.

One configuration per cell: a study may hold runs of one pair under several training configs
(epochs, data, batching). The analysis never mixes them: each cell uses its only config, or the
one chosen with ``config`` (a hash or a unique prefix of one), and otherwise `select_config`
stops with one line listing the configs and their run counts. A table with a ``config_hash``
column (a study, or a CSV written by ``randrnn results``) is checked the same way.

Tasks: a study may hold the same graphs trained on several tasks (`TrainConfig.task`). Unless
every run is of the reber task, a study's table has a ``task`` column (the config's task spec;
``reber`` for configs older than tasks), one config is chosen per (task, cell), and `by_task`
splits a table with two or more tasks so that every analysis runs per task; a table of one task
is analysed, and shown, as before.

Seed replicates: a study's runs are per replicate. By default the table has one row per
(graph, cell): the metrics averaged over its replicates and an integer ``replicates`` column
(`per_graph`); ``per_run=True`` keeps one row per run, with its ``replicate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from randrnn.errors import RandRNNError
from randrnn.graphs.properties import EXTRAS, FEATURES
from randrnn.models.cells import CELLS, get_cell
from randrnn.store import RESULT_COLUMNS, Study
from randrnn.tasks.registry import DEFAULT_TASK, TASKS

DEFAULT_TARGET = "test_acc"
TASK = "task"  # the column naming a run's task
ALL = "all"  # the group name when a table has no cell column
CELL_COLUMNS = ("cell", "mode")
# Columns that are never properties: ids, labels and training outcomes.
NOT_FEATURES = frozenset(
    {
        "graph_id", "id", "index", "seed", "config_hash", "generator", "cell", "mode", "name",
        "file", "test_acc", "test_loss", "train_acc", "train_loss", "train_seconds",
        "effective_params", "epochs", "accuracy", "acc", "loss", "replicate", "replicates",
        "worker_pid", "task",
    }
)  # fmt: skip
PROPERTIES = [*FEATURES, *EXTRAS]
# Properties that count something (nodes, layers, weights): integers in the results table.
COUNTS = frozenset(
    {
        "layers", "nodes", "edges", "source_nodes", "sink_nodes", "diameter", "widest_layer",
        "skip_edges", "dead_end_nodes", "longest_path", "connected_components",
        *(p for p in EXTRAS if p.startswith("params_")),
    }
)  # fmt: skip
# Columns of one run that mean nothing once replicates are averaged.
PER_RUN_ONLY = ("replicate", "worker_pid")
HASH_SHOWN = 8  # hex digits of a config hash shown in messages (any unique prefix is accepted)


def load_study(
    path: str | Path, *, config: str | None = None, per_run: bool = False
) -> pd.DataFrame:
    """The finished runs of the study at ``path``, one config per cell, cells normalised.

    ``config``: a config hash (or a unique prefix) to use; without it every cell must have runs
    under one config only. Default: one row per (graph, cell) with the metrics averaged over
    replicates and an integer ``replicates`` column; ``per_run``: one row per run.
    """
    with Study.open(path) as study:
        df = with_pruning(study, runs_frame(study))
        described = {c["config_hash"]: _with_task(c["config"]) for c in study.configs()}
    if df.empty:
        raise RandRNNError(
            f"study '{path}' has no finished runs; run: randrnn train-all --study {path}"
        )
    df = normalise(df, source=f"study '{path}'")
    df.attrs["study"] = str(path)  # where the graph-reading predictors find the graphs
    if {c[TASK] for c in described.values()} - {DEFAULT_TASK}:
        df = add_task(df, described)
    df = select_config(df, config, described)
    return df if per_run else per_graph(df)


def runs_frame(study: Study, config_hash: str | None = None) -> pd.DataFrame:
    """One row per done run (graph, cell, config, replicate), optionally of one config.

    Columns: ``store.RESULT_COLUMNS`` (graph_id, generator, seed, nodes, edges, cell,
    config_hash, replicate), then ``param_<key>`` per generator parameter, then every graph
    property, then every metric (a metric whose name is already a column gets a ``metric_``
    prefix). A property named ``nodes`` or ``edges`` shares the graph's column. Rows of
    several configs are all listed: `load_study` chooses one config per cell and averages
    replicates.
    """
    records = []
    for run in study.done_runs(config_hash):
        record = {name: run[name] for name in RESULT_COLUMNS}
        record.update({f"param_{k}": v for k, v in run["params"].items()})
        for key, value in run["properties"].items():
            if record.get(key) != value:  # the property 'nodes' (a float) keeps the int column
                record[key] = value
        for key, value in run["metrics"].items():
            clash = key in record and not key.startswith("metric_")
            record[f"metric_{key}" if clash else key] = value
        records.append(record)
    if not records:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    columns = list(dict.fromkeys(key for record in records for key in record))
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in columns:  # integers stay integers where some rows lack a value
        values = [record.get(column) for record in records]
        if frame[column].dtype.kind == "f" and _integers(values):
            frame[column] = pd.array(values, dtype="Int64")
    return frame


def _integers(values: list) -> bool:
    """Whether every value that is there is an int (bools are not)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present)


def _with_task(config: Mapping[str, object]) -> dict:
    """A stored config with its task spelled out (configs older than tasks are reber's)."""
    return {**config, TASK: config.get(TASK, DEFAULT_TASK)}


def add_task(df: pd.DataFrame, described: Mapping[str, dict]) -> pd.DataFrame:
    """``df`` with a last column ``task``: each run's config's task."""
    if df.empty or "config_hash" not in df.columns:
        return df
    tasks = [described.get(h, {}).get(TASK, DEFAULT_TASK) for h in df["config_hash"]]
    out = df.drop(columns=[TASK], errors="ignore").assign(**{TASK: tasks})
    out.attrs.update(df.attrs)
    return out


def tasks_of(df: pd.DataFrame) -> list[str]:
    """The tasks of a table, registry order (unknown specs after, sorted); [] without a column."""
    if TASK not in df.columns:
        return []
    order = list(TASKS)
    return sorted(set(df[TASK].astype(str)), key=lambda t: (
        order.index(t.split(":")[0]) if t.split(":")[0] in order else len(order), t))  # fmt: skip


def is_reber(df: pd.DataFrame) -> bool:
    """Whether the rows are of the thesis' task (no task column: a CSV, taken as the thesis')."""
    return tasks_of(df) in ([], [DEFAULT_TASK])


def by_task(df: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """[(task, its rows)] for a table of two or more tasks, else [(None, the table)]."""
    names = tasks_of(df)
    if len(names) < 2:
        return [(None, df)]
    parts = []
    for name in names:
        rows = df[df[TASK].astype(str) == name].reset_index(drop=True)
        rows.attrs.update(df.attrs)
        parts.append((name, rows))
    return parts


def with_pruning(study: Study, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a study's runs) with the per-graph pruning columns of the runs' models, if the
    study pruned any (`randrnn.pruning.results.graph_columns`: ``safe_level_<tag>``,
    ``acc_<tag>_<level>``, ...; NaN for runs not pruned)."""
    from randrnn.pruning.results import GRAPH_KEYS, graph_columns

    pruned = graph_columns(study)
    if df.empty or pruned.empty:
        return df
    return df.merge(pruned, on=GRAPH_KEYS, how="left")


def select_config(
    df: pd.DataFrame, config: str | None = None, described: Mapping[str, dict] | None = None
) -> pd.DataFrame:
    """The rows of one config per (task, cell): all rows of ``config`` (a hash or unique prefix),
    or, without it, the table itself if no cell of a task has runs under two configs; otherwise
    one error line listing that cell's configs (with the settings that differ, from
    ``described``: hash → config dict) and their run counts. A table without a ``config_hash``
    column is one config."""
    source = df.attrs.get("source", "table")
    if "config_hash" not in df.columns:
        if config is not None:
            raise RandRNNError(f"--config {config}: {source} has no config_hash column")
        return df
    hashes = df["config_hash"].astype(str)
    if config is not None:
        chosen = resolve_config(config, hashes.unique())
        kept = df[hashes == chosen].reset_index(drop=True)
        kept.attrs.update(df.attrs)
        return kept
    cells = df["cell"] if "cell" in df.columns else pd.Series(ALL, index=df.index)
    tasks = df[TASK].astype(str) if TASK in df.columns else pd.Series("", index=df.index)
    several = tasks.nunique() > 1
    for task, cell in sorted(set(zip(tasks, cells)), key=lambda tc: (tc[0], _cell_order(tc[1]))):
        counts = hashes[(cells == cell) & (tasks == task)].value_counts()
        if len(counts) > 1:
            ordered = sorted(counts.index, key=lambda h: (-counts[h], h))
            settings = differing([(described or {}).get(h, {}) for h in ordered])
            listed = ", ".join(
                f"{h[:HASH_SHOWN]} ({'; '.join([*filter(None, [text]), f'{counts[h]} runs'])})"
                for h, text in zip(ordered, settings)
            )
            raise RandRNNError(
                f"cell {cell}{f' of task {task}' if several else ''} has runs under "
                f"{len(counts)} configs: {listed}; choose one with --config"
            )
    return df


def resolve_config(text: str, hashes: Sequence[str]) -> str:
    """The one hash of ``hashes`` that starts with ``text`` (case-insensitive), else one error."""
    wanted = text.strip().lower()
    found = sorted({h for h in hashes if wanted and h.startswith(wanted)})
    shown = ", ".join(sorted(h[:HASH_SHOWN] for h in set(hashes)))
    if not found:
        raise RandRNNError(
            f"unknown config '{text}'; configs with finished runs: {shown or 'none'} "
            "(list them with: randrnn results --configs)"
        )
    if len(found) > 1:
        raise RandRNNError(
            f"config '{text}' matches {len(found)} configs ({', '.join(found)}); give more digits"
        )
    return found[0]


def differing(configs: Sequence[Mapping[str, object]]) -> list[str]:
    """For each config, 'key=value, ...' of the settings that differ between ``configs``
    (a setting one config lacks shows as '-')."""
    keys = list(dict.fromkeys(k for c in configs for k in c))
    varied = [k for k in keys if len({repr(c.get(k, "-")) for c in configs}) > 1]
    return [", ".join(f"{k}={c.get(k, '-')}" for k in varied) for c in configs]


def per_graph(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (graph, cell, config): numeric columns that vary between replicates (the
    metrics) averaged, every other column as it is, and an integer ``replicates`` column in
    place of ``replicate``. A table without a ``replicate`` column has one run per graph."""
    if "replicate" not in df.columns or "graph_id" not in df.columns:
        out = df.copy()
        if "replicates" not in out.columns:
            out["replicates"] = 1
        return out
    keys = [c for c in ("graph_id", "cell", "config_hash") if c in df.columns]
    body = df.drop(columns=[c for c in PER_RUN_ONLY if c in df.columns])
    grouped = body.groupby(keys, sort=False, dropna=False)
    rest = [c for c in body.columns if c not in keys]
    varies = grouped[rest].nunique(dropna=False).max() > 1 if rest else pd.Series(dtype=bool)
    numeric = {c for c in rest if pd.api.types.is_numeric_dtype(body[c])}
    how = {c: "mean" if varies[c] and c in numeric else "first" for c in rest}
    out = grouped.agg(how) if how else grouped.size().to_frame("replicates")
    out["replicates"] = grouped.size()
    out = out.reset_index()
    where = list(df.columns).index("replicate")
    columns = [c for c in df.columns if c in out.columns and c != "replicates"]
    columns.insert(min(where, len(columns)), "replicates")
    out = out[columns]
    out.attrs.update(df.attrs)
    return out


def results_table(path: str | Path, config: str | None = None) -> pd.DataFrame:
    """Every finished run of the study, optionally of one config (a hash or unique prefix);
    with a ``task`` column when some run's task is not reber."""
    with Study.open(path) as study:
        df = runs_frame(study)
        described = {c["config_hash"]: _with_task(c["config"]) for c in study.configs()}
    if {c[TASK] for c in described.values()} - {DEFAULT_TASK}:  # the task beside the cell
        df = add_task(df, described)
        columns = [c for c in df.columns if c != TASK]
        at = columns.index("cell") + 1
        df = df[[*columns[:at], TASK, *columns[at:]]]
    if config is not None:
        chosen = resolve_config(config, [] if df.empty else df["config_hash"].unique())
        df = df[df["config_hash"] == chosen].reset_index(drop=True)
    return integer_counts(df)


def curves_table(path: str | Path, config: str | None = None) -> pd.DataFrame:
    """The learning curves of the study's finished runs in long form: one row per (run, epoch)
    with graph, cell, config, replicate and the epoch's train and test loss and accuracy
    (`randrnn.store.curves`); optionally one config's (a hash or unique prefix). A study trained
    before curves were recorded, or with ``--no-curves``, gives an empty table with the columns."""
    from randrnn.store.curves import CURVE_COLUMNS

    with Study.open(path) as study:
        df = pd.DataFrame(study.curves(), columns=CURVE_COLUMNS)
        hashes = [c["config_hash"] for c in study.configs()]
    if config is not None:
        chosen = resolve_config(config, sorted(set(hashes)))
        df = df[df["config_hash"] == chosen].reset_index(drop=True)
    return df


def integer_counts(df: pd.DataFrame) -> pd.DataFrame:
    """The count properties (`COUNTS`) as integer columns where every value is whole."""
    df = df.copy()
    for column in COUNTS & set(df.columns):
        values = pd.to_numeric(df[column], errors="coerce")
        present = values.dropna()
        if len(present) and (present == present.round()).all():
            df[column] = values.round().astype("Int64")
    return df


def config_table(path: str | Path) -> pd.DataFrame:
    """The study's configs with finished runs: one row per (config, cell) with the settings
    that differ between configs (``epochs`` always), runs, graphs and replicates."""
    with Study.open(path) as study:
        configs = study.configs()
    columns = ["config_hash", "cell", "runs", "graphs", "replicates"]
    if not configs:
        return pd.DataFrame(columns=columns)
    by_hash = {c["config_hash"]: _with_task(c["config"]) for c in configs}
    keys = list(dict.fromkeys(k for c in by_hash.values() for k in c))
    varied = [
        k for k in keys if k == "epochs" or len({repr(c.get(k, "-")) for c in by_hash.values()}) > 1
    ]
    rows = [
        {
            "config_hash": c["config_hash"],
            **{k: by_hash[c["config_hash"]].get(k, "-") for k in varied},
            **{k: c[k] for k in columns[1:]},
        }
        for c in configs
    ]
    return pd.DataFrame(rows, columns=["config_hash", *varied, *columns[1:]])


def load_csv(path: str | Path) -> pd.DataFrame:
    """A results table from a CSV file (thesis layout accepted), cells normalised."""
    path = Path(path)
    if not path.is_file():
        raise RandRNNError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype={"config_hash": str})  # a hash may look like a number
    except (ValueError, OSError) as exc:  # pandas' parser errors are ValueErrors
        raise RandRNNError(f"{path}: cannot read as CSV ({exc})") from exc
    df = df.loc[:, [c for c in df.columns if not str(c).startswith("Unnamed:")]]
    if df.empty:
        raise RandRNNError(f"{path}: no rows")
    return normalise(df, source=str(path))


def load(
    study: str | Path | None = None,
    csv: str | Path | None = None,
    *,
    config: str | None = None,
    per_run: bool = False,
) -> pd.DataFrame:
    """The table from ``csv`` if given, else from the study (default ``./study``), one config
    per cell (`select_config`); per (graph, cell) unless ``per_run`` (see `load_study`). A CSV
    with ``config_hash`` or ``replicate`` columns (``randrnn results``) is treated like a study;
    any other CSV already has one run per graph."""
    if study is not None and csv is not None:
        raise RandRNNError("give either --study or --from, not both")
    if csv is not None:
        df = select_config(load_csv(csv), config)
        return df if per_run else per_graph(df)
    return load_study(study if study is not None else "study", config=config, per_run=per_run)


def normalise(df: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """A copy with a ``cell`` column of registry names (from ``cell`` or ``mode``) when present."""
    df = df.copy()
    df.attrs["source"] = source
    column = next((c for c in CELL_COLUMNS if c in df.columns), None)
    if column is not None:
        df["cell"] = df[column].astype(str).map(_cell_name)
    return df


def select_cells(df: pd.DataFrame, cells: str | Sequence[str] | None) -> pd.DataFrame:
    """The rows of the given cells ('gru,lstm' or a list; registry names or thesis labels);
    None: every row. A cell with no rows is one error line naming the cells present."""
    if cells is None:
        return df
    wanted = [c.strip() for c in (cells.split(",") if isinstance(cells, str) else cells)]
    wanted = [c for c in wanted if c]
    if not wanted:
        return df
    if "cell" not in df.columns:
        raise RandRNNError(f"--cells {','.join(wanted)}: the table has no cell (or mode) column")
    present = set(df["cell"])
    names = []
    for name in wanted:
        if _cell_name(name) not in present:
            shown = ", ".join(sorted(present, key=_cell_order))
            raise RandRNNError(f"no rows for cell '{name}' (cells present: {shown})")
        names.append(_cell_name(name))
    kept = df[df["cell"].isin(names)].reset_index(drop=True)
    kept.attrs.update(df.attrs)
    return kept


def _cell_name(name: str) -> str:
    try:
        return get_cell(name).name
    except RandRNNError:
        return name


def cell_label(name: str) -> str:
    """The thesis' label of a registry cell name ('gru' → 'GRU'); other names unchanged."""
    return CELLS[name].label if name in CELLS else name


def check_target(
    df: pd.DataFrame,
    target: str,
    explain: Callable[[list[str], str, str], str | None] | None = None,
) -> None:
    """Fail once, clearly, if the target column is missing or not numeric. ``explain``
    (columns, target, source) → a better line for a missing target, or None: the command passes
    `randrnn.pruning.results.missing_target`, which knows the pruning columns' names."""
    if target not in df.columns:
        better = explain and explain(list(df.columns), target, df.attrs.get("source", "table"))
        if better:
            raise RandRNNError(better)
        shown = ", ".join(map(str, df.columns[:12])) + (", ..." if len(df.columns) > 12 else "")
        raise RandRNNError(
            f"{df.attrs.get('source', 'table')} has no target column '{target}' "
            f"(columns: {shown}); choose one with --target"
        )
    _numeric(df, [target])


def default_features(df: pd.DataFrame, target: str) -> list[str]:
    """The known properties present (docs/method.md §6 order, extras after), else every other column."""
    known = [c for c in PROPERTIES if c in df.columns]
    if known:
        return known
    return [c for c in df.columns if c != target and str(c).lower() not in NOT_FEATURES]


def check_features(df: pd.DataFrame, features: Sequence[str], target: str) -> list[str]:
    """Validate feature names: present, not the target, numeric. Returns them as a list."""
    features = list(dict.fromkeys(features))
    if not features:
        raise RandRNNError(f"{df.attrs.get('source', 'table')} has no property columns to analyse")
    missing = [f for f in features if f not in df.columns]
    if missing:
        known = ", ".join(default_features(df, target)) or "none"
        raise RandRNNError(f"unknown feature column(s) {', '.join(missing)}; present: {known}")
    if target in features:
        raise RandRNNError(f"the target '{target}' cannot also be a feature")
    _numeric(df, features)
    return features


def _numeric(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Every column numeric (bools count), or one error naming the columns and a bad value."""
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        col = bad[0]
        values = df[col].dropna()
        odd = values[pd.to_numeric(values, errors="coerce").isna()]
        example = odd.iloc[0] if len(odd) else values.iloc[0] if len(values) else None
        raise RandRNNError(
            f"{df.attrs.get('source', 'table')}: column(s) {', '.join(map(str, bad))} are not "
            f"numeric (e.g. {col}={example!r}); give numeric columns or pick --features"
        )


def groups(
    df: pd.DataFrame, cell: str | None = None, by: str | None = None
) -> Iterator[tuple[tuple[str, object], pd.DataFrame]]:
    """Yield ((cell, by-value or None), rows) per cell (registry order) and optional ``by``."""
    if cell is not None:
        wanted = _cell_name(cell)
        if "cell" not in df.columns:
            raise RandRNNError(f"--cell {cell}: the table has no cell (or mode) column")
        if wanted not in set(df["cell"]):
            present = ", ".join(sorted(set(df["cell"])))
            raise RandRNNError(f"no rows for cell '{cell}' (cells present: {present})")
        df = df[df["cell"] == wanted]
    if by is not None and by not in df.columns:
        raise RandRNNError(f"--by {by}: the table has no '{by}' column")
    cells = [ALL] if "cell" not in df.columns else sorted(set(df["cell"]), key=_cell_order)
    for name in cells:
        rows = df if name == ALL else df[df["cell"] == name]
        if by is None:
            yield (name, None), rows
        else:
            for value in sorted(set(rows[by]), key=str):
                yield (name, value), rows[rows[by] == value]


def _cell_order(name: str) -> tuple[int, str]:
    order = list(CELLS)
    return (order.index(name) if name in order else len(order), name)


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-style pipe table (`tabulate`) of a frame of strings, numbers right-aligned."""
    from tabulate import tabulate

    cols = [str(c) for c in frame.columns]
    rows = [["" if pd.isna(v) else str(v).replace("|", "\\|") for v in r] for r in frame.to_numpy()]
    numeric = [
        all(_looks_numeric(r[i]) for r in rows if r[i]) and any(r[i] for r in rows)
        for i in range(len(cols))
    ]
    align = ["right" if n else "left" for n in numeric]
    return tabulate(rows, cols, tablefmt="pipe", colalign=align, disable_numparse=True)


def _looks_numeric(text: str) -> bool:
    head = text.split(" ")[0].rstrip("*±")
    try:
        float(head.replace("−", "-"))
    except ValueError:
        return False
    return True


def is_missing(value: object) -> bool:
    """Whether a value does not exist: None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: object, digits: int = 3, missing: str = "", whole: bool = False) -> str:
    """A value as table text: a float with ``digits`` decimals (``whole``: a whole float as an
    integer), ``missing`` for None or NaN, anything else as ``str``."""
    if is_missing(value):
        return missing
    if not isinstance(value, float):
        return str(value)
    if whole and abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.{digits}f}"
