"""The results table the analysis reads: from a study or from any CSV, checked once, here.

A table has one row per trained model: a target column (default ``test_acc``), numeric property
columns and, optionally, a cell column (``cell``, or ``mode`` as in the thesis' own tables) and a
``generator`` column. Cell names are mapped to registry names (``RNN_Tanh`` → ``rnn_tanh``);
names the registry does not know are kept as given. Without a cell column every row is one group,
``all``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from randrnn.errors import RandRNNError
from randrnn.graphs.properties import EXTRAS, FEATURES
from randrnn.models.cells import CELLS, get_cell
from randrnn.store import Study

DEFAULT_TARGET = "test_acc"
ALL = "all"  # the group name when a table has no cell column
CELL_COLUMNS = ("cell", "mode")
# Columns that are never properties: ids, labels and training outcomes.
NOT_FEATURES = frozenset(
    {
        "graph_id", "id", "index", "seed", "config_hash", "generator", "cell", "mode", "name",
        "file", "test_acc", "test_loss", "train_acc", "train_loss", "train_seconds",
        "effective_params", "epochs", "accuracy", "acc", "loss",
    }
)  # fmt: skip
PROPERTIES = [*FEATURES, *EXTRAS]


def load_study(path: str | Path) -> pd.DataFrame:
    """The finished runs of the study at ``path`` (``Study.results()``), cells normalised."""
    with Study.open(path) as study:
        df = study.results()
    if df.empty:
        raise RandRNNError(
            f"study '{path}' has no finished runs; run: randrnn train-all --study {path}"
        )
    return normalise(df, source=f"study '{path}'")


def load_csv(path: str | Path) -> pd.DataFrame:
    """A results table from a CSV file (thesis layout accepted), cells normalised."""
    path = Path(path)
    if not path.is_file():
        raise RandRNNError(f"{path}: no such file")
    try:
        df = pd.read_csv(path)
    except (ValueError, OSError) as exc:  # pandas' parser errors are ValueErrors
        raise RandRNNError(f"{path}: cannot read as CSV ({exc})") from exc
    df = df.loc[:, [c for c in df.columns if not str(c).startswith("Unnamed:")]]
    if df.empty:
        raise RandRNNError(f"{path}: no rows")
    return normalise(df, source=str(path))


def load(study: str | Path | None = None, csv: str | Path | None = None) -> pd.DataFrame:
    """The table from ``csv`` if given, else from the study (default ``./study``)."""
    if study is not None and csv is not None:
        raise RandRNNError("give either --study or --from, not both")
    if csv is not None:
        return load_csv(csv)
    return load_study(study if study is not None else "study")


def normalise(df: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """A copy with a ``cell`` column of registry names (from ``cell`` or ``mode``) when present."""
    df = df.copy()
    df.attrs["source"] = source
    column = next((c for c in CELL_COLUMNS if c in df.columns), None)
    if column is not None:
        df["cell"] = df[column].astype(str).map(_cell_name)
    return df


def _cell_name(name: str) -> str:
    try:
        return get_cell(name).name
    except RandRNNError:
        return name


def cell_label(name: str) -> str:
    """The thesis' label of a registry cell name ('gru' → 'GRU'); other names unchanged."""
    return CELLS[name].label if name in CELLS else name


def check_target(df: pd.DataFrame, target: str) -> None:
    """Fail once, clearly, if the target column is missing or not numeric."""
    if target not in df.columns:
        shown = ", ".join(map(str, df.columns[:12])) + (", ..." if len(df.columns) > 12 else "")
        raise RandRNNError(
            f"{df.attrs.get('source', 'table')} has no target column '{target}' "
            f"(columns: {shown}); choose one with --target"
        )
    _numeric(df, [target])


def default_features(df: pd.DataFrame, target: str) -> list[str]:
    """The known properties present (SPEC §6 order, extras after), else every other column."""
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
    """A GitHub-style pipe table of a frame of strings (numbers right-aligned)."""
    cols = [str(c) for c in frame.columns]
    rows = [["" if pd.isna(v) else str(v).replace("|", "\\|") for v in r] for r in frame.to_numpy()]
    numeric = [
        all(_looks_numeric(r[i]) for r in rows if r[i]) and any(r[i] for r in rows)
        for i in range(len(cols))
    ]
    lines = ["| " + " | ".join(cols) + " |"]
    lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    head = text.split(" ")[0].rstrip("*±")
    try:
        float(head.replace("−", "-"))
    except ValueError:
        return False
    return True


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals; '' for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}"
