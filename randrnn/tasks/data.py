"""Data sets of any task: seeded generation, the CSV files, and the data a run trains on.

A data split is a `pandas.DataFrame` with columns ``string`` (str) and ``valid`` (int 0/1), the
layout of the files ``train.csv`` and ``test.csv``. `make_dataset` draws n strings, half valid,
from random streams named after the task, the seed and their purpose (valid lengths, valid
strings, negatives, the split), so one seed gives the same files byte for byte, and checks every
label with the task's validator before anything is returned. How the test split is filled
(test strings never in train, longer test strings, or as drawn) is the split
(`randrnn.tasks.split`). `write_dataset` may add
``dataset.json`` beside the CSV files, naming the task, its negatives and how the set was made;
`task_data` reads it, so training on a folder knows its task.

`data/reber/` ships the default set of the ``reber`` task (n = 25,000, thesis negatives, seed 0,
split ``shuffled``: the thesis' split); every other task's default set is generated from seed 0
when a run asks for it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from randrnn.errors import RandRNNError
from randrnn.tasks.reber import REBER_LETTERS
from randrnn.tasks.recipe import DATA_VERSION, recipe_of
from randrnn.tasks.recipe import record as with_recipe
from randrnn.tasks.registry import DEFAULT_TASK, parse_spec, spec
from randrnn.tasks.split import (
    check_split,
    default_test_lengths,
    fill_test,
    stream,
)

DEFAULT_SEED = 0  # seed of the shipped data set in data/reber/
DEFAULT_N = 25_000  # strings in all, half valid (docs/method.md §2.3)
DEFAULT_NEGATIVES = "thesis"  # the reber task's default
DEFAULT_TEST_FRACTION = 0.25  # 18,750 train / 6,250 test for n = 25,000
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "reber"
COLUMNS = ("string", "valid")
INFO_FILE = "dataset.json"
SHIPPED = "shipped"  # the data key (and source) of the shipped set
SHIPPED_SPLIT = "shuffled"  # the shipped set's split (the thesis')
_stream = stream


def make_dataset(
    task: str = DEFAULT_TASK,
    *,
    negatives: str | None = None,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    max_length: int | None = None,
    split: str | None = None,
    test_lengths: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded data set of ``n`` strings of ``task`` (a name or spec), half valid, shuffled and
    split into (train, test). ``negatives``: the kind of invalid strings (default: the task's);
    ``max_length``: the longest training string (default: the task's); ``split``: how the test
    strings are chosen (default: the task's, `randrnn.tasks.split`); ``test_lengths``: (low,
    high) of the test strings of the split 'length'."""
    t, kind = parse_spec(task, negatives)
    longest = t.check_max_length(max_length)
    split, lengths = resolve_split(t, split, test_lengths, longest)
    if not 0 < test_fraction < 1:
        raise RandRNNError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n_test = round(n * test_fraction)
    if n <= 0 or n_test < 1 or n - n_test < 1:
        raise RandRNNError(f"n={n} is too small to split with test_fraction={test_fraction}")
    n_valid = n // 2
    prefix = t.stream_prefix
    valid = t.positives(
        n_valid, _stream(prefix, seed, "valid-lengths"), _stream(prefix, seed, "valid"), longest
    )
    invalid = t.negatives[kind].sample(
        n - n_valid, _stream(prefix, seed, f"negatives-{kind}"), longest
    )
    _verify(t.name, t.accepts, valid, True, (1, longest))
    _verify(t.name, t.accepts, invalid, False, (1, longest))
    rows = [(s, 1) for s in valid] + [(s, 0) for s in invalid]
    _stream(prefix, seed, "split").shuffle(rows)
    if split != SHIPPED_SPLIT:
        rows[n - n_test :] = _test_rows(
            t, kind, seed, rows[: n - n_test], rows[n - n_test :], lengths or (1, longest),
            redraw_all=split == "length",
        )  # fmt: skip
    df = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"string": object, "valid": "int64"})
    train = df.iloc[: n - n_test].reset_index(drop=True)
    test = df.iloc[n - n_test :].reset_index(drop=True)
    for name, split in (("train", train), ("test", test)):
        if split["valid"].nunique() < 2:
            raise RandRNNError(
                f"n={n} is too small for a balanced split: the {name} split holds "
                f"{'only valid' if split['valid'].iloc[0] else 'only invalid'} strings"
            )
    return train, test


