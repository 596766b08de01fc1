"""The one domain exception: the library raises it, the CLI turns it into a message and exit 1.

Also the two checks of names against a registry that every command uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class RandRNNError(Exception):
    """A user-facing error: bad input, unknown name, missing study. The message is one line."""


def check_name(what: str, value: str, known: Iterable[str], of: str = "") -> str:
    """``value`` if it is one of the ``known`` names (a registry or a tuple), else the one-line
    error every command gives for an unknown name: "unknown cell 'gur'; known: rnn_tanh, ...".
    ``of`` qualifies the value ("for task reber", "in [train-all]")."""
    if value not in known:
        qualified = f" {of}" if of else ""
        raise RandRNNError(f"unknown {what} '{value}'{qualified}; known: {', '.join(known)}")
    return value


def parse_names(
    text: str | Sequence[str], known: Iterable[str], what: str, everything: str | None = None
) -> list[str]:
    """'a,b' (or a list) → the names in the given order, lower-cased, each once, all known.
    ``everything`` (e.g. 'all') alone stands for every known name."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    names = list(dict.fromkeys(n for n in names if n))
    if everything and names == [everything]:
        return list(known)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        listed = ", ".join([everything, *known] if everything else known)
        raise RandRNNError(f"unknown {what} '{','.join(unknown)}'; known: {listed}")
    return names
