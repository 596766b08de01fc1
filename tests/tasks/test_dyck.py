"""Tests of the Dyck tasks: validator against a reduction, counts, uniform sampling, negatives."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from scipy import stats

from randrnn.tasks import get_task
from randrnn.tasks.dyck import MAX_DEPTH, Dyck, is_dyck
from tests.tasks.conftest import SAMPLED, dyck_by_reduction

PAIRS = {"dyck-1": "()", "dyck-2": "()[]"}


@pytest.mark.parametrize(
    ("s", "member"),
    [("()", True), ("[()]", True), ("()[]([])", True), ("((((((((", False), ("(]", False),
     ("([)]", False), (")(", False), ("(()", False), ("())(", False), ("(x)", False),
     ("(((((((())))))))", True), ("((((((((()))))))))", False)],
)  # fmt: skip
def test_hand_checked_examples(s: str, member: bool) -> None:
    """Dyck-2 with depth at most 8: nesting 8 deep is allowed, 9 deep is not."""
    assert is_dyck(s, "()[]") is member


@pytest.mark.parametrize(("pairs", "longest"), [("()", 16), ("()[]", 8)])
def test_validator_matches_reduction_on_every_short_string(pairs: str, longest: int) -> None:
    """is_dyck agrees with pair deletion plus a prefix depth count on every string over the
    brackets up to 16 (dyck-1) or 8 (dyck-2) letters, with depth bounds 8 and 2."""
    for depth in (MAX_DEPTH, 2):
        for length in range(longest + 1):
            for chars in itertools.product(pairs, repeat=length):
                s = "".join(chars)
                assert is_dyck(s, pairs, depth) == dyck_by_reduction(s, pairs, depth), s


@pytest.mark.parametrize(
    ("pairs", "depth", "longest"), [("()", 8, 12), ("()", 2, 12), ("()[]", 3, 8)]
)
def test_counts_match_enumeration(pairs: str, depth: int, longest: int) -> None:
    """counts[L][0] is the number of valid strings of length L (all strings enumerated)."""
    counts = Dyck(pairs, depth).counts(longest)
    for length in range(longest + 1):
        brute = sum(
            is_dyck("".join(c), pairs, depth) for c in itertools.product(pairs, repeat=length)
        )
        assert counts[length][0] == brute


def test_catalan_numbers() -> None:
    """Without a binding depth bound, dyck-1 counts are the Catalan numbers, dyck-2's are
    Catalan × 2^n."""
    catalan = [1, 1, 2, 5, 14, 42, 132, 429, 1430]
    one, two = Dyck("()", 20).counts(16), Dyck("()[]", 20).counts(16)
    assert [one[2 * n][0] for n in range(9)] == catalan
    assert [two[2 * n][0] for n in range(9)] == [c * 2**n for n, c in enumerate(catalan)]


def test_sampling_is_uniform() -> None:
    """20,000 dyck-2 strings of length 6 hit all 40 valid strings about equally (chi-square)."""
    words = ["".join(c) for c in itertools.product("()[]", repeat=6) if is_dyck("".join(c), "()[]")]
    assert len(words) == 40
    drawn = Counter(Dyck("()[]", MAX_DEPTH).sample([6] * 20_000, random.Random(0)))
    assert set(drawn) == set(words)
    assert stats.chisquare([drawn[w] for w in words]).pvalue > 0.001


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_sampled_strings_have_their_labels(name: str) -> None:
    """10,000 positives pass the reduction route and 10,000 negatives are unbalanced by it,
    all of even length 2..50."""
    task, pairs = get_task(name), PAIRS[name]
    pos = task.positives(SAMPLED, random.Random(1), random.Random(2), 50)
    neg = task.negatives["edit"].sample(SAMPLED, random.Random(3), 50)
    assert all(dyck_by_reduction(s, pairs, MAX_DEPTH) for s in pos)
    assert not any(dyck_by_reduction(s, pairs, 10**6) for s in neg)  # unbalanced, not just deep
    for s in pos + neg:
        assert len(s) % 2 == 0 and 2 <= len(s) <= 50


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_negatives_are_one_edit_from_a_valid_string(name: str) -> None:
    """Each negative becomes valid again by one bracket replaced or two neighbours swapped."""
    task, pairs = get_task(name), PAIRS[name]
    for s in task.negatives["edit"].sample(300, random.Random(4), 24):
        subs = (s[:i] + c + s[i + 1 :] for i in range(len(s)) for c in pairs)
        swaps = (s[:i] + s[i + 1] + s[i] + s[i + 2 :] for i in range(len(s) - 1))
        assert any(is_dyck(t, pairs) for t in itertools.chain(subs, swaps)), s


def test_depth_bound_binds() -> None:
    """Long positives reach the depth bound but never pass it."""
    pos = get_task("dyck-1").positives(2000, random.Random(8), random.Random(9), 50)
    deepest = max(
        max(s[: i + 1].count("(") - s[: i + 1].count(")") for i in range(len(s))) for s in pos
    )
    assert deepest == MAX_DEPTH
