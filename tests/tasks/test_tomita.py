"""Tests of the Tomita tasks: DFA, predicate and regular expression agree; samplers and lengths."""

from __future__ import annotations

import itertools
import random

import pytest

from randrnn.tasks import get_task
from randrnn.tasks.tomita import DFAS, PREDICATES, admissible_lengths
from tests.tasks.conftest import SAMPLED, tomita_by_regex

NUMBERS = sorted(DFAS)

# Hand-checked members (True) and non-members (False) of each language.
EXAMPLES = {
    1: {"1": True, "1111": True, "0": False, "1101": False, "10": False},
    2: {"10": True, "101010": True, "1": False, "01": False, "1001": False, "10101": False},
    3: {"1100": True, "100": True, "0110": True, "110100": True, "0": True, "1": True,
        "10": False, "1000": False, "10010": False, "011010": False, "11010": False,
        "0101": False},
    4: {"1": True, "001001": True, "1100": True, "000": False, "10001": False, "0000": False},
    5: {"00": True, "0110": True, "1010": True, "0": False, "01": False, "011": False},
    6: {"01": True, "000": True, "0011": True, "111": True, "0": False, "001": False,
        "0000": False},
    7: {"0": True, "0101": True, "0011": True, "1100": True, "101": True, "1010": False,
        "01010": False, "10100": False},
}  # fmt: skip


@pytest.mark.parametrize(("number", "s", "member"),
                         [(n, s, m) for n, ex in EXAMPLES.items() for s, m in ex.items()])  # fmt: skip
def test_hand_checked_examples(number: int, s: str, member: bool) -> None:
    """Predicate and DFA both give the hand-checked answer."""
    assert PREDICATES[number](s) is member
    assert DFAS[number].accepts(s) is member


@pytest.mark.parametrize("number", NUMBERS)
def test_three_routes_agree_on_every_short_string(number: int) -> None:
    """DFA, direct predicate and (where one exists) a regular expression agree on every 0/1
    string of up to 14 letters."""
    dfa, predicate = DFAS[number], PREDICATES[number]
    for length in range(15):
        for chars in itertools.product("01", repeat=length):
            s = "".join(chars)
            expected = predicate(s)
            assert dfa.accepts(s) == expected, s
            by_regex = tomita_by_regex(number, s)
            assert by_regex is None or by_regex == expected, s


@pytest.mark.parametrize("number", NUMBERS)
def test_other_letters_are_rejected(number: int) -> None:
    """A letter outside 0/1 puts a string outside every Tomita language."""
    for s in ("2", "1a", "0 1", "10x"):
        assert not PREDICATES[number](s) and not DFAS[number].accepts(s)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("kind", ["complement", "edit"])
def test_sampled_strings_have_their_labels(number: int, kind: str) -> None:
    """10,000 positives are in the language and 10,000 negatives are not, by the independent
    route (the regular expression; the DFA for tomita-6), all within 1..50 letters."""
    task = get_task(f"tomita-{number}")
    pos = task.positives(SAMPLED, random.Random(1), random.Random(2), 50)
    neg = task.negatives[kind].sample(SAMPLED, random.Random(3), 50)
    for strings, label in ((pos, True), (neg, False)):
        assert len(strings) == SAMPLED
        for s in strings:
            by_regex = tomita_by_regex(number, s)
            assert (DFAS[number].accepts(s) if by_regex is None else by_regex) is label, s
            assert 1 <= len(s) <= 50


@pytest.mark.parametrize("number", NUMBERS)
def test_edit_negatives_are_one_edit_from_a_member(number: int) -> None:
    """Each edit negative becomes a member again by flipping one letter or swapping two
    neighbours."""
    task = get_task(f"tomita-{number}")
    for s in task.negatives["edit"].sample(300, random.Random(4), 30):
        flips = (s[:i] + "10"[int(s[i])] + s[i + 1 :] for i in range(len(s)))
        swaps = (s[:i] + s[i + 1] + s[i] + s[i + 2 :] for i in range(len(s) - 1))
        assert any(PREDICATES[number](t) for t in itertools.chain(flips, swaps)), s


@pytest.mark.parametrize("number", NUMBERS)
def test_admissible_lengths_hold_both_classes(number: int) -> None:
    """A length is admissible iff some 0/1 string of it is in the language and some is not
    (checked by enumeration up to 12)."""
    predicate = PREDICATES[number]
    expected = []
    for length in range(1, 13):
        labels = {predicate("".join(c)) for c in itertools.product("01", repeat=length)}
        if labels == {True, False}:
            expected.append(length)
    assert list(admissible_lengths(number, 12)) == expected


def test_lengths_where_classes_are_missing() -> None:
    """Tomita 2 has words at even lengths only; tomita 7 holds every string under 4 letters."""
    assert admissible_lengths(2, 10) == (2, 4, 6, 8, 10)
    assert admissible_lengths(7, 6)[0] == 4
    assert get_task("tomita-7").min_length == 4 and get_task("tomita-4").min_length == 3


@pytest.mark.parametrize("kind", ["complement", "edit"])
def test_classes_share_their_lengths(kind: str) -> None:
    """Positives and negatives are drawn at the same lengths: equal length sets, and mean
    lengths within one letter (so length alone cannot tell them apart)."""
    task = get_task("tomita-2")
    pos = task.positives(4000, random.Random(5), random.Random(6), 40)
    neg = task.negatives[kind].sample(4000, random.Random(7), 40)
    assert {len(s) for s in pos} == {len(s) for s in neg} == set(range(2, 41, 2))
    assert abs(sum(map(len, pos)) / 4000 - sum(map(len, neg)) / 4000) < 1
