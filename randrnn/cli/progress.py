"""Show the library's ``"progress"`` events: a rich bar on a terminal, plain lines elsewhere.

Where output is not a terminal (nohup, CI, a cluster's job log) a bar shows nothing until the
command ends, so there each stage prints a line when it starts, whenever it passes another
`STEP_PERCENT`, at least every `EVERY_SECONDS` while work gets done, and when it ends::

    models 120/1000 (12%) · 2.10/s · elapsed 0:00:57 · eta 0:06:59 · graph 31 gru: acc 0.912
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

from randrnn.callbacks import Callbacks, Progress

STEP_PERCENT = 5.0  # a plain line whenever a stage passes another 5 %...
EVERY_SECONDS = 60.0  # ...or a minute has gone by with work done


def progress_bar(console: Console) -> Bar:
    """The terminal display of long commands: done/total, bar, elapsed, ETA, what finished last."""
    return Bar(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
    )


@dataclass
class _Stage:
    """What the plain display remembers of one stage."""

    started: float
    first_done: int
    shown_at: float
    shown_done: int
    shown_step: int


class ProgressDisplay:
    """A context manager whose `callbacks` show ``"progress"`` events on ``console``."""

    def __init__(
        self,
        console: Console,
        every: float = EVERY_SECONDS,
        step: float = STEP_PERCENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console, self.every, self.step, self.clock = console, every, step, clock
        self.bar = progress_bar(console) if console.is_terminal else None
        self.tasks: dict[str, int] = {}  # stage → bar task
        self.stages: dict[str, _Stage] = {}

    @property
    def callbacks(self) -> Callbacks:
        """Callbacks to pass to the library."""
        return Callbacks().add_callback("progress", self.show)

    def __enter__(self) -> Self:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, error, trace)

    def show(self, event: Progress) -> None:
        """Show one event: update the stage's bar, or print a plain line when one is due."""
        if self.bar is not None:
            if event.stage not in self.tasks:
                self.tasks[event.stage] = self.bar.add_task(event.stage, total=None, current="")
            self.bar.update(self.tasks[event.stage], completed=event.done, total=event.total,
                            current=event.current)  # fmt: skip
            return
        if event.total == 0:  # nothing to do in this stage: the command says so itself
            return
        now = self.clock()
        stage = self.stages.get(event.stage)
        if stage is None:
            stage = self.stages[event.stage] = _Stage(now, event.done, now, event.done, -1)
        elif event.done == stage.shown_done or not self._due(stage, event, now):
            return
        stage.shown_at, stage.shown_done = now, event.done
        stage.shown_step = self._step(event)
        self.console.print(plain_line(event, event.done - stage.first_done, now - stage.started),
                           highlight=False, markup=False, soft_wrap=True)  # fmt: skip

    def _step(self, event: Progress) -> int:
        if not event.total:
            return 0
        return math.floor(100 * event.done / event.total / self.step)

    def _due(self, stage: _Stage, event: Progress, now: float) -> bool:
        return (
            event.done == event.total
            or self._step(event) > stage.shown_step
            or now - stage.shown_at >= self.every
        )


def plain_line(event: Progress, counted: int, seconds: float) -> str:
    """'models 120/1000 (12%) · 2.10/s · elapsed 0:00:57 · eta 0:06:59 · <current>': ``counted``
    units were done in ``seconds`` since the stage was first shown (the rate and ETA)."""
    total = "?" if event.total is None else str(event.total)
    parts = [f"{event.stage} {event.done}/{total}"]
    if event.total:
        parts[0] += f" ({100 * event.done / event.total:.0f}%)"
    if counted > 0 and seconds > 0:
        rate = counted / seconds
        parts.append(f"{rate:.2f}/s" if rate >= 1 else f"{60 * rate:.2f}/min")
        parts.append(f"elapsed {_clock(seconds)}")
        if event.total is not None:
            parts.append(f"eta {_clock(max(event.total - event.done, 0) / rate)}")
    if event.current:
        parts.append(event.current)
    return " · ".join(parts)


def _clock(seconds: float) -> str:
    """Seconds as h:mm:ss."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
