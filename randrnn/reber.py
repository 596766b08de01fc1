"""The Reber grammar task: grammars, seeded samplers, data sets, trivial baselines, encoding.

A Reber string is a walk through a small automaton (docs/method.md §2)::

    state 0: B->1    state 1: T->2, P->3    state 2: S->2, X->4    state 3: T->3, V->5
    state 4: X->3, S->6    state 5: P->4, V->6    state 6: E->end

The task is binary: is a string valid (label 1) or not (label 0)? One example, end to end::

    string  "BTXSE"                      valid: 0 -B-> 1 -T-> 2 -X-> 4 -S-> 6 -E-> end
    row     BTXSE,1                      (train.csv / test.csv: columns string,valid)
    encode  codes   [[66, 84, 88, 83, 69]]   ASCII codes: B=66 T=84 X=88 S=83 E=69
            lengths [5]

In a batch with the 7-letter invalid string "BTXSSPE" the short string is padded with zeros to
the longest one: codes ``[[66, 84, 88, 83, 69, 0, 0], [66, 84, 88, 83, 83, 80, 69]]``, lengths
``[5, 7]``; a model reads each string's output at step ``lengths - 1``, never in the padding.

Lengths. A plain uniform walk gives short strings (most are under 10 letters), while the thesis'
data set has lengths 11 to 53, valid strings peaking at 22-24, invalid ones at 17-19, overall
mode 22. We reach these numbers by first drawing a target length from a per-class length
distribution and then drawing a walk *conditioned on that length*: at each state the next symbol
is chosen with probability proportional to the number of ways to finish the string in exactly
the remaining letters (counted once by dynamic programming). Every state of the Reber automaton
(and of the embedded one) has one or two outgoing symbols, and all strings of one length make
the same number of two-way choices, so this is exactly the uniform walk of docs/method.md §2 conditioned on
its length, i.e. rejection sampling on the target length without the rejections: 25,000 strings
take well under a second.

The length distributions are discretised, shifted gamma densities on 11..53,
``p(L) ~ (L-10)^(k-1) exp(-(L-10)/theta)`` with ``(k-1) theta = mode - 10``:
valid strings mode 23, shape 10 (``VALID_LENGTHS``); invalid strings mode 18, shape 3
(``INVALID_LENGTHS``, wider and shorter on average, reaching 53). Their 50/50 mixture peaks at
22 (a sample's mode falls at 21-23), and length alone predicts the label of the shipped set with
about 66% test accuracy: that is the bar a model must clear (see ``baselines``).

Negatives (registry ``NEGATIVES``):

- ``thesis``: like the thesis' set. 56% (``FOREIGN_SHARE``) are length-conditioned walks over the
  same automaton with the inner letters T, P, S, X, V renamed to A, C, D, F, G (letters outside
  BEPSTVX; B and E kept as frame); the rest are valid strings with 1 to 3 inner letters replaced by
  other Reber letters, kept only if invalid. All are drawn at ``INVALID_LENGTHS``. The thesis does
  not say how its Reber-letter negatives were made; this is our documented choice.
- ``hard``: Reber letters only, drawn at ``VALID_LENGTHS`` (length-matched to the valid strings),
  each exactly one edit (substitute, insert, delete, adjacent swap) from a valid string and
  checked invalid. Length-only and letter-set baselines are near chance on it.

The embedded Reber grammar (Hochreiter & Schmidhuber 1997: B, T or P, a Reber string, the same T
or P, E) is the same machinery over a larger automaton (``grammar="embedded"``).

All randomness is passed in (a ``random.Random`` or an int seed); nothing touches global state.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import torch

from randrnn.errors import RandRNNError

REBER_LETTERS = frozenset("BEPSTVX")
DEFAULT_SEED = 0  # seed of the shipped data set in data/reber/
DEFAULT_N = 25_000  # strings in all, half valid (docs/method.md §2)
DEFAULT_NEGATIVES = "thesis"
DEFAULT_GRAMMAR = "reber"
DEFAULT_TEST_FRACTION = 0.25  # 18,750 train / 6,250 test for n = 25,000
FOREIGN_SHARE = 0.56  # share of thesis negatives made of letters outside BEPSTVX
FOREIGN_LETTERS = MappingProxyType({"T": "A", "P": "C", "S": "D", "X": "F", "V": "G"})
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "data" / "reber"
COLUMNS = ("string", "valid")
END = -1  # the end state of every automaton

Rng = random.Random | int


def _rng(rng: Rng) -> random.Random:
    """A `random.Random` from a generator (used as is) or an int seed."""
    return rng if isinstance(rng, random.Random) else random.Random(rng)


# --------------------------------------------------------------------------- grammars


@dataclass(frozen=True)
class Grammar:
    """A finite automaton: `transitions` lists (state, symbol, next state); END ends a string."""

    name: str
    transitions: tuple[tuple[int, str, int], ...]
    start: int = 0

    @cached_property
    def _step(self) -> Mapping[tuple[int, str], int]:
        """(state, symbol) -> next state, built once per grammar."""
        return MappingProxyType({(s, sym): nxt for s, sym, nxt in self.transitions})

    def outgoing(self, state: int) -> tuple[tuple[str, int], ...]:
        """The (symbol, next state) pairs leaving `state`, in table order."""
        return tuple((sym, nxt) for s, sym, nxt in self.transitions if s == state)

    @property
    def alphabet(self) -> str:
        """The grammar's letters, sorted."""
        return "".join(sorted({sym for _, sym, _ in self.transitions}))

    def accepts(self, s: str) -> bool:
        """True iff `s` walks from the start state to END exactly."""
        step = self._step
        state = self.start
        for ch in s:
            if state == END or (state, ch) not in step:
                return False
            state = step[(state, ch)]
        return state == END

    def walk(self, rng: Rng) -> str:
        """One uniform walk (docs/method.md §2): each state picks uniformly among its outgoing symbols."""
        rng = _rng(rng)
        out, state = [], self.start
        while state != END:
            sym, state = rng.choice(self.outgoing(state))
            out.append(sym)
        return "".join(out)

    def counts(self, max_length: int) -> dict[int, list[int]]:
        """counts[state][r] = number of strings of exactly r letters leading from state to END."""
        states = {s for s, _, _ in self.transitions} | {END}
        counts = {s: [0] * (max_length + 1) for s in states}
        counts[END][0] = 1
        for r in range(1, max_length + 1):
            for s, _, nxt in self.transitions:
                counts[s][r] += counts[nxt][r - 1]
        return counts

    def sample(self, lengths: Sequence[int], rng: Rng) -> list[str]:
        """One uniform walk conditioned on each requested length (see the module docstring)."""
        rng = _rng(rng)
        if not lengths:
            return []
        counts = self.counts(max(lengths))
        table = {s: self.outgoing(s) for s in counts if s != END}
        strings = []
        for length in lengths:
            if length < 0 or counts[self.start][length] == 0:
                raise RandRNNError(f"grammar {self.name!r} has no string of length {length}")
            out, state, left = [], self.start, length
            while state != END:
                pick = rng.randrange(counts[state][left])
                for sym, nxt in table[state]:
                    if pick < counts[nxt][left - 1]:
                        break
                    pick -= counts[nxt][left - 1]
                out.append(sym)
                state, left = nxt, left - 1
            strings.append("".join(out))
        return strings

    def relabel(self, mapping: Mapping[str, str], name: str) -> Grammar:
        """The same automaton with symbols renamed by `mapping` (others kept)."""
        return Grammar(
            name, tuple((s, mapping.get(sym, sym), n) for s, sym, n in self.transitions), self.start
        )


