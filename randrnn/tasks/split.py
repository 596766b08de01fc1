"""How a data set's strings are split into train and test: the split registry.

`randrnn.tasks.data.make_dataset` draws n strings (half valid), shuffles them and cuts them
into train (the first n - n_test) and test *slots*: each slot keeps its label, so both splits
hold the classes as drawn. The split then decides which string fills each test slot:

- ``disjoint`` (the default of most tasks): the drawn test string, unless it also occurs in
  train; then a fresh string of the same class that does not (drawn from streams of its own).
  No test string is a training string, so memorising the training strings gains nothing, and
  the test strings follow the task's distribution restricted to the strings train lacks.
- ``length``: every test string is fresh, of a length in ``test_lengths`` (default: one more
  than the longest training string up to twice it, e.g. 51-100 for a longest 50): length
  generalisation, as aⁿbⁿ and Dyck are tested in the literature. The default of the tasks that
  have only one or two words per length (``anbn``, ``tomita-1``, ``tomita-2``), where no test
  string of the training lengths could avoid the training strings.
- ``shuffled``: the drawn strings as they fall, so a string may be on both sides (randrnn 0.1's
  sets, and the shipped Reber set, which keeps the thesis' split).

The training split is the same whatever the split: only test strings are redrawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from types import MappingProxyType

from randrnn.errors import RandRNNError, check_name

SPLITS: Mapping[str, str] = MappingProxyType(
    {
        "disjoint": "test strings never in train (redrawn where they were)",
        "length": "test strings longer than every training string (test_lengths)",
        "shuffled": "strings shuffled and cut: a string may be on both sides",
    }
)
DRAWS_PER_SLOT = 50  # fresh strings tried per test slot before the split is declared impossible
SPARE_DRAWS = 1000
BATCH = 256  # fewest fresh strings drawn at once: a sampler that mixes forms in fixed shares
# (Reber's thesis negatives) keeps its shares only over many strings


def check_split(split: str) -> str:
    """``split`` if it names a known split."""
    return check_name("split", split, SPLITS)


def default_test_lengths(max_length: int) -> tuple[int, int]:
    """The test lengths of the split 'length' for a longest training string ``max_length``."""
    return max_length + 1, 2 * max_length


def parse_lengths(text: str | None) -> tuple[int, int] | None:
    """'LOW-HIGH' (or one length) as (low, high); None stays None."""
    if text is None:
        return None
    low, _, high = text.strip().partition("-")
    try:
        pair = int(low), int(high or low)
    except ValueError:
        raise RandRNNError(f"test lengths must look like LOW-HIGH, e.g. 51-100, got '{text}'")
    return pair


def fill_test(
    slots: list[tuple[str, int]],
    train: set[str],
    draw: Callable[[int, int], list[str]],
    redraw_all: bool,
    task: str,
) -> list[tuple[str, int]]:
    """The test rows: each slot's string, or (``redraw_all``, or the string is in ``train``) a
    fresh one of its label from ``draw(label, k)`` that is not in ``train``, in slot order."""
    out = list(slots)
    for label in (1, 0):
        todo = [i for i, (s, v) in enumerate(slots) if v == label and (redraw_all or s in train)]
        budget = DRAWS_PER_SLOT * len(todo) + SPARE_DRAWS
        fresh: list[str] = []
        while len(fresh) < len(todo):
            if budget <= 0:
                what = "valid" if label else "invalid"
                raise RandRNNError(
                    f"task {task}: only {len(fresh)} of {len(todo)} {what} test strings could "
                    "avoid the training strings (too few strings at these lengths); use a "
                    "longer --max-length, --split shuffled, or --split length where the task "
                    "has it"
                )
            batch = draw(label, max(BATCH, len(todo) - len(fresh)))
            budget -= len(batch)
            fresh += [s for s in batch if s not in train]
        for i, s in zip(todo, fresh):
            out[i] = (s, label)
    return out


def stream(prefix: str, seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream per purpose (str seeds hash via SHA-512)."""
    return random.Random(f"{prefix}:{seed}:{name}")