def resolve_split(
    t, split: str | None, test_lengths: tuple[int, int] | None, longest: int
) -> tuple[str, tuple[int, int] | None]:
    """(split, test lengths): the task's split unless one is named, test lengths only (and
    always) for 'length', checked against the task and the longest training string."""
    split = check_split(split or t.split)
    if split != "length":
        if test_lengths is not None:
            raise RandRNNError(f"test lengths need --split length, not {split}")
        return split, None
    if not t.length_split:
        raise RandRNNError(f"task {t.name} has no split 'length' (its lengths are not uniform)")
    low, high = test_lengths or default_test_lengths(longest)
    if not longest < low <= high:
        raise RandRNNError(
            f"test lengths {low}-{high} must lie above the longest training string ({longest})"
        )
    return split, (low, high)


def _test_rows(t, kind: str, seed: int, train_rows: list, slots: list, span: tuple[int, int],
               redraw_all: bool) -> list:  # fmt: skip
    """The test rows of a split other than 'shuffled' (`randrnn.tasks.split.fill_test`): fresh
    strings of lengths in ``span`` from streams of their own, each checked with the validator."""
    prefix = t.stream_prefix
    lengths_rng, valid_rng = (
        _stream(prefix, seed, f"test-{p}") for p in ("valid-lengths", "valid")
    )
    negatives_rng = _stream(prefix, seed, f"test-negatives-{kind}")
    low, high = span
    extra = (low,) if low > 1 else ()  # tasks without a length split never get a min_length

    def draw(label: int, k: int) -> list[str]:
        if label:
            drawn = t.positives(k, lengths_rng, valid_rng, high, *extra)
        else:
            drawn = t.negatives[kind].sample(k, negatives_rng, high, *extra)
        _verify(t.name, t.accepts, drawn, bool(label), span)
        return drawn

    return fill_test(slots, {s for s, _ in train_rows}, draw, redraw_all, t.name)


def _verify(name: str, accepts, strings: Iterable[str], label: bool, span: tuple[int, int]) -> None:
    """Every string has the label its sampler claims and a length in span (else a bug)."""
    for s in strings:
        if bool(accepts(s)) != label or not span[0] <= len(s) <= span[1]:
            what = "a positive the validator rejects" if label else "a negative it accepts"
            raise RuntimeError(f"task {name}: the sampler made {what} (or of bad length): {s!r}")


def dataset_info(
    task: str, negatives: str | None = None, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION, max_length: int | None = None,
    split: str | None = None, test_lengths: tuple[int, int] | None = None,
) -> dict:  # fmt: skip
    """What ``dataset.json`` records about a generated set: enough to make it again (its
    recipe; ``version`` is `DATA_VERSION`)."""
    t, kind = parse_spec(task, negatives)
    longest = t.check_max_length(max_length)
    split, lengths = resolve_split(t, split, test_lengths, longest)
    return {
        "task": spec(t.name, kind),
        "negatives": kind,
        "n": n,
        "seed": seed,
        "test_fraction": test_fraction,
        "max_length": longest,
        "split": split,
        "test_lengths": None if lengths is None else list(lengths),
        "version": DATA_VERSION,
    }


# --------------------------------------------------------------------------- files


def csv_text(df: pd.DataFrame) -> str:
    """A split as the text of its CSV file."""
    return df.loc[:, list(COLUMNS)].to_csv(index=False, lineterminator="\n")


def _write_atomic(text: str, path: Path) -> None:
    """Write a file via a temporary file and os.replace, so readers never see half."""
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, newline=""
    ) as tmp:
        try:
            tmp.write(text)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, path)