REBER = Grammar(
    "reber",
    (
        (0, "B", 1),
        (1, "T", 2), (1, "P", 3),
        (2, "S", 2), (2, "X", 4),
        (3, "T", 3), (3, "V", 5),
        (4, "X", 3), (4, "S", 6),
        (5, "P", 4), (5, "V", 6),
        (6, "E", END),
    ),
)  # fmt: skip


def _embed(inner: Grammar) -> Grammar:
    """Hochreiter & Schmidhuber's embedding: B, T|P, an inner string, the same T|P, E."""
    inner_states = sorted({s for s, _, _ in inner.transitions})
    k = len(inner_states)  # copy 1 uses states 10.., copy 2 uses 10+k+1..
    up, low = 10, 10 + k + 1
    rows: list[tuple[int, str, int]] = [(0, "B", 1), (1, "T", up), (1, "P", low)]
    for base, branch in ((up, "T"), (low, "P")):
        done = base + k  # the copy's end state
        for s, sym, nxt in inner.transitions:
            rows.append((base + s, sym, done if nxt == END else base + nxt))
        rows.append((done, branch, 2))
    rows.append((2, "E", END))
    return Grammar(f"embedded-{inner.name}", tuple(rows))


EMBEDDED = _embed(REBER)
GRAMMARS: Mapping[str, Grammar] = MappingProxyType({"reber": REBER, "embedded": EMBEDDED})


def get_grammar(name: str) -> Grammar:
    """The grammar registered under `name`; an unknown name lists the known ones."""
    if name not in GRAMMARS:
        raise RandRNNError(f"unknown grammar {name!r}; known: {', '.join(GRAMMARS)}")
    return GRAMMARS[name]


def is_reber(s: str) -> bool:
    """True iff `s` is a Reber string (docs/method.md §2)."""
    return REBER.accepts(s)


