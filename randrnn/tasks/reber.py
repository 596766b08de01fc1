"""The Reber tasks: the Reber grammar (`reber`) and its embedded form (`embedded-reber`).

A Reber string is a walk through a small automaton (docs/method.md §2)::

    state 0: B->1    state 1: T->2, P->3    state 2: S->2, X->4    state 3: T->3, V->5
    state 4: X->3, S->6    state 5: P->4, V->6    state 6: E->end

The task is binary: is a string valid (label 1) or not (label 0)? One example, end to end::

    string  "BTXSE"                      valid: 0 -B-> 1 -T-> 2 -X-> 4 -S-> 6 -E-> end
    row     BTXSE,1                      (train.csv / test.csv: columns string,valid)
    encode  codes   [[66, 84, 88, 83, 69]]   ASCII codes: B=66 T=84 X=88 S=83 E=69
            lengths [5]

In a batch with the 7-letter invalid string "BTXSSPE" the short string is padded with zeros to
the longest one: codes ``[[66, 84, 88, 83, 69, 0, 0], [66, 84, 88, 83, 83, 80, 69]]``, lengths
``[5, 7]``; a model reads each string's output at step ``lengths - 1``, never in the padding.

Lengths. A plain uniform walk gives short strings (most are under 10 letters), while the thesis'
data set has lengths 11 to 53, valid strings peaking at 22-24, invalid ones at 17-19, overall
mode 22. We reach these numbers by first drawing a target length from a per-class length
distribution and then drawing a walk *conditioned on that length*: at each state the next symbol
is chosen with probability proportional to the number of ways to finish the string in exactly
the remaining letters (`randrnn.tasks.automaton`). Every state of the Reber automaton (and of
the embedded one) has one or two outgoing symbols, and all strings of one length make the same
number of two-way choices, so this is exactly the uniform walk of docs/method.md §2 conditioned
on its length, i.e. rejection sampling on the target length without the rejections: 25,000
strings take well under a second.

The length distributions are discretised, shifted gamma densities on 11..53,
``p(L) ~ (L-10)^(k-1) exp(-(L-10)/theta)`` with ``(k-1) theta = mode - 10``:
valid strings mode 23, shape 10 (``VALID_LENGTHS``); invalid strings mode 18, shape 3
(``INVALID_LENGTHS``, wider and shorter on average, reaching 53). Their 50/50 mixture peaks at
22 (a sample's mode falls at 21-23), and length alone predicts the label of the shipped set with
about 66% test accuracy: that is the bar a model must clear (see `randrnn.tasks.baselines`).
``--max-length M`` moves the upper end 53 of both to M (M >= 11).

Negatives (registry ``NEGATIVES``; the samplers take the grammar, so both tasks use them):

- ``thesis``: like the thesis' set. 56% (``FOREIGN_SHARE``) are length-conditioned walks over the
  same automaton with the inner letters T, P, S, X, V renamed to A, C, D, F, G (letters outside
  BEPSTVX; B and E kept as frame); the rest are valid strings with 1 to 3 inner letters replaced by
  other Reber letters, kept only if invalid. All are drawn at ``INVALID_LENGTHS``. The thesis does
  not say how its Reber-letter negatives were made; this is our documented choice.
- ``hard``: Reber letters only, drawn at ``VALID_LENGTHS`` (length-matched to the valid strings),
  each exactly one edit (substitute, insert, delete, adjacent swap) from a valid string and
  checked invalid. Length-only and letter-set baselines are near chance on it.
- ``mismatch`` (embedded Reber only, its default): a valid embedded string with its
  second-to-last letter swapped (T for P or P for T), as Hochreiter & Schmidhuber (1997) test
  it: the label depends only on a letter seen a whole Reber string earlier.

The embedded Reber grammar (B, T or P, a Reber string, the same T or P, E) is the same machinery
over a larger automaton (``EMBEDDED``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from randrnn.errors import check_name
from randrnn.tasks.automaton import END, Automaton, Rng, as_rng
from randrnn.tasks.task import Negatives, Task

REBER_LETTERS = frozenset("BEPSTVX")
FOREIGN_SHARE = 0.56  # share of thesis negatives made of letters outside BEPSTVX
FOREIGN_LETTERS = MappingProxyType({"T": "A", "P": "C", "S": "D", "X": "F", "V": "G"})
DEFAULT_GRAMMAR = "reber"
STREAMS = "randrnn.reber"  # the random streams' name since the first shipped data set

Grammar = Automaton  # an END-style automaton (kept name: randrnn.reber.Grammar)

REBER = Automaton(
    "reber",
    (
        (0, "B", 1),
        (1, "T", 2), (1, "P", 3),
        (2, "S", 2), (2, "X", 4),
        (3, "T", 3), (3, "V", 5),
        (4, "X", 3), (4, "S", 6),
        (5, "P", 4), (5, "V", 6),
        (6, "E", END),
    ),
)  # fmt: skip


def _embed(inner: Automaton) -> Automaton:
    """Hochreiter & Schmidhuber's embedding: B, T|P, an inner string, the same T|P, E."""
    inner_states = sorted({s for s, _, _ in inner.transitions})
    k = len(inner_states)  # copy 1 uses states 10.., copy 2 uses 10+k+1..
    up, low = 10, 10 + k + 1
    rows: list[tuple[int, str, int]] = [(0, "B", 1), (1, "T", up), (1, "P", low)]
    for base, branch in ((up, "T"), (low, "P")):
        done = base + k  # the copy's end state
        for s, sym, nxt in inner.transitions:
            rows.append((base + s, sym, done if nxt == END else base + nxt))
        rows.append((done, branch, 2))
    rows.append((2, "E", END))
    return Automaton(f"embedded-{inner.name}", tuple(rows))