def write_dataset(
    train: pd.DataFrame, test: pd.DataFrame, out_dir: str | Path, info: dict | None = None
) -> None:
    """Write ``train.csv`` and ``test.csv`` (columns string,valid) into ``out_dir``, each
    atomically, and ``dataset.json`` if ``info`` is given."""
    out = Path(out_dir)
    for name, df in (("train.csv", train), ("test.csv", test)):
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise RandRNNError(f"{name}: data frame lacks column(s) {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    for name, df in (("train.csv", train), ("test.csv", test)):
        _write_atomic(csv_text(df), out / name)
    if info is not None:
        _write_atomic(json.dumps(info, indent=1) + "\n", out / INFO_FILE)


_LABELS = MappingProxyType({"0": 0, "1": 1, "false": 0, "true": 1})


def read_split(path: str | Path) -> pd.DataFrame:
    """Read and validate one split CSV; any defect is a RandRNNError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise RandRNNError(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RandRNNError(f"{path}:{line}: character outside ASCII") from None
    if not text.strip():
        raise RandRNNError(f"{path}: file is empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RandRNNError(f"{path}:1: missing column(s) {', '.join(missing)} in header {header}")
    i_str, i_val = header.index("string"), header.index("valid")
    strings, labels = [], []
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            raise RandRNNError(f"{path}:{line}: expected {len(header)} fields, got {len(row)}")
        s, v = row[i_str], row[i_val].strip().lower()
        if not s:
            raise RandRNNError(f"{path}:{line}: empty string")
        if "\x00" in s:
            raise RandRNNError(f"{path}:{line}: NUL character (code 0 is the padding)")
        if v not in _LABELS:
            raise RandRNNError(
                f"{path}:{line}: valid must be 0/1 or true/false, got {row[i_val]!r}"
            )
        strings.append(s)
        labels.append(_LABELS[v])
    if not strings:
        raise RandRNNError(f"{path}: no data rows")
    return pd.DataFrame(
        {"string": pd.Series(strings, dtype=object), "valid": pd.Series(labels, dtype="int64")}
    )


def read_info(data_dir: str | Path) -> dict | None:
    """The ``dataset.json`` of a data folder (None if it has none)."""
    path = Path(data_dir) / INFO_FILE
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RandRNNError(f"{path}: not readable as JSON ({exc})") from None
    if not isinstance(found, dict) or not isinstance(found.get("task"), str):
        raise RandRNNError(f"{path}: expected an object with a 'task' name")
    return found


def cache_dir(seed: int = DEFAULT_SEED) -> Path:
    """Where the default data set is regenerated when the shipped folder is absent."""
    from randrnn.cache import cache_dir as root

    return root() / f"reber-{seed}"


def load_data(data_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) from `data_dir`; None means the shipped default set (regenerated if absent)."""
    if data_dir is None:
        if SHIPPED_DIR.is_dir():
            data_dir = SHIPPED_DIR
        else:
            data_dir = cache_dir(DEFAULT_SEED)
            if not ((data_dir / "train.csv").is_file() and (data_dir / "test.csv").is_file()):
                write_dataset(*make_dataset(split=SHIPPED_SPLIT), data_dir)
    d = Path(data_dir)
    if not d.is_dir():
        raise RandRNNError(f"{d}: no such data directory")
    return read_split(d / "train.csv"), read_split(d / "test.csv")


# --------------------------------------------------------------------------- a run's data


@dataclass(frozen=True)
class TaskData:
    """The data a run trains on, and how the run's config names it."""

    task: str  # the task spec, e.g. 'reber', 'reber:hard', 'tomita-4'
    train: pd.DataFrame
    test: pd.DataFrame
    key: str  # 'shipped' for the shipped set, else 16 hex digits of sha256 of the two CSV files
    source: str  # the folder read, 'shipped', or 'default' (the task's set made from seed 0)
    recipe: dict | None = None  # what made it (`randrnn.tasks.recipe`); None: a folder unsaid

    def record(self, study, data_dir: str | Path | None = None) -> None:
        """Note in ``study``'s metadata where this task's data came from (``data_dir``, resolved,
        if given): the reber source as ``data``, every task's in ``tasks``, and the recipe of
        its data key in ``recipes``."""
        source = str(Path(data_dir).resolve()) if data_dir else self.source
        if self.task == DEFAULT_TASK:
            study.set_meta("data", source)
        study.set_meta("tasks", {**(study.get_meta("tasks", {}) or {}), self.task: source})
        recipe = self.recipe or {"task": self.task, "source": source, "version": None}
        study.set_meta("recipes", with_recipe(study.get_meta("recipes"), self.key, recipe))


def content_key(parts: Iterable[bytes]) -> str:
    """16 hex digits of sha256 over the parts (the CSV files' bytes, train first)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:16]


def folder_key(data_dir: str | Path) -> str:
    """The data key of a folder: the hash of its train.csv and test.csv bytes."""
    d = Path(data_dir)
    return content_key(
        (d / name).read_bytes() for name in ("train.csv", "test.csv") if (d / name).exists()
    )


def task_data(
    task: str | None = None, negatives: str | None = None, data_dir: str | Path | None = None
) -> TaskData:
    """The data of a run: ``data_dir`` if given (its task from its ``dataset.json``, which must
    agree with ``task`` if both are given; else ``task``, default reber), otherwise the task's
    default set (the shipped one for plain ``reber``)."""
    if data_dir is not None:
        train, test = load_data(data_dir)
        found = read_info(data_dir)
        stated = spec(task or DEFAULT_TASK, negatives)
        recipe = None if found is None else recipe_of(found)
        if recipe is not None:
            # the recipe names the negatives as today (0.1's bare 'dyck-1' is 'dyck-1:edit')
            recorded = spec(recipe["task"])
            if (task is not None or negatives is not None) and recorded != stated:
                raise RandRNNError(
                    f"{data_dir} holds task {recorded} (its {INFO_FILE}), not {stated}"
                )
            stated = recorded
        return TaskData(stated, train, test, folder_key(data_dir), str(data_dir), recipe)
    stated = spec(task or DEFAULT_TASK, negatives)
    if stated == DEFAULT_TASK:
        train, test = load_data(None)
        recipe = dataset_info(stated, split=SHIPPED_SPLIT)
        return TaskData(stated, train, test, SHIPPED, SHIPPED, recipe)
    train, test = make_dataset(stated)
    key = content_key(csv_text(df).encode() for df in (train, test))
    return TaskData(stated, train, test, key, "default", dataset_info(stated))


def rebuild(recipe: dict | None, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) of the data set with data key ``key``, made again from its ``recipe``
    (`randrnn.tasks.recipe`): the shipped Reber set for key 'shipped', else the set the recipe
    generates, checked against the key. A recipe of a user's own folder, none, or one that makes
    another set raises ``RandRNNError``."""
    if key == SHIPPED:
        return load_data(None)
    if not recipe or recipe.get("source") not in (None, "default"):
        raise RandRNNError(f"data {key}: no recipe rebuilds it (a folder of its own?)")
    args = {k: recipe[k] for k in ("n", "seed", "test_fraction", "max_length") if k in recipe}
    lengths = recipe.get("test_lengths")
    train, test = make_dataset(
        recipe["task"], split=recipe.get("split"),
        test_lengths=tuple(lengths) if lengths else None, **args,
    )  # fmt: skip
    if content_key(csv_text(df).encode() for df in (train, test)) != key:
        raise RandRNNError(f"data {key}: its recipe makes another set (made by another randrnn?)")
    return train, test


# --------------------------------------------------------------------------- description


def describe(df: pd.DataFrame, alphabet: Iterable[str] = REBER_LETTERS) -> dict:
    """Counts, length min/max/mode per class and overall, and the share of invalid strings with
    letters outside ``alphabet`` (the task's letters; default Reber's)."""
    lengths = df["string"].str.len()
    out: dict[str, int | float | None] = {
        "n": len(df),
        "valid": int((df["valid"] == 1).sum()),
        "invalid": int((df["valid"] == 0).sum()),
    }
    for name, mask in (
        ("valid", df["valid"] == 1),
        ("invalid", df["valid"] == 0),
        ("all", df["valid"].notna()),
    ):
        ls = lengths[mask]
        empty = ls.empty
        out[f"{name}_len_min"] = None if empty else int(ls.min())
        out[f"{name}_len_max"] = None if empty else int(ls.max())
        out[f"{name}_len_mode"] = None if empty else int(ls.mode().min())
    letters = frozenset(alphabet)
    invalid = df.loc[df["valid"] == 0, "string"]
    foreign = sum(1 for s in invalid if not set(s) <= letters)
    out["invalid_foreign_share"] = None if invalid.empty else foreign / len(invalid)
    return out
