"""One way to hook into long work: callbacks by event, as minGPT's trainer keeps them.

Code that runs long work (`loop.fit`, `engine.train_many`, `runner.train_study`,
`pruning.runner.run_experiments`, `pipeline.generate_into`) takes a `Callbacks` and triggers
events by name, each with one plain value; whoever wants to know registers a function with
`add_callback`. The events:

- ``"step"``: a `Step` after every optimiser step (gradients still in ``.grad``);
- ``"epoch"``: an `Epoch` with the finished epoch's numbers (`loop.fit`);
- ``"progress"``: a `Progress`, units of work done out of a total (what a display shows).

A callback returns nothing, or True to ask `loop.fit` to stop after this step (the WAEA window
does): stopping is a returned flag, never an exception. The library prints nothing itself; the
command line renders ``"progress"`` events (`randrnn.cli.progress`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from randrnn.errors import check_name

EVENTS = ("step", "epoch", "progress")


@dataclass(frozen=True)
class Step:
    """After optimiser step ``step`` (1-based) of ``model``: the module `loop.fit` trains, or
    the `PackedModels` of `engine.train_many` (``model.models`` says whose weights it holds)."""

    model: Any
    step: int


@dataclass(frozen=True)
class Epoch:
    """After epoch ``epoch`` (1-based); ``record`` holds its train (and test) numbers."""

    epoch: int
    record: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units of ``stage`` finished (total None: not known yet);
    ``current`` says what finished last."""

    done: int
    total: int | None
    stage: str
    current: str = ""


Callback = Callable[[Any], bool | None]


class Callbacks:
    """Callbacks by event name: ``add_callback(event, fn)``; ``trigger_callback(event, value)``
    calls each with the value and returns True if any asked to stop."""

    def __init__(self) -> None:
        self._by_event: dict[str, list[Callback]] = defaultdict(list)

    def add_callback(self, event: str, callback: Callback) -> Callbacks:
        """Register ``callback`` for ``event`` (one of `EVENTS`); returns self, to chain."""
        self._by_event[check_name("callback event", event, EVENTS)].append(callback)
        return self

    def plus(self, event: str, callback: Callback) -> Callbacks:
        """A new `Callbacks` with these and ``callback`` for ``event`` (self is unchanged)."""
        more = Callbacks()
        for name, callbacks in self._by_event.items():
            more._by_event[name] = list(callbacks)
        return more.add_callback(event, callback)

    def trigger_callback(self, event: str, value: Any) -> bool:
        """Call every callback of ``event`` with ``value``; True if any returned True."""
        stop = False
        for callback in self._by_event.get(event, ()):
            stop = bool(callback(value)) or stop
        return stop
