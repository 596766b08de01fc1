"""What a task is: a language with a validator, a sampler of its strings and kinds of negatives.

A task is binary classification of strings: label 1 for a word of the language, 0 for any other
string. It is one `Task` value; the registry (`randrnn.tasks.registry`) holds them by name. Each
task draws its positives with `positives(n, length_rng, rng, max_length)` and each negative kind
with `negatives[kind].sample(n, rng, max_length)`, from random generators passed in (never
global state), so a data set is a function of its seed. A task with ``length_split`` also takes
a shortest length as a fifth (fourth) argument, ``min_length`` (default 1), for test strings
longer than any training string (`randrnn.tasks.split`). `randrnn.tasks.data.make_dataset` checks
every positive with `accepts` and every negative against it, so no sampler can slip a wrong label
into a data set.

The shared pieces of the non-Reber tasks live here too: lengths drawn uniformly from the lengths
at which both classes exist (so that length alone says nothing about the label), and near-miss
negatives made by one length-keeping edit of a positive.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from randrnn.errors import RandRNNError

Positives = Callable[..., list[str]]  # (n, length rng, rng, max_length[, min_length])
NegativeSampler = Callable[..., list[str]]  # (n, rng, max_length[, min_length])
EDIT_ATTEMPTS = 32  # edits tried on one positive before another positive of its length is drawn


@dataclass(frozen=True)
class Negatives:
    """One kind of invalid strings: a sampler ``(n, rng, max_length) -> strings`` and a line."""

    sample: NegativeSampler
    description: str


@dataclass(frozen=True)
class Task:
    """One task of the registry. ``negatives`` lists its kinds, the default first."""

    name: str
    description: str  # one line, shown by `randrnn tasks` and `data-info`
    alphabet: str  # the letters of the language (negatives may use others: Reber's thesis set)
    accepts: Callable[[str], bool]  # the validator: True iff the string is in the language
    positives: Positives  # (n, length rng, rng, max_length) -> n valid strings
    negatives: Mapping[str, Negatives]
    max_length: int  # longest string of the default data set
    min_length: int  # the smallest --max-length that leaves both classes a length
    streams: str = ""  # name of the task's random streams (default 'randrnn.tasks.<name>')
    split: str = "disjoint"  # the default split (`randrnn.tasks.split.SPLITS`)
    length_split: bool = True  # the samplers take a min_length: the split 'length' is possible

    @property
    def default_negatives(self) -> str:
        """The negative kind used when none is asked for."""
        return next(iter(self.negatives))

    @property
    def stream_prefix(self) -> str:
        """Random streams are named '<prefix>:<seed>:<purpose>' (see `data.make_dataset`)."""
        return self.streams or f"randrnn.tasks.{self.name}"

    def check_max_length(self, max_length: int | None) -> int:
        """``max_length`` (None: the task's default) if the task has strings that short."""
        value = self.max_length if max_length is None else max_length
        if value < self.min_length:
            raise RandRNNError(
                f"task {self.name} needs --max-length of at least {self.min_length}, got {value}"
            )
        return value


def uniform_lengths(admissible: Sequence[int], n: int, rng: random.Random) -> list[int]:
    """``n`` lengths drawn uniformly from ``admissible``."""
    if n and not admissible:
        raise RandRNNError("no string of both classes has a length in the range asked for")
    return [rng.choice(admissible) for _ in range(n)]


def at_least(lengths: Sequence[int], min_length: int) -> list[int]:
    """The lengths of ``lengths`` that are at least ``min_length``, in order."""
    return [n for n in lengths if n >= min_length]


def same_length_edit(s: str, rng: random.Random, alphabet: str) -> str:
    """``s`` with one symbol replaced by another letter of ``alphabet``, or two neighbours
    swapped (equal neighbours leave it unchanged): one edit that keeps the length."""
    if len(s) >= 2 and rng.random() < 0.5:
        i = rng.randrange(len(s) - 1)
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    i = rng.randrange(len(s))
    return s[:i] + rng.choice(alphabet.replace(s[i], "")) + s[i + 1 :]


def near_misses(
    bases: Sequence[str],
    rng: random.Random,
    alphabet: str,
    invalid: Callable[[str], bool],
    redraw: Callable[[int, random.Random], str],
    edit: Callable[[str, random.Random], str] | None = None,
) -> list[str]:
    """One near-miss per base: a length-keeping edit of it that ``invalid`` accepts (``edit``:
    `same_length_edit` over ``alphabet`` unless given). A base none of whose `EDIT_ATTEMPTS`
    edits is invalid is replaced by ``redraw(length, rng)``."""
    out = []
    for base in bases:
        found = None
        while found is None:
            for _ in range(EDIT_ATTEMPTS):
                s = same_length_edit(base, rng, alphabet) if edit is None else edit(base, rng)
                if invalid(s):
                    found = s
                    break
            else:
                base = redraw(len(base), rng)
        out.append(found)
    return out
