"""aⁿbⁿ (n ≥ 1): n letters a, then exactly as many b — counting.

Positives: n drawn uniformly from 1 .. max_length // 2. The language has one word per length, so
a data set repeats its few words many times (25 with the default maximum 50): the task is
whether a model counts, not how many words it stores.

Negatives:

- ``matched`` (default): length-matched near misses, each equally often: aⁿ⁺¹bⁿ⁻¹, aⁿ⁻¹bⁿ⁺¹ (counts
  off by one each way) and a shuffle of aⁿbⁿ (right counts, wrong order). Every string has an
  even length, as the positives do.
- ``near``: aⁿbⁿ⁺¹, aⁿ⁺¹bⁿ and a shuffle of aⁿbⁿ, each equally often. Two of the three have an odd
  length, so a length rule separates most of them.
"""

from __future__ import annotations

import random

from randrnn.errors import RandRNNError
from randrnn.tasks.task import Negatives, Task

MAX_LENGTH = 50


def is_anbn(s: str) -> bool:
    """True iff `s` is aⁿbⁿ for some n ≥ 1."""
    n = len(s) // 2
    return n >= 1 and s == "a" * n + "b" * n


def _shuffled(n: int, rng: random.Random) -> str:
    """A random order of n a's and n b's other than aⁿbⁿ."""
    while True:
        chars = list("a" * n + "b" * n)
        rng.shuffle(chars)
        s = "".join(chars)
        if not is_anbn(s):
            return s


def positives(n: int, length_rng: random.Random, rng: random.Random, max_length: int) -> list:
    """``n`` words aᵏbᵏ, k uniform in 1 .. max_length // 2 (``rng`` is not needed)."""
    return ["a" * k + "b" * k for k in (length_rng.randint(1, max_length // 2) for _ in range(n))]


def matched(n: int, rng: random.Random, max_length: int) -> list[str]:
    """Length-matched near misses: aᵏ⁺¹bᵏ⁻¹, aᵏ⁻¹bᵏ⁺¹ or a shuffle of aᵏbᵏ."""
    out = []
    for _ in range(n):
        k = rng.randint(1, max_length // 2)
        form = rng.randrange(3)
        out.append(
            "a" * (k + 1) + "b" * (k - 1) if form == 0
            else "a" * (k - 1) + "b" * (k + 1) if form == 1
            else _shuffled(k, rng)
        )  # fmt: skip
    return out


def near(n: int, rng: random.Random, max_length: int) -> list[str]:
    """aᵏbᵏ⁺¹, aᵏ⁺¹bᵏ or a shuffle of aᵏbᵏ (the first two with 2k + 1 <= max_length)."""
    if max_length < 3:
        raise RandRNNError(
            f"anbn negatives 'near' need --max-length of at least 3, got {max_length}"
        )
    out = []
    for _ in range(n):
        form = rng.randrange(3)
        if form == 2:
            out.append(_shuffled(rng.randint(1, max_length // 2), rng))
            continue
        k = rng.randint(1, (max_length - 1) // 2)
        out.append("a" * k + "b" * (k + 1) if form == 0 else "a" * (k + 1) + "b" * k)
    return out


TASKS: tuple[Task, ...] = (
    Task(
        name="anbn",
        description="aⁿbⁿ: as many b as a, after them (counting)",
        alphabet="ab",
        accepts=is_anbn,
        positives=positives,
        negatives={
            "matched": Negatives(
                matched, "aⁿ⁺¹bⁿ⁻¹, aⁿ⁻¹bⁿ⁺¹ or a shuffle of aⁿbⁿ: the positives' lengths"
            ),
            "near": Negatives(near, "aⁿbⁿ⁺¹, aⁿ⁺¹bⁿ or a shuffle of aⁿbⁿ (odd lengths betray two)"),
        },
        max_length=MAX_LENGTH,
        min_length=2,
    ),
)
