"""aⁿbⁿ (n ≥ 1): n letters a, then exactly as many b — counting.

Positives: n drawn uniformly from 1 .. max_length // 2. The language has one word per length, so
a data set repeats its few words many times (25 with the default maximum 50), and a training set
holds them all: the default split is ``length`` (`randrnn.tasks.split`), as the field tests
aⁿbⁿ: train on n ≤ 25 (lengths up to 50), test on 26 ≤ n ≤ 50 (lengths 51-100), so every test
word is longer than every training word and the task is whether a model counts, not how many
words it stores. Every sampler takes a shortest length (``min_length``) for that split.

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


def _halves(max_length: int, min_length: int) -> tuple[int, int]:
    """(lowest, highest) k with min_length <= 2k <= max_length (k >= 1)."""
    low, high = max(1, (min_length + 1) // 2), max_length // 2
    if low > high:
        raise RandRNNError(f"anbn has no word of length {min_length}-{max_length}")
    return low, high


def positives(
    n: int, length_rng: random.Random, rng: random.Random, max_length: int, min_length: int = 1
) -> list:
    """``n`` words aᵏbᵏ, k uniform with 2k in min_length .. max_length (``rng`` unused)."""
    low, high = _halves(max_length, min_length)
    return ["a" * k + "b" * k for k in (length_rng.randint(low, high) for _ in range(n))]


def matched(n: int, rng: random.Random, max_length: int, min_length: int = 1) -> list[str]:
    """Length-matched near misses: aᵏ⁺¹bᵏ⁻¹, aᵏ⁻¹bᵏ⁺¹ or a shuffle of aᵏbᵏ."""
    low, high = _halves(max_length, min_length)
    out = []
    for _ in range(n):
        k = rng.randint(low, high)
        form = rng.randrange(3)
        out.append(
            "a" * (k + 1) + "b" * (k - 1) if form == 0
            else "a" * (k - 1) + "b" * (k + 1) if form == 1
            else _shuffled(k, rng)
        )  # fmt: skip
    return out


def near(n: int, rng: random.Random, max_length: int, min_length: int = 1) -> list[str]:
    """aᵏbᵏ⁺¹, aᵏ⁺¹bᵏ or a shuffle of aᵏbᵏ (the first two with min_length <= 2k + 1 <=
    max_length)."""
    if max_length < 3:
        raise RandRNNError(
            f"anbn negatives 'near' need --max-length of at least 3, got {max_length}"
        )
    low, high = _halves(max_length, min_length)
    odd_low, odd_high = max(1, min_length // 2), (max_length - 1) // 2
    if odd_low > odd_high:
        raise RandRNNError(f"anbn has no odd length in {min_length}-{max_length}")
    out = []
    for _ in range(n):
        form = rng.randrange(3)
        if form == 2:
            out.append(_shuffled(rng.randint(low, high), rng))
            continue
        k = rng.randint(odd_low, odd_high)
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
        split="length",
    ),
)