EMBEDDED = _embed(REBER)
GRAMMARS: Mapping[str, Automaton] = MappingProxyType({"reber": REBER, "embedded": EMBEDDED})


def get_grammar(name: str) -> Automaton:
    """The grammar registered under `name`; an unknown name lists the known ones."""
    return GRAMMARS[check_name("grammar", name, GRAMMARS)]


def is_reber(s: str) -> bool:
    """True iff `s` is a Reber string (docs/method.md §2)."""
    return REBER.accepts(s)


def is_embedded_reber(s: str) -> bool:
    """True iff `s` is an embedded Reber string (B, T|P, Reber string, same T|P, E)."""
    return EMBEDDED.accepts(s)


def sample_valid(rng: Rng, grammar: str = DEFAULT_GRAMMAR, length: int | None = None) -> str:
    """One valid string: a uniform walk, conditioned on `length` if given."""
    g = get_grammar(grammar)
    return g.walk(rng) if length is None else g.sample([length], rng)[0]


# --------------------------------------------------------------------------- lengths


@dataclass(frozen=True)
class LengthDist:
    """A discretised gamma density shifted to start at `low`, truncated at `high`."""

    mode: int
    shape: float
    low: int = 11
    high: int = 53

    def pmf(self) -> dict[int, float]:
        """Probability of each length low..high."""
        theta = (self.mode - self.low + 1) / (self.shape - 1)
        w = {
            n: (n - self.low + 1) ** (self.shape - 1) * math.exp(-(n - self.low + 1) / theta)
            for n in range(self.low, self.high + 1)
        }
        total = sum(w.values())
        return {n: v / total for n, v in w.items()}

    def sample(self, n: int, rng: Rng) -> list[int]:
        """`n` lengths drawn from the distribution."""
        pmf = self.pmf()
        return as_rng(rng).choices(list(pmf), weights=list(pmf.values()), k=n)

    def upto(self, high: int) -> LengthDist:
        """The same density truncated (or extended) at `high`."""
        return replace(self, high=high)

    def mean(self) -> float:
        """The expected length."""
        return sum(n * p for n, p in self.pmf().items())


VALID_LENGTHS = LengthDist(mode=23, shape=10)
INVALID_LENGTHS = LengthDist(mode=18, shape=3)
MAX_LENGTH = VALID_LENGTHS.high  # 53
MIN_LENGTH = VALID_LENGTHS.low  # 11: --max-length must leave the gamma densities a length


# --------------------------------------------------------------------------- negatives


def thesis_negatives(
    n: int, rng: Rng, grammar: Automaton = REBER, lengths: LengthDist = INVALID_LENGTHS
) -> list[str]:
    """Invalid strings like the thesis': 56% foreign-letter walks, the rest corrupted strings."""
    rng = as_rng(rng)
    n_foreign = round(FOREIGN_SHARE * n)
    drawn = lengths.sample(n, rng)
    foreign = grammar.relabel(FOREIGN_LETTERS, f"foreign-{grammar.name}")
    out = foreign.sample(drawn[:n_foreign], rng)
    inner = "".join(sorted(FOREIGN_LETTERS))
    for base in grammar.sample(drawn[n_foreign:], rng):
        while True:
            chars = list(base)
            for i in rng.sample(range(1, len(base) - 1), rng.randint(1, 3)):
                chars[i] = rng.choice(inner.replace(chars[i], ""))
            s = "".join(chars)
            if not grammar.accepts(s):
                out.append(s)
                break
    rng.shuffle(out)
    return out


