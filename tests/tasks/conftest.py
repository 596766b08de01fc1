"""Shared helpers of the task tests: independent routes to each language, and sample sizes."""

from __future__ import annotations

import re

SAMPLED = 10_000  # strings drawn per task and kind in the agreement tests

# The Reber grammar as a regular expression, solved from its automaton by hand (docs/method.md
# §2.1): from state 3 a word ends with (T*VPX)* T*V(PS|V)E; states 2 and 4 lead there or to SE.
_FROM_3 = r"(?:T*VPX)*T*V(?:PS|V)E"
REBER_RE = re.compile(rf"B(?:TS*X(?:X{_FROM_3}|SE)|P{_FROM_3})")
_INNER = REBER_RE.pattern
EMBEDDED_RE = re.compile(rf"B(?:T{_INNER}T|P{_INNER}P)E")

# Tomita languages as regular expressions where a short one exists; tomita-6 has none, its DFA
# is compared with its predicate. Possessive quantifiers keep the matching linear on 50 letters.
TOMITA_RE = {
    1: re.compile(r"1*+"),
    2: re.compile(r"(?:10)*+"),
    4: re.compile(r"(?:1|01|001)*+(?:0|00)?"),
    5: re.compile(r"(?:00|11|(?:01|10)(?:00|11)*+(?:01|10))*+"),
    7: re.compile(r"0*+1*+0*+1*+"),
}
# Not tomita-3: a maximal odd run of 1s, anything, then a maximal odd run of 0s (lookarounds
# make the runs maximal).
NOT_TOMITA_3 = re.compile(r"(?<!1)1(?:11)*+(?!1).*(?<!0)0(?:00)*+(?!0)")


def tomita_by_regex(number: int, s: str) -> bool | None:
    """Membership by regular expression (None for tomita-6, which has no short one)."""
    if number == 3:
        return set(s) <= {"0", "1"} and NOT_TOMITA_3.search(s) is None
    if number == 6:
        return None
    return TOMITA_RE[number].fullmatch(s) is not None


def dyck_by_reduction(s: str, pairs: str, max_depth: int) -> bool:
    """Balanced iff deleting adjacent matched pairs until none is left empties the string;
    the nesting depth of a prefix is its opening brackets minus its closing ones."""
    opening = set(pairs[0::2])
    depth = deepest = 0
    for ch in s:
        depth += 1 if ch in opening else -1
        deepest = max(deepest, depth)
    pieces = [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    rest = s
    while True:
        shorter = rest
        for piece in pieces:
            shorter = shorter.replace(piece, "")
        if shorter == rest:
            break
        rest = shorter
    return rest == "" and deepest <= max_depth and set(s) <= set(pairs)


def anbn_by_regex(s: str) -> bool:
    """a+ then b+, as many of each."""
    m = re.fullmatch(r"(a+)(b+)", s)
    return m is not None and len(m.group(1)) == len(m.group(2))
