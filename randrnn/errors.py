"""The one domain exception: the library raises it, the CLI turns it into a message and exit 1.

Also the two checks of names against a registry that every command uses, and the reading of
a comma list of numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


class RandRNNError(Exception):
    """A user-facing error: bad input, unknown name, missing study. The message is one line."""


def check_name(what: str, value: str, known: Iterable[str], of: str = "", where: str = "") -> str:
    """``value`` if it is one of the ``known`` names (a registry or a tuple), else the one-line
    error every command gives for an unknown name: "unknown cell 'gur'; known: rnn_tanh, ...".
    ``of`` qualifies the value ("for task reber", "in [train-all]"); ``where`` (a file) comes
    first: "study.toml: unknown section ..."."""
    if value not in known:
        qualified = f" {of}" if of else ""
        prefix = f"{where}: " if where else ""
        raise RandRNNError(
            f"{prefix}unknown {what} '{value}'{qualified}; known: {', '.join(known)}"
        )
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


def parse_list(text: str, convert: Callable[[str], T], usage: str) -> list[T]:
    """'3,7,3' → [3, 7]: the comma list's values converted, each once, in order; a value
    ``convert`` refuses, or none at all, is the one line ``usage`` (", got 'text'")."""
    try:
        values = [convert(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise RandRNNError(f"{usage}, got '{text}'") from None
    if not values:
        raise RandRNNError(usage)
    return list(dict.fromkeys(values))


def check_at_least(option: str, value: int, least: int = 1) -> int:
    """``value`` if at least ``least``, else the one line "--workers must be at least 1, got 0"."""
    if value < least:
        raise RandRNNError(f"{option} must be at least {least}, got {value}")
    return value
