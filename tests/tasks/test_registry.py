"""Tests of randrnn.tasks.registry: the tasks, their specs, and the errors for unknown names."""

from __future__ import annotations

import pytest

from randrnn.errors import RandRNNError
from randrnn.tasks import TASKS, get_task, parse_spec, spec

EXPECTED = ["reber", "embedded-reber", *(f"tomita-{i}" for i in range(1, 8)), "dyck-1",
            "dyck-2", "anbn"]  # fmt: skip


def test_registry_holds_the_tasks_in_order() -> None:
    """Every task of the issue is registered, Reber first (the default)."""
    assert list(TASKS) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_task_is_complete(name: str) -> None:
    """A task has a one-line description, an ASCII alphabet, negatives with descriptions and a
    default max length no shorter than its minimum."""
    t = get_task(name)
    assert t.description and "\n" not in t.description
    assert t.alphabet.isascii() and t.alphabet.isprintable()
    assert t.negatives and all(kind.description for kind in t.negatives.values())
    assert t.min_length <= t.max_length


@pytest.mark.parametrize(
    ("text", "negatives", "expected"),
    [("reber", None, ("reber", "thesis")), ("reber:hard", None, ("reber", "hard")),
     ("reber", "hard", ("reber", "hard")), ("reber:hard", "hard", ("reber", "hard")),
     (" tomita-4 ", None, ("tomita-4", "complement")), ("dyck-2", None, ("dyck-2", "swap"))],
)  # fmt: skip
def test_parse_spec(text: str, negatives: str | None, expected: tuple[str, str]) -> None:
    """A spec names a task and optionally its negatives; --negatives may give them instead."""
    task, kind = parse_spec(text, negatives)
    assert (task.name, kind) == expected


def test_canonical_spec_omits_default_negatives() -> None:
    """spec() writes the name alone for the default negatives, name:kind otherwise."""
    assert spec("reber") == spec("reber:thesis") == spec("reber", "thesis") == "reber"
    assert spec("reber", "hard") == "reber:hard"
    assert spec("embedded-reber") == "embedded-reber"
    assert spec("embedded-reber:thesis") == "embedded-reber:thesis"


@pytest.mark.parametrize(
    ("text", "negatives", "message"),
    [("tomita-9", None, "unknown task 'tomita-9'; known: reber, embedded-reber, tomita-1"),
     ("tomita-4:hard", None, "unknown negatives 'hard' for task tomita-4; known: complement, edit"),
     ("reber", "easy", "unknown negatives 'easy' for task reber; known: thesis, hard"),
     ("reber:hard", "thesis", "names negatives hard, but --negatives is thesis")],
)  # fmt: skip
def test_errors_are_one_line(text: str, negatives: str | None, message: str) -> None:
    """Unknown tasks and negatives, and contradicting ones, give one line naming the choices."""
    with pytest.raises(RandRNNError, match=message) as err:
        parse_spec(text, negatives)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "too_short", "message"),
    [("reber", 10, "at least 11"), ("dyck-1", 1, "at least 2"), ("tomita-7", 3, "at least 4"),
     ("tomita-2", 1, "at least 2")],
)  # fmt: skip
def test_max_length_below_the_minimum(name: str, too_short: int, message: str) -> None:
    """A max length that leaves a class without strings is refused; the minimum itself works."""
    t = get_task(name)
    with pytest.raises(RandRNNError, match=message):
        t.check_max_length(too_short)
    assert t.check_max_length(too_short + 1) == too_short + 1
