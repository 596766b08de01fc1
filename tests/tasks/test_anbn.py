"""Tests of the anbn task: validator, positives and both kinds of near-miss negatives."""

from __future__ import annotations

import random

import pytest

from randrnn.errors import RandRNNError
from randrnn.tasks import get_task
from randrnn.tasks.anbn import is_anbn
from tests.tasks.conftest import SAMPLED, anbn_by_regex


@pytest.mark.parametrize(
    ("s", "member"),
    [("ab", True), ("aaabbb", True), ("", False), ("a", False), ("ba", False), ("aabbb", False),
     ("aaabb", False), ("abab", False), ("aabb ", False)],
)  # fmt: skip
def test_hand_checked_examples(s: str, member: bool) -> None:
    """aⁿbⁿ with n ≥ 1 only."""
    assert is_anbn(s) is member and anbn_by_regex(s) is member


@pytest.mark.parametrize("kind", ["matched", "near"])
def test_sampled_strings_have_their_labels(kind: str) -> None:
    """10,000 positives and 10,000 negatives get their label from the regex route."""
    task = get_task("anbn")
    pos = task.positives(SAMPLED, random.Random(1), random.Random(2), 50)
    neg = task.negatives[kind].sample(SAMPLED, random.Random(3), 50)
    assert all(anbn_by_regex(s) for s in pos)
    assert not any(anbn_by_regex(s) for s in neg)
    assert max(map(len, pos + neg)) <= 50


FORMS = {2: "a+1,b-1", -2: "a-1,b+1", 1: "a+1", -1: "b+1"}  # (a count − b count) → form


def _form(s: str) -> str:
    """Which near miss ``s`` is: a shuffle of aⁿbⁿ, or aᵏbᵐ with counts off as named."""
    a, b = s.count("a"), s.count("b")
    if s != "a" * a + "b" * b:
        return "shuffled" if a == b else "other"
    return FORMS.get(a - b, "other")


@pytest.mark.parametrize(
    ("kind", "forms", "even"),
    [("matched", {"a+1,b-1", "a-1,b+1", "shuffled"}, True),
     ("near", {"a+1", "b+1", "shuffled"}, False)],
)  # fmt: skip
def test_negative_forms(kind: str, forms: set[str], even: bool) -> None:
    """Each kind draws its three forms about equally often; matched ones have even lengths."""
    neg = get_task("anbn").negatives[kind].sample(3000, random.Random(5), 50)
    counts = {f: sum(_form(s) == f for s in neg) for f in forms}
    assert sum(counts.values()) == 3000
    assert all(900 < c < 1100 for c in counts.values()), counts
    assert all(len(s) % 2 == 0 for s in neg) is even


def test_near_needs_room_for_an_odd_length() -> None:
    """near with maximum length 2 is one clear error."""
    with pytest.raises(RandRNNError, match="at least 3"):
        get_task("anbn").negatives["near"].sample(10, random.Random(0), 2)
