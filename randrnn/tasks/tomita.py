"""The seven Tomita languages over {0, 1} (Tomita 1982), the classic benchmark of grammar
inference with recurrent networks.

| task | language |
| --- | --- |
| tomita-1 | 1* |
| tomita-2 | (10)* |
| tomita-3 | no odd-length run of 1s followed, at any later point, by an odd-length run of 0s |
| tomita-4 | no 000 anywhere |
| tomita-5 | an even number of 0s and an even number of 1s |
| tomita-6 | (number of 0s − number of 1s) divisible by 3 |
| tomita-7 | 0*1*0*1* |

Tomita 3 reads "any string which does not contain an odd number of consecutive 0s some time
after an odd number of consecutive 1s": a *run* is a maximal block of equal letters, so 1 1 0 1 0 0
is in it (its one odd run of 1s, the 1 at position 4, is followed by an even run of 0s only) and
1 1 0 1 0 is not (the run "1" at position 4 is followed by the run "0" at position 5).

Each language has two independent descriptions here: a hand-built DFA (`DFAS`), which counts
and samples its strings, and a direct predicate on the string (`PREDICATES`, the validator).
The tests check them against each other on every string up to 14 letters and against regular
expressions where one exists.

Every language contains the empty string, and a model cannot read one (`encode` refuses empty
strings), so data sets start at length 1. Lengths are drawn uniformly from the lengths at which
both the language and its complement have strings (tomita-2: even lengths only; tomita-7: from
4 on, as every string of up to 3 letters is in 0*1*0*1*), so length alone predicts nothing.

Tomita 1 and 2 have one word per length (2: per even length), so a training set holds every
word of its lengths: their default split is ``length`` (test strings longer than any training
string, `randrnn.tasks.split`); the others' is ``disjoint``.

Negatives: ``complement`` (default), drawn uniformly from the strings of the same lengths that
are not in the language; ``edit``, one length-keeping edit (flip a letter or swap two
neighbours) of a word of the language, checked to fall outside it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType

from randrnn.errors import RandRNNError
from randrnn.tasks.automaton import Automaton
from randrnn.tasks.task import Negatives, Task, at_least, near_misses, uniform_lengths

ALPHABET = "01"
MAX_LENGTH = 50
LONGEST_SEARCHED = 64  # lengths scanned for the smallest --max-length a language allows
FEW_WORDS = (1, 2)  # one word per (even) length: their test strings must be longer (split 'length')


def _dfa(number: int, rows: list[tuple[int, str, int]], accepting: set[int]) -> Automaton:
    return Automaton(f"tomita-{number}", tuple(rows), 0, frozenset(accepting))


def _complete(states: int, step: Callable[[int, str], int]) -> list[tuple[int, str, int]]:
    return [(s, sym, step(s, sym)) for s in range(states) for sym in ALPHABET]


DFAS: Mapping[int, Automaton] = MappingProxyType(
    {
        # 0: only 1s so far; 1: dead
        1: _dfa(1, _complete(2, lambda s, c: 0 if s == 0 and c == "1" else 1), {0}),
        # 0: after a whole number of "10"; 1: after "1" of a pair; 2: dead
        2: _dfa(2, _complete(3, lambda s, c: {(0, "1"): 1, (1, "0"): 0}.get((s, c), 2)), {0}),
        # 0: no odd run of 1s has ended yet (in 0s, or after an even run of 1s); 1: in an odd
        # run of 1s with none ended before; 2: an odd run of 1s has ended, now in an odd run
        # of 0s; 3: an odd run of 1s has ended, not in an odd run of 0s; 4: dead
        3: _dfa(
            3,
            [
                (0, "0", 0),
                (0, "1", 1),
                (1, "0", 2),
                (1, "1", 0),
                (2, "0", 3),
                (2, "1", 4),
                (3, "0", 2),
                (3, "1", 3),
                (4, "0", 4),
                (4, "1", 4),
            ],
            {0, 1, 3},
        ),
        # the number of trailing 0s (0-2); 3: dead
        4: _dfa(4, _complete(4, lambda s, c: 3 if s == 3 else 0 if c == "1" else s + 1), {0, 1, 2}),
        # (number of 0s mod 2) + 2 (number of 1s mod 2)
        5: _dfa(5, _complete(4, lambda s, c: s ^ (1 if c == "0" else 2)), {0}),
        # (number of 0s − number of 1s) mod 3
        6: _dfa(6, _complete(3, lambda s, c: (s + (1 if c == "0" else -1)) % 3), {0}),
        # which block of 0*1*0*1* the string is in (0-3); 4: dead
        7: _dfa(
            7,
            [
                (0, "0", 0),
                (0, "1", 1),
                (1, "1", 1),
                (1, "0", 2),
                (2, "0", 2),
                (2, "1", 3),
                (3, "1", 3),
                (3, "0", 4),
                (4, "0", 4),
                (4, "1", 4),
            ],
            {0, 1, 2, 3},
        ),
    }
)


def _binary(s: str) -> bool:
    return set(s) <= {"0", "1"}


def _runs(s: str) -> list[tuple[str, int]]:
    """Maximal runs of equal letters: '110100' → [('1', 2), ('0', 1), ('1', 1), ('0', 2)]."""
    return [(ch, len(list(group))) for ch, group in itertools.groupby(s)]


def tomita_1(s: str) -> bool:
    """1*"""
    return all(ch == "1" for ch in s)


def tomita_2(s: str) -> bool:
    """(10)*"""
    return s == "10" * (len(s) // 2)


def tomita_3(s: str) -> bool:
    """No odd run of 1s followed, anywhere later, by an odd run of 0s."""
    if not _binary(s):
        return False
    odd_ones_before = False
    for ch, size in _runs(s):
        if ch == "0" and size % 2 and odd_ones_before:
            return False
        if ch == "1" and size % 2:
            odd_ones_before = True
    return True


def tomita_4(s: str) -> bool:
    """No three 0s in a row."""
    return _binary(s) and "000" not in s


def tomita_5(s: str) -> bool:
    """An even number of 0s and an even number of 1s."""
    return _binary(s) and s.count("0") % 2 == 0 and s.count("1") % 2 == 0


def tomita_6(s: str) -> bool:
    """The numbers of 0s and of 1s differ by a multiple of 3."""
    return _binary(s) and (s.count("0") - s.count("1")) % 3 == 0


def tomita_7(s: str) -> bool:
    """0*1*0*1*: the letters of its runs, read in order, are a piece of 0101."""
    return _binary(s) and "".join(ch for ch, _ in _runs(s)) in "0101"


PREDICATES: Mapping[int, Callable[[str], bool]] = MappingProxyType(
    {1: tomita_1, 2: tomita_2, 3: tomita_3, 4: tomita_4, 5: tomita_5, 6: tomita_6, 7: tomita_7}
)
DESCRIPTIONS: Mapping[int, str] = MappingProxyType(
    {
        1: "Tomita 1: 1*",
        2: "Tomita 2: (10)*",
        3: "Tomita 3: no odd run of 1s followed (at any later point) by an odd run of 0s",
        4: "Tomita 4: no 000",
        5: "Tomita 5: even number of 0s and even number of 1s",
        6: "Tomita 6: number of 0s minus number of 1s divisible by 3",
        7: "Tomita 7: 0*1*0*1*",
    }
)


@lru_cache(maxsize=64)
def admissible_lengths(number: int, max_length: int) -> tuple[int, ...]:
    """Lengths 1..max_length at which both the language and its complement have strings."""
    dfa = DFAS[number]
    inside = dfa.counts(max_length)[dfa.start]
    outside = _complement(number).counts(max_length)[dfa.start]
    return tuple(n for n in range(1, max_length + 1) if inside[n] and outside[n])


@lru_cache(maxsize=8)
def _complement(number: int) -> Automaton:
    return DFAS[number].complement(ALPHABET)


def _check_lengths(number: int, max_length: int, min_length: int = 1) -> list[int]:
    lengths = at_least(admissible_lengths(number, max_length), min_length)
    if not lengths:  # Task.min_length keeps the default min_length=1 from getting here
        raise RandRNNError(
            f"tomita-{number} has no strings of both classes of lengths {min_length}-{max_length}"
        )
    return lengths


def _task(number: int) -> Task:
    dfa, accepts = DFAS[number], PREDICATES[number]

    def positives(
        n: int, length_rng: random.Random, rng: random.Random, max_length: int, min_length=1
    ) -> list[str]:
        lengths = uniform_lengths(_check_lengths(number, max_length, min_length), n, length_rng)
        return dfa.sample(lengths, rng)

    def complement(n: int, rng: random.Random, max_length: int, min_length=1) -> list[str]:
        lengths = uniform_lengths(_check_lengths(number, max_length, min_length), n, rng)
        return _complement(number).sample(lengths, rng)

    def edit(n: int, rng: random.Random, max_length: int, min_length=1) -> list[str]:
        lengths = uniform_lengths(_check_lengths(number, max_length, min_length), n, rng)
        return near_misses(
            dfa.sample(lengths, rng), rng, ALPHABET, lambda s: not accepts(s),
            lambda length, r: dfa.sample([length], r)[0],
        )  # fmt: skip

    smallest = admissible_lengths(number, LONGEST_SEARCHED)[0]
    return Task(
        name=f"tomita-{number}",
        description=DESCRIPTIONS[number],
        alphabet=ALPHABET,
        accepts=accepts,
        positives=positives,
        negatives={
            "complement": Negatives(
                complement, "uniform over the strings of the same lengths outside the language"
            ),
            "edit": Negatives(
                edit, "a word of the language with one letter flipped or two neighbours swapped"
            ),
        },
        max_length=MAX_LENGTH,
        min_length=smallest,
        split="length" if number in FEW_WORDS else "disjoint",
    )


TASKS: tuple[Task, ...] = tuple(_task(number) for number in DFAS)
