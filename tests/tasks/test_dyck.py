"""Tests of the Dyck tasks: validator against a reduction, counts, uniform sampling, negatives."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter

import pytest
from scipy import stats

from randrnn.tasks import get_task
from randrnn.tasks.dyck import MAX_DEPTH, Dyck, is_dyck, kind_swap_edit, matched_pairs
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


@pytest.mark.parametrize(
    ("name", "kind"), [(n, k) for n in sorted(PAIRS) for k in ("swap", "edit")]
)
def test_sampled_strings_have_their_labels(name: str, kind: str) -> None:
    """10,000 positives pass the reduction route and 10,000 negatives are unbalanced by it,
    all of even length 2..50."""
    task, pairs = get_task(name), PAIRS[name]
    pos = task.positives(SAMPLED, random.Random(1), random.Random(2), 50)
    neg = task.negatives[kind].sample(SAMPLED, random.Random(3), 50)
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


def _depths(s: str) -> list[int]:
    """The depth after each bracket of the string's one-kind projection."""
    return list(itertools.accumulate(1 if ch in "([" else -1 for ch in s))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_swap_negatives_keep_every_letter_count(name: str) -> None:
    """The default negatives: each is a valid string with two brackets exchanged (same letter
    counts; exchanging two positions back gives a valid string), unbalanced; on dyck-1 of 6
    letters or more, starting with an opening and ending with a closing bracket, without an
    opening bracket right before a closing one of another kind."""
    task, pairs = get_task(name), PAIRS[name]
    assert task.default_negatives == "swap"
    for s in task.negatives["swap"].sample(500, random.Random(5), 30):
        assert s.count(pairs[0]) == s.count(pairs[1]) and s.count(pairs[-2]) == s.count(pairs[-1])
        assert not dyck_by_reduction(s, pairs, 10**6) and len(s) <= 30
        if name == "dyck-1":  # dyck-2: test_dyck_2_swaps_of_kinds_keep_the_depths
            assert 6 <= len(s) and re.fullmatch(r"[(\[].*[)\]]", s)
            assert not re.search(r"\(\]|\[\)", s)
        back = (
            s[:i] + s[j] + s[i + 1 : j] + s[i] + s[j + 1 :]
            for i in range(len(s)) for j in range(i + 1, len(s))
        )  # fmt: skip
        assert any(is_dyck(t, pairs) for t in back), s


def test_dyck_1_swaps_go_below_depth_0() -> None:
    """A dyck-1 string with as many ( as ) is unbalanced only where a prefix has more ) than (:
    every negative goes below depth 0."""
    for s in get_task("dyck-1").negatives["swap"].sample(500, random.Random(6), 40):
        assert min(_depths(s)) < 0


def test_dyck_2_swaps_of_kinds_keep_the_depths() -> None:
    """On dyck-2 most negatives are a valid string with the openers (or closers) of two non-empty
    pairs of different kinds exchanged: the depth profile of a valid string (never below 0, back
    to 0 at the end), no opening bracket right before a closing one of the other kind, so only
    the order of the kinds, a stack, tells. Strings without two such pairs (short or flat ones,
    about a fifth) have a matched pair reversed instead."""
    neg = get_task("dyck-2").negatives["swap"].sample(2000, random.Random(7), 50)
    kinds = [s for s in neg if min(_depths(s)) >= 0 and not re.search(r"\(\]|\[\)", s)]
    assert 0.75 < len(kinds) / len(neg) < 0.9
    assert all(_depths(s)[-1] == 0 for s in kinds)
    r = random.Random(1)
    for s in get_task("dyck-2").positives(300, r, r, 50):
        full = {s[i] for i, j in matched_pairs(s, "()[]") if j - i > 1}
        if len(full) == 2:  # two non-empty pairs of different kinds: always a kind swap
            t = kind_swap_edit(s, random.Random(2), "()[]")
            assert _depths(t) == _depths(s) and sorted(t) == sorted(s) and not is_dyck(t, "()[]")


def test_depth_bound_binds() -> None:
    """Long positives reach the depth bound but never pass it."""
    pos = get_task("dyck-1").positives(2000, random.Random(8), random.Random(9), 50)
    deepest = max(
        max(s[: i + 1].count("(") - s[: i + 1].count(")") for i in range(len(s))) for s in pos
    )
    assert deepest == MAX_DEPTH
