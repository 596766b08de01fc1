"""Tests of randrnn.tasks.automaton: counting, uniform sampling and complements of automata."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from scipy import stats

from randrnn.errors import RandRNNError
from randrnn.tasks.automaton import END, Automaton
from randrnn.tasks.reber import REBER
from randrnn.tasks.tomita import DFAS


def every_string(alphabet: str, length: int) -> list[str]:
    return ["".join(p) for p in itertools.product(alphabet, repeat=length)]


@pytest.mark.parametrize("number", sorted(DFAS))
def test_counts_match_enumeration_tomita(number: int) -> None:
    """count(L) equals the number of accepted strings among all 2^L, for L = 0..12."""
    dfa = DFAS[number]
    for length in range(13):
        assert dfa.count(length) == sum(map(dfa.accepts, every_string("01", length)))


def test_counts_match_enumeration_reber() -> None:
    """The Reber automaton's counts equal brute force over BEPSTVX strings up to 7 letters."""
    for length in range(8):
        brute = sum(REBER.accepts(s) for s in every_string("BEPSTVX", length))
        assert REBER.count(length) == brute


@pytest.mark.parametrize("number", sorted(DFAS))
def test_complement_is_the_complement(number: int) -> None:
    """Over 0/1 strings up to 10 letters, the complement accepts exactly what the DFA rejects."""
    dfa = DFAS[number]
    other = dfa.complement("01")
    for length in range(11):
        for s in every_string("01", length):
            assert other.accepts(s) != dfa.accepts(s), s


def test_complement_of_an_end_automaton() -> None:
    """Reber's complement over its letters rejects Reber strings and accepts broken ones."""
    other = REBER.complement(REBER.alphabet)
    assert not other.accepts("BTXSE") and other.accepts("BTXS") and other.accepts("")
    assert not other.accepts("BTXSA")  # letters outside the alphabet are in neither


@pytest.mark.parametrize(("number", "length"), [(4, 7), (3, 6), (7, 6)])
def test_sampling_is_uniform(number: int, length: int) -> None:
    """20,000 draws at one length hit every accepted string about equally (chi-square)."""
    dfa = DFAS[number]
    words = [s for s in every_string("01", length) if dfa.accepts(s)]
    drawn = Counter(dfa.sample([length] * 20_000, random.Random(0)))
    assert set(drawn) == set(words)
    observed = [drawn[w] for w in words]
    assert stats.chisquare(observed).pvalue > 0.001


def test_sample_reproduces_reber_walk_counts() -> None:
    """Conditioned on its length, a Reber walk is uniform: chi-square over all length-9 words
    (listed by a recursive walk, as enumerating 7^9 strings would be slow)."""

    def words_from(state: int, left: int) -> list[str]:
        if left == 0:
            return [""] if state == END else []
        return [
            sym + rest for sym, nxt in REBER.outgoing(state) for rest in words_from(nxt, left - 1)
        ]

    words = words_from(0, 9)
    assert len(words) == REBER.count(9)
    drawn = Counter(REBER.sample([9] * 10_000, random.Random(1)))
    assert set(drawn) == set(words)
    assert stats.chisquare([drawn[w] for w in words]).pvalue > 0.001


def test_sample_rejects_impossible_lengths() -> None:
    """Asking for a length with no accepted string is one clear error."""
    with pytest.raises(RandRNNError, match="no string of length 4"):
        REBER.sample([4], random.Random(0))


def test_missing_transitions_reject() -> None:
    """A partial automaton rejects a letter it has no transition for."""
    a = Automaton("ab", ((0, "a", 1), (1, "b", END)))
    assert a.accepts("ab") and not a.accepts("aa") and not a.accepts("abb")