EDITS = ("substitute", "insert", "delete", "swap")


def one_edit(s: str, rng: random.Random, alphabet: str) -> str:
    """`s` changed by one random edit: substitute, insert, delete or swap two neighbours."""
    kind = rng.choice(EDITS)
    if kind == "substitute":
        i = rng.randrange(len(s))
        return s[:i] + rng.choice(alphabet.replace(s[i], "")) + s[i + 1 :]
    if kind == "insert":
        i = rng.randrange(len(s) + 1)
        return s[:i] + rng.choice(alphabet) + s[i:]
    if kind == "delete":
        i = rng.randrange(len(s))
        return s[:i] + s[i + 1 :]
    i = rng.randrange(len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def hard_negatives(
    n: int, rng: Rng, grammar: Automaton = REBER, lengths: LengthDist = VALID_LENGTHS
) -> list[str]:
    """Reber-letter strings one edit from a valid string, length-matched, checked invalid."""
    rng = as_rng(rng)
    alphabet = grammar.alphabet
    out = []
    for base in grammar.sample(lengths.sample(n, rng), rng):
        while True:
            s = one_edit(base, rng, alphabet)
            if lengths.low <= len(s) <= lengths.high and not grammar.accepts(s):
                out.append(s)
                break
    return out


_OTHER_BRANCH = MappingProxyType({"T": "P", "P": "T"})


def mismatch_negatives(
    n: int, rng: Rng, grammar: Automaton = EMBEDDED, lengths: LengthDist = VALID_LENGTHS
) -> list[str]:
    """Embedded strings whose second-to-last letter (T or P) no longer matches the second."""
    rng = as_rng(rng)
    return [
        s[:-2] + _OTHER_BRANCH[s[-2]] + s[-1] for s in grammar.sample(lengths.sample(n, rng), rng)
    ]


NegativeSampler = Callable[..., list[str]]
NEGATIVES: Mapping[str, NegativeSampler] = MappingProxyType(
    {"thesis": thesis_negatives, "hard": hard_negatives}
)


# --------------------------------------------------------------------------- the two tasks


def _positives(grammar: Automaton) -> Callable[[int, random.Random, random.Random, int], list]:
    def draw(n: int, length_rng: random.Random, rng: random.Random, max_length: int) -> list:
        return grammar.sample(VALID_LENGTHS.upto(max_length).sample(n, length_rng), rng)

    return draw


def _negatives(
    sampler: NegativeSampler, grammar: Automaton, lengths: LengthDist, description: str
) -> Negatives:
    def draw(n: int, rng: random.Random, max_length: int) -> list[str]:
        return sampler(n, rng, grammar, lengths.upto(max_length))

    return Negatives(draw, description)


def _reber_negatives(grammar: Automaton) -> dict[str, Negatives]:
    return {
        "thesis": _negatives(
            thesis_negatives, grammar, INVALID_LENGTHS,
            "as the thesis: 56% walks with letters outside BEPSTVX, the rest 1-3 letters "
            "replaced; shorter than the valid strings",
        ),
        "hard": _negatives(
            hard_negatives, grammar, VALID_LENGTHS,
            "Reber letters only, one edit (substitute, insert, delete, swap) from a valid "
            "string, valid strings' lengths",
        ),
    }  # fmt: skip


def _tasks() -> tuple[Task, ...]:
    embedded = {
        "mismatch": _negatives(
            mismatch_negatives, EMBEDDED, VALID_LENGTHS,
            "a valid string with its second-to-last letter (T/P) swapped: it no longer "
            "matches the second",
        ),
        **_reber_negatives(EMBEDDED),
    }  # fmt: skip
    return (
        Task(
            name="reber",
            description="the Reber grammar (the thesis' task; data/reber/ is its default set)",
            alphabet=REBER.alphabet,
            accepts=is_reber,
            positives=_positives(REBER),
            negatives=_reber_negatives(REBER),
            max_length=MAX_LENGTH,
            min_length=MIN_LENGTH,
            streams=STREAMS,
            length_split=False,
        ),
        Task(
            name="embedded-reber",
            description="B, T or P, a Reber string, the same T or P, E (Hochreiter & "
            "Schmidhuber 1997): remember one letter across a Reber string",
            alphabet=EMBEDDED.alphabet,
            accepts=is_embedded_reber,
            positives=_positives(EMBEDDED),
            negatives=embedded,
            max_length=MAX_LENGTH,
            min_length=MIN_LENGTH,
            streams=STREAMS,
            length_split=False,
        ),
    )


TASKS: tuple[Task, ...] = _tasks()
