"""Finite automata that count and sample their strings: the machinery behind the regular tasks.

An `Automaton` lists its transitions as (state, symbol, next state); a missing transition rejects.
A string is accepted if it walks from ``start`` to an accepting state. By default the only
accepting state is ``END``, a state without outgoing symbols: the Reber grammar's convention, in
which the last letter leads to *end*. A DFA with ordinary accepting states (the Tomita languages)
names them in ``accepting``.

Sampling is uniform among the accepted strings of each requested length, without rejection:
``counts(L)[state][r]`` is the number of accepted strings of exactly r more letters from
``state`` (one dynamic-programming pass), and each letter is chosen with probability
proportional to the count of the state it leads to. `complement` gives the automaton of every
other string over an alphabet, so negatives can be drawn uniformly from the complement the
same way.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from randrnn.errors import RandRNNError

END = -1  # the end state of the Reber-style automata: no outgoing symbol
SINK = -2  # the state `complement` adds for the transitions the automaton lacks

Rng = random.Random | int


def as_rng(rng: Rng) -> random.Random:
    """A `random.Random` from a generator (used as is) or an int seed."""
    return rng if isinstance(rng, random.Random) else random.Random(rng)


@dataclass(frozen=True)
class Automaton:
    """A deterministic automaton: `transitions` lists (state, symbol, next state)."""

    name: str
    transitions: tuple[tuple[int, str, int], ...]
    start: int = 0
    accepting: frozenset[int] = frozenset({END})

    @cached_property
    def _step(self) -> Mapping[tuple[int, str], int]:
        """(state, symbol) -> next state, built once per automaton."""
        return MappingProxyType({(s, sym): nxt for s, sym, nxt in self.transitions})

    @cached_property
    def states(self) -> frozenset[int]:
        """Every state named in the table, the start and the accepting states."""
        named = {s for s, _, _ in self.transitions} | {n for _, _, n in self.transitions}
        return frozenset(named | {self.start} | set(self.accepting))

    def outgoing(self, state: int) -> tuple[tuple[str, int], ...]:
        """The (symbol, next state) pairs leaving `state`, in table order."""
        return tuple((sym, nxt) for s, sym, nxt in self.transitions if s == state)

    @property
    def alphabet(self) -> str:
        """The automaton's letters, sorted."""
        return "".join(sorted({sym for _, sym, _ in self.transitions}))

    def accepts(self, s: str) -> bool:
        """True iff `s` walks from the start state to an accepting state."""
        step = self._step
        state = self.start
        for ch in s:
            nxt = step.get((state, ch))
            if nxt is None:
                return False
            state = nxt
        return state in self.accepting

    def walk(self, rng: Rng) -> str:
        """One uniform walk to END: each state picks uniformly among its outgoing symbols.
        Meant for END-style grammars (the Reber walk of docs/method.md §2)."""
        rng = as_rng(rng)
        out, state = [], self.start
        while state != END:
            sym, state = rng.choice(self.outgoing(state))
            out.append(sym)
        return "".join(out)

    def counts(self, max_length: int) -> dict[int, list[int]]:
        """counts[state][r] = number of accepted strings of exactly r letters from `state`."""
        counts = {s: [0] * (max_length + 1) for s in self.states}
        for s in self.accepting:
            counts[s][0] = 1
        for r in range(1, max_length + 1):
            for s, _, nxt in self.transitions:
                counts[s][r] += counts[nxt][r - 1]
        return counts

    def count(self, length: int) -> int:
        """The number of accepted strings of exactly `length` letters."""
        return self.counts(length)[self.start][length] if length >= 0 else 0

    def sample(self, lengths: Sequence[int], rng: Rng) -> list[str]:
        """One uniformly drawn accepted string of each requested length."""
        rng = as_rng(rng)
        if not lengths:
            return []
        counts = self.counts(max(lengths))
        table = {s: self.outgoing(s) for s in counts}
        strings = []
        for length in lengths:
            if length < 0 or counts[self.start][length] == 0:
                raise RandRNNError(f"{self.name!r} has no string of length {length}")
            out, state, left = [], self.start, length
            while left:
                pick = rng.randrange(counts[state][left])
                for sym, nxt in table[state]:
                    if pick < counts[nxt][left - 1]:
                        break
                    pick -= counts[nxt][left - 1]
                out.append(sym)
                state, left = nxt, left - 1
            strings.append("".join(out))
        return strings

    def relabel(self, mapping: Mapping[str, str], name: str) -> Automaton:
        """The same automaton with symbols renamed by `mapping` (others kept)."""
        rows = tuple((s, mapping.get(sym, sym), n) for s, sym, n in self.transitions)
        return Automaton(name, rows, self.start, self.accepting)

    def complement(self, alphabet: str, name: str | None = None) -> Automaton:
        """The automaton of every string over `alphabet` that this one rejects."""
        rows = [(s, sym, n) for s, sym, n in self.transitions if sym in alphabet]
        present = {(s, sym) for s, sym, _ in rows}
        states = sorted(self.states | {SINK})
        rows += [(s, sym, SINK) for s in states for sym in alphabet if (s, sym) not in present]
        accepting = frozenset(states) - self.accepting
        return Automaton(name or f"not-{self.name}", tuple(rows), self.start, accepting)