def is_embedded_reber(s: str) -> bool:
    """True iff `s` is an embedded Reber string (B, T|P, Reber string, same T|P, E)."""
    return EMBEDDED.accepts(s)


def sample_valid(rng: Rng, grammar: str = DEFAULT_GRAMMAR, length: int | None = None) -> str:
    """One valid string: a uniform walk, conditioned on `length` if given."""
    g = get_grammar(grammar)
    return g.walk(rng) if length is None else g.sample([length], rng)[0]


# --------------------------------------------------------------------------- lengths


@dataclass(frozen=True)
class LengthDist:
    """A discretised gamma density shifted to start at `low`, truncated at `high`."""

    mode: int
    shape: float
    low: int = 11
    high: int = 53

    def pmf(self) -> dict[int, float]:
        """Probability of each length low..high."""
        theta = (self.mode - self.low + 1) / (self.shape - 1)
        w = {
            n: (n - self.low + 1) ** (self.shape - 1) * math.exp(-(n - self.low + 1) / theta)
            for n in range(self.low, self.high + 1)
        }
        total = sum(w.values())
        return {n: v / total for n, v in w.items()}

    def sample(self, n: int, rng: Rng) -> list[int]:
        """`n` lengths drawn from the distribution."""
        pmf = self.pmf()
        return _rng(rng).choices(list(pmf), weights=list(pmf.values()), k=n)


VALID_LENGTHS = LengthDist(mode=23, shape=10)
INVALID_LENGTHS = LengthDist(mode=18, shape=3)


# --------------------------------------------------------------------------- negatives


def thesis_negatives(n: int, rng: Rng, grammar: Grammar = REBER) -> list[str]:
    """Invalid strings like the thesis': 56% foreign-letter walks, the rest corrupted strings."""
    rng = _rng(rng)
    n_foreign = round(FOREIGN_SHARE * n)
    lengths = INVALID_LENGTHS.sample(n, rng)
    foreign = grammar.relabel(FOREIGN_LETTERS, f"foreign-{grammar.name}")
    out = foreign.sample(lengths[:n_foreign], rng)
    inner = "".join(sorted(FOREIGN_LETTERS))
    for base in grammar.sample(lengths[n_foreign:], rng):
        while True:
            chars = list(base)
            for i in rng.sample(range(1, len(base) - 1), rng.randint(1, 3)):
                chars[i] = rng.choice(inner.replace(chars[i], ""))
            s = "".join(chars)
            if not grammar.accepts(s):
                out.append(s)
                break
    rng.shuffle(out)
    return out


EDITS = ("substitute", "insert", "delete", "swap")


def one_edit(s: str, rng: random.Random, alphabet: str) -> str:
    """`s` changed by one random edit: substitute, insert, delete or swap two neighbours."""
    kind = rng.choice(EDITS)
    if kind == "substitute":
        i = rng.randrange(len(s))
        return s[:i] + rng.choice(alphabet.replace(s[i], "")) + s[i + 1 :]
    if kind == "insert":
        i = rng.randrange(len(s) + 1)
        return s[:i] + rng.choice(alphabet) + s[i:]
    if kind == "delete":
        i = rng.randrange(len(s))
        return s[:i] + s[i + 1 :]
    i = rng.randrange(len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def hard_negatives(n: int, rng: Rng, grammar: Grammar = REBER) -> list[str]:
    """Reber-letter strings one edit from a valid string, length-matched, checked invalid."""
    rng = _rng(rng)
    alphabet = grammar.alphabet
    out = []
    for base in grammar.sample(VALID_LENGTHS.sample(n, rng), rng):
        while True:
            s = one_edit(base, rng, alphabet)
            if VALID_LENGTHS.low <= len(s) <= VALID_LENGTHS.high and not grammar.accepts(s):
                out.append(s)
                break
    return out


NegativeSampler = Callable[[int, random.Random, Grammar], list[str]]
NEGATIVES: Mapping[str, NegativeSampler] = MappingProxyType(
    {"thesis": thesis_negatives, "hard": hard_negatives}
)


# --------------------------------------------------------------------------- data sets


def _stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream per purpose (str seeds hash via SHA-512)."""
    return random.Random(f"randrnn.reber:{seed}:{name}")


def make_dataset(
    n: int = DEFAULT_N,
    negatives: str = DEFAULT_NEGATIVES,
    seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    grammar: str = DEFAULT_GRAMMAR,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded data set of `n` strings, half valid, shuffled and split into (train, test)."""
    if negatives not in NEGATIVES:
        raise RandRNNError(f"unknown negatives {negatives!r}; known: {', '.join(NEGATIVES)}")
    g = get_grammar(grammar)
    if not 0 < test_fraction < 1:
        raise RandRNNError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n_test = round(n * test_fraction)
    if n <= 0 or n_test < 1 or n - n_test < 1:
        raise RandRNNError(f"n={n} is too small to split with test_fraction={test_fraction}")
    n_valid = n // 2
    valid = g.sample(
        VALID_LENGTHS.sample(n_valid, _stream(seed, "valid-lengths")), _stream(seed, "valid")
    )
    invalid = NEGATIVES[negatives](n - n_valid, _stream(seed, f"negatives-{negatives}"), g)
    rows = [(s, 1) for s in valid] + [(s, 0) for s in invalid]
    _stream(seed, "split").shuffle(rows)
    df = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"string": object, "valid": "int64"})
    train = df.iloc[: n - n_test].reset_index(drop=True)
    test = df.iloc[n - n_test :].reset_index(drop=True)
    return train, test


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write a split as CSV via a temporary file and os.replace, so readers never see half."""
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, newline=""
    ) as tmp:
        try:
            df.loc[:, list(COLUMNS)].to_csv(tmp, index=False, lineterminator="\n")
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, path)


def write_dataset(train: pd.DataFrame, test: pd.DataFrame, out_dir: str | Path) -> None:
    """Write `train.csv` and `test.csv` (columns string,valid) into `out_dir`, atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in (("train.csv", train), ("test.csv", test)):
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise RandRNNError(f"{name}: data frame lacks column(s) {', '.join(missing)}")
        _write_atomic(df, out / name)


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


