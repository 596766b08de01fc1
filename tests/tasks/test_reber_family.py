"""Tests of the two Reber tasks in the registry: regular expressions as the independent route,
the embedded task's mismatch negatives, and the Reber negatives under both grammars."""

from __future__ import annotations

import random

import pytest

from randrnn.tasks import get_task
from randrnn.tasks.reber import EMBEDDED, REBER, VALID_LENGTHS
from tests.tasks.conftest import EMBEDDED_RE, REBER_RE, SAMPLED

ROUTES = {"reber": REBER_RE, "embedded-reber": EMBEDDED_RE}


def test_regexes_agree_with_hand_checked_examples() -> None:
    """The test's own regular expressions accept hand-checked valid strings and reject
    invalid ones (so they are a fair second route)."""
    for s in ("BTSXXTTTTVVE", "BPTVPXTTVVE", "BTXSE", "BPVVE"):
        assert REBER_RE.fullmatch(s)
    for s in ("BPSXXTTTVPSE", "BTTVPXTVPSE", "BTXS", "BTXSEE"):
        assert not REBER_RE.fullmatch(s)
    assert EMBEDDED_RE.fullmatch("BTBTXSETE") and not EMBEDDED_RE.fullmatch("BTBTXSEPE")


@pytest.mark.parametrize(
    ("name", "kind"),
    [("reber", "thesis"), ("reber", "hard"), ("embedded-reber", "mismatch"),
     ("embedded-reber", "thesis"), ("embedded-reber", "hard")],
)  # fmt: skip
def test_sampled_strings_have_their_labels(name: str, kind: str) -> None:
    """10,000 positives match the grammar's regular expression and 10,000 negatives do not."""
    task, route = get_task(name), ROUTES[name]
    pos = task.positives(SAMPLED, random.Random(1), random.Random(2), 53)
    neg = task.negatives[kind].sample(SAMPLED, random.Random(3), 53)
    assert all(route.fullmatch(s) for s in pos)
    assert not any(route.fullmatch(s) for s in neg)


def test_mismatch_differs_only_in_the_second_to_last_letter() -> None:
    """A mismatch negative is a valid embedded string with T and P swapped before the final E:
    swapping back makes it valid, and its second letter no longer matches."""
    neg = get_task("embedded-reber").negatives["mismatch"].sample(2000, random.Random(4), 53)
    for s in neg:
        assert s[-2] in "TP" and s[1] != s[-2]
        assert EMBEDDED.accepts(s[:-2] + s[1] + s[-1])
        assert REBER.accepts(s[2:-2])


def test_mismatch_negatives_have_valid_lengths() -> None:
    """Mismatch negatives are drawn at the valid strings' lengths (gamma, mode 23)."""
    neg = get_task("embedded-reber").negatives["mismatch"].sample(4000, random.Random(5), 53)
    pos = get_task("embedded-reber").positives(4000, random.Random(6), random.Random(7), 53)
    mean = sum(p * n for n, p in VALID_LENGTHS.pmf().items())
    assert abs(sum(map(len, neg)) / 4000 - mean) < 0.5
    assert abs(sum(map(len, pos)) / 4000 - mean) < 0.5


def test_max_length_caps_the_lengths() -> None:
    """With max_length 20 no Reber string, valid or not, is longer than 20."""
    task = get_task("reber")
    for kind in ("thesis", "hard"):
        assert max(map(len, task.negatives[kind].sample(500, random.Random(8), 20))) <= 20
    assert max(map(len, task.positives(500, random.Random(9), random.Random(10), 20))) <= 20
