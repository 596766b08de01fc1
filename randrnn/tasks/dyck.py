"""Dyck languages: balanced brackets of one kind (`dyck-1`, "()") or two (`dyck-2`, "()[]"),
nested at most `MAX_DEPTH` deep.

A string is valid if every closing bracket closes the most recent open bracket of its own kind,
none is left open at the end, and no prefix has more than `MAX_DEPTH` brackets open. Reading one
needs a stack: for `dyck-2` the model must remember the order of up to `MAX_DEPTH` open kinds.

Positives are drawn uniformly among the valid strings of each length (even lengths 2 up to the
maximum, each equally likely), with the same counting scheme as the regular tasks: ``counts[r][d]``
is the number of ways to finish in r more brackets from depth d, and each bracket is chosen in
proportion to the count it leads to.

Negatives (``edit``): a valid string with one bracket replaced by another or two neighbours
swapped, kept only if the result is unbalanced (a balanced string that is merely too deep is not
used as a negative). They have the positives' lengths, so every string has an even length and
length alone predicts nothing; insertions and deletions are left out because they would make the
length odd, which a rule could read off.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from randrnn.errors import RandRNNError
from randrnn.tasks.task import Negatives, Task, near_misses, uniform_lengths

MAX_DEPTH = 8
MAX_LENGTH = 50


def is_dyck(s: str, pairs: str, max_depth: int | None = MAX_DEPTH) -> bool:
    """True iff `s` is balanced over `pairs` ('()[]': opening, closing, opening, closing...)
    and never more than `max_depth` deep (None: no bound)."""
    closes = {pairs[i + 1]: pairs[i] for i in range(0, len(pairs), 2)}
    opens = set(closes.values())
    stack: list[str] = []
    for ch in s:
        if ch in opens:
            stack.append(ch)
            if max_depth is not None and len(stack) > max_depth:
                return False
        elif ch not in closes or not stack or stack.pop() != closes[ch]:
            return False
    return not stack


@dataclass(frozen=True)
class Dyck:
    """Counts and uniform samples of the balanced strings over `pairs`, depth at most `depth`."""

    pairs: str
    depth: int

    @property
    def kinds(self) -> int:
        return len(self.pairs) // 2

    @lru_cache(maxsize=16)  # noqa: B019 — a handful of frozen instances, kept for the process
    def counts(self, max_length: int) -> tuple[tuple[int, ...], ...]:
        """counts[r][d] = number of ways to finish with exactly r brackets from depth d."""
        rows = [tuple(1 if d == 0 else 0 for d in range(self.depth + 1))]
        for _ in range(max_length):
            last = rows[-1]
            rows.append(
                tuple(
                    (self.kinds * last[d + 1] if d < self.depth else 0)
                    + (last[d - 1] if d > 0 else 0)
                    for d in range(self.depth + 1)
                )
            )
        return tuple(rows)

    def sample(self, lengths: Sequence[int], rng: random.Random) -> list[str]:
        """One uniformly drawn valid string of each requested (even) length."""
        if not lengths:
            return []
        counts = self.counts(max(lengths))
        opening, closing = self.pairs[0::2], self.pairs[1::2]
        out = []
        for length in lengths:
            if length < 0 or counts[length][0] == 0:
                raise RandRNNError(f"no balanced string of length {length} over {self.pairs}")
            stack: list[int] = []
            chars = []
            for left in range(length, 0, -1):
                d = len(stack)
                pick = rng.randrange(counts[left][d])
                deeper = counts[left - 1][d + 1] if d < self.depth else 0
                if pick < self.kinds * deeper:
                    kind = pick // deeper
                    stack.append(kind)
                    chars.append(opening[kind])
                else:
                    chars.append(closing[stack.pop()])
            out.append("".join(chars))
        return out


def _task(name: str, pairs: str) -> Task:
    sampler = Dyck(pairs, MAX_DEPTH)

    def lengths(max_length: int) -> list[int]:
        return list(range(2, max_length + 1, 2))

    def positives(n: int, length_rng: random.Random, rng: random.Random, max_length: int):
        return sampler.sample(uniform_lengths(lengths(max_length), n, length_rng), rng)

    def edit(n: int, rng: random.Random, max_length: int) -> list[str]:
        bases = sampler.sample(uniform_lengths(lengths(max_length), n, rng), rng)
        return near_misses(
            bases, rng, pairs, lambda s: not is_dyck(s, pairs, None),
            lambda length, r: sampler.sample([length], r)[0],
        )  # fmt: skip

    kinds = " and ".join(f"{pairs[i : i + 2]}" for i in range(0, len(pairs), 2))
    return Task(
        name=name,
        description=f"balanced {kinds}, at most {MAX_DEPTH} deep: a stack",
        alphabet=pairs,
        accepts=lambda s: is_dyck(s, pairs),
        positives=positives,
        negatives={
            "edit": Negatives(
                edit,
                "a valid string with one bracket replaced or two neighbours swapped, "
                "unbalanced, same length",
            ),
        },
        max_length=MAX_LENGTH,
        min_length=2,
    )


TASKS: tuple[Task, ...] = (_task("dyck-1", "()"), _task("dyck-2", "()[]"))
