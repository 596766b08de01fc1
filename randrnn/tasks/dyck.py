"""Dyck languages: balanced brackets of one kind (`dyck-1`, "()") or two (`dyck-2`, "()[]"),
nested at most `MAX_DEPTH` deep.

A string is valid if every closing bracket closes the most recent open bracket of its own kind,
none is left open at the end, and no prefix has more than `MAX_DEPTH` brackets open. Reading one
needs a stack: for `dyck-2` the model must remember the order of up to `MAX_DEPTH` open kinds.

Positives are drawn uniformly among the valid strings of each length (even lengths 2 up to the
maximum, each equally likely), with the same counting scheme as the regular tasks: ``counts[r][d]``
is the number of ways to finish in r more brackets from depth d, and each bracket is chosen in
proportion to the count it leads to.

Negatives keep the positives' lengths, so every string has an even length and length alone
predicts nothing; insertions and deletions are left out because they would make the length odd,
which a rule could read off. A balanced string that is merely too deep is never a negative.

- ``swap`` (default): a valid string with two of its brackets exchanged, every letter count
  kept, so counting letters says nothing ("#( = #)" holds for every string of both classes).
  On ``dyck-2`` (`kind_swap_edit`) the exchange is of the openers (or the closers) of two
  matched pairs of different kinds that both hold something, ``([..]..(..))`` into
  ``[(..]..(..))``: every prefix keeps its depth, no opening bracket stands right before a
  closing one of another kind (``(]``), so every 1-3 letter window is one a valid string can
  hold, and only the order of the open kinds, a stack, tells the classes apart (the character
  n-gram baseline 0.54 on the default set). A string without two such pairs (short or flat
  ones: about a fifth of the negatives) has a matched pair reversed instead. On ``dyck-1`` (`swap_edit`) two different brackets at
  random positions are exchanged, kept only if the result is unbalanced and betrays nothing
  locally: it still starts with an opening and ends with a closing bracket (`looks_valid`);
  an exchange of ``(`` before ``)`` lowers the depth between them, unbalanced where it falls
  below 0. Strings of 2 and 4 letters have no such exchange, so dyck-1's negatives start at 6
  letters (the few valid strings that short are all in the training split of a default set
  anyway).
- ``edit``: a valid string with one bracket replaced by another or two neighbours swapped, kept
  only if the result is unbalanced. Most replacements unbalance a letter count, so "#( = #)"
  (and "#[ = #]") alone separates most of them: the default before randrnn 0.2, kept for old
  studies, built byte for byte as then (with ``--split shuffled``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from randrnn.errors import RandRNNError
from randrnn.tasks.task import Negatives, Task, at_least, near_misses, uniform_lengths

MAX_DEPTH = 8
MAX_LENGTH = 50
SWAP_SHORTEST = 6  # no valid string of 2 or 4 letters has an exchange 'swap' accepts


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


def looks_valid(s: str, pairs: str) -> bool:
    """True iff ``s`` starts with an opening bracket, ends with a closing one, and never has an
    opening bracket right before a closing one of another kind: every letter pair of it occurs
    in some valid string (so a character 1-3-gram model sees nothing amiss)."""
    closes = {pairs[i + 1]: pairs[i] for i in range(0, len(pairs), 2)}
    if not s or s[0] in closes or s[-1] not in closes:
        return False
    return all(b not in closes or a in closes or closes[b] == a for a, b in pairwise(s))


def swap_edit(s: str, rng: random.Random, pairs: str) -> str:
    """``s`` with two different brackets at random positions exchanged (each letter count
    kept), or ``s`` itself if the exchange would betray itself locally (`looks_valid`)."""
    i, j = sorted(rng.sample(range(len(s)), 2))
    if s[i] == s[j]:
        return s
    t = s[:i] + s[j] + s[i + 1 : j] + s[i] + s[j + 1 :]
    return t if looks_valid(t, pairs) else s


def matched_pairs(s: str, pairs: str) -> list[tuple[int, int]]:
    """(opening, closing) positions of the matched pairs of a balanced ``s``, by opening."""
    opens = set(pairs[0::2])
    stack: list[int] = []
    found = []
    for i, ch in enumerate(s):
        if ch in opens:
            stack.append(i)
        else:
            found.append((stack.pop(), i))
    return sorted(found)


def kind_swap_edit(s: str, rng: random.Random, pairs: str) -> str:
    """``s`` (balanced, two kinds) with the openers (or the closers) of two matched pairs of
    different kinds exchanged, both pairs with something inside, so no opening bracket is
    followed at once by a closing one of the other kind and every letter count and every
    prefix's depth stay as in ``s``: only the order of the open kinds (a stack) tells. Where
    ``s`` has no two such pairs (the shortest strings), a matched pair reversed."""
    chars = list(s)
    found = [(i, j) for i, j in matched_pairs(s, pairs) if j - i > 1]
    options = [(a, b) for x, a in enumerate(found) for b in found[x + 1 :] if s[a[0]] != s[b[0]]]
    if options:
        a, b = rng.choice(options)
        side = rng.randrange(2)
        i, j = a[side], b[side]
    else:
        i, j = rng.choice(matched_pairs(s, pairs))
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _task(name: str, pairs: str) -> Task:
    sampler = Dyck(pairs, MAX_DEPTH)

    def lengths(max_length: int, min_length: int) -> list[int]:
        return at_least(range(2, max_length + 1, 2), min_length)

    def positives(
        n: int, length_rng: random.Random, rng: random.Random, max_length: int, min_length=1
    ) -> list[str]:
        return sampler.sample(uniform_lengths(lengths(max_length, min_length), n, length_rng), rng)

    def negatives(edit_one, shortest: int = 1):
        def draw(n: int, rng: random.Random, max_length: int, min_length: int = 1) -> list[str]:
            admissible = lengths(max_length, max(min_length, shortest))
            bases = sampler.sample(uniform_lengths(admissible, n, rng), rng)
            return near_misses(
                bases, rng, pairs, lambda s: not is_dyck(s, pairs, None),
                lambda length, r: sampler.sample([length], r)[0], edit_one,
            )  # fmt: skip

        return draw

    kinds = " and ".join(f"{pairs[i : i + 2]}" for i in range(0, len(pairs), 2))
    return Task(
        name=name,
        description=f"balanced {kinds}, at most {MAX_DEPTH} deep: a stack",
        alphabet=pairs,
        accepts=lambda s: is_dyck(s, pairs),
        positives=positives,
        negatives={
            "swap": Negatives(
                negatives(lambda s, rng: kind_swap_edit(s, rng, pairs))
                if len(pairs) > 2
                else negatives(lambda s, rng: swap_edit(s, rng, pairs), SWAP_SHORTEST),
                "a valid string with the openers (or closers) of two non-empty pairs of "
                "different kinds exchanged: every letter count and depth kept, only the order "
                "of the open kinds tells"
                if len(pairs) > 2
                else "a valid string with two brackets exchanged, unbalanced: every letter count "
                "kept, every pair of neighbours possible in a valid string",
            ),
            "edit": Negatives(
                negatives(None),
                "a valid string with one bracket replaced or two neighbours swapped, "
                "unbalanced, same length (most unbalance a letter count)",
            ),
        },
        max_length=MAX_LENGTH,
        min_length=2,
    )


TASKS: tuple[Task, ...] = (_task("dyck-1", "()"), _task("dyck-2", "()[]"))