def cache_dir(seed: int = DEFAULT_SEED) -> Path:
    """Where the default data set is regenerated when the shipped folder is absent."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "randrnn" / f"reber-{seed}"


def load_data(data_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) from `data_dir`; None means the shipped default set (regenerated if absent)."""
    if data_dir is None:
        if SHIPPED_DIR.is_dir():
            data_dir = SHIPPED_DIR
        else:
            data_dir = cache_dir(DEFAULT_SEED)
            if not ((data_dir / "train.csv").is_file() and (data_dir / "test.csv").is_file()):
                write_dataset(*make_dataset(), data_dir)
    d = Path(data_dir)
    if not d.is_dir():
        raise RandRNNError(f"{d}: no such data directory")
    return read_split(d / "train.csv"), read_split(d / "test.csv")


# --------------------------------------------------------------------------- baselines


def _majority(labels: Sequence[int] | pd.Series) -> int:
    """The more frequent label; a tie goes to 0 (invalid)."""
    c = Counter(int(v) for v in labels)
    return int(c[1] > c[0])


def _lookup_accuracy(
    train: pd.DataFrame, test: pd.DataFrame, key: Callable[[str], object]
) -> float:
    """Test accuracy of the rule: predict the train majority label of the string's key."""
    default = _majority(train["valid"])
    by_key: dict[object, Counter] = {}
    for s, v in zip(train["string"], train["valid"]):
        by_key.setdefault(key(s), Counter())[int(v)] += 1
    rule = {k: (1 if c[1] > c[0] else 0 if c[0] > c[1] else default) for k, c in by_key.items()}
    pred = [rule.get(key(s), default) for s in test["string"]]
    return float(np.mean(np.asarray(pred) == test["valid"].to_numpy()))


def baselines(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Test accuracies of trivial rules learned on train: majority, length only, letter set only."""
    return {
        "majority": float((test["valid"] == _majority(train["valid"])).mean()),
        "length_only": _lookup_accuracy(train, test, len),
        "letter_set_only": _lookup_accuracy(train, test, lambda s: "".join(sorted(set(s)))),
    }


def describe(df: pd.DataFrame) -> dict[str, int | float | None]:
    """Counts, length min/max/mode per class and overall, share of invalid with foreign letters."""
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
    invalid = df.loc[df["valid"] == 0, "string"]
    foreign = sum(1 for s in invalid if not set(s) <= REBER_LETTERS)
    out["invalid_foreign_share"] = None if invalid.empty else foreign / len(invalid)
    return out


# --------------------------------------------------------------------------- encoding


def encode(strings: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """ASCII codes (B, T) zero-padded to the longest string, and the true lengths (B,)."""
    if len(strings) == 0:
        raise RandRNNError("no strings to encode")
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
    codes = np.zeros((len(strings), int(lengths.max())), dtype=np.int64)
    for i, s in enumerate(strings):
        try:
            b = s.encode("ascii")
        except UnicodeEncodeError as exc:
            raise RandRNNError(
                f"string at index {i} has a character outside ASCII at position {exc.start}"
            ) from None
        if not b:
            raise RandRNNError(f"string at index {i} is empty")
        if 0 in b:
            raise RandRNNError(f"string at index {i} contains NUL (code 0 is the padding)")
        codes[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    return torch.from_numpy(codes), torch.from_numpy(lengths)
