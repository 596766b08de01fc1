"""What a report page is made of: sections holding elements, each element a plain value that
one small template renders (``templates/<kind>.html``), as ydata-profiling's report structure.

A section module builds these; `render.page` turns them into HTML. `Figures` saves a figure as
a PNG beside the page and gives the element that embeds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.format import DataFrameFormatter

from randrnn.analysis import figures, table

MISSING = "—"  # a value that does not exist; every table that shows one says so under it


@dataclass(frozen=True)
class Paragraph:
    """A line or paragraph of text."""

    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class Warn:
    """Something a reader must see: a section that cannot compute a part, a differing protocol.
    ``strong`` is a bold lead-in."""

    text: str
    strong: str = ""
    kind: str = "warn"


@dataclass(frozen=True)
class Alerts:
    """A list of warnings shown together (the summary's)."""

    items: tuple[str, ...]
    kind: str = "alerts"


@dataclass(frozen=True)
class Table:
    """A table of text cells with a caption and a legend line under it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    legend: str = ""
    kind: str = "table"


@dataclass(frozen=True)
class Image:
    """A PNG embedded in the page (``data``: base64), saved as ``filename`` beside it."""

    data: str
    caption: str
    filename: str
    kind: str = "figure"


@dataclass(frozen=True)
class Details:
    """Elements folded under a summary line."""

    summary: str
    children: tuple
    open: bool = False
    kind: str = "details"


@dataclass(frozen=True)
class Pre:
    """Preformatted text (the study file)."""

    text: str
    kind: str = "pre"


@dataclass(frozen=True)
class Html:
    """A fragment written elsewhere as HTML (the pruning section's)."""

    html: str
    kind: str = "html"


@dataclass(frozen=True)
class Section:
    """A titled part of the page."""

    title: str
    elements: tuple
    anchor: str = ""

    def __post_init__(self) -> None:
        if not self.anchor:
            object.__setattr__(self, "anchor", self.title.lower().replace(" ", "-"))


def frame_table(frame: pd.DataFrame, caption: str = "", missing: str = "no value") -> Table:
    """A frame as a `Table` of its cells as pandas writes them (``DataFrame.to_html``'s column
    formatting); None and NaN show as — and the legend says what — means."""
    shown = frame.astype(object).map(lambda v: MISSING if table.is_missing(v) else v)
    with pd.option_context("display.max_colwidth", None):  # to_html's: no cut
        formatter = DataFrameFormatter(shown, index=False)
        columns = [[t.strip() for t in formatter.format_col(i)] for i in range(shown.shape[1])]
    rows = tuple(zip(*columns)) if columns else ()
    legend = f"{MISSING}: {missing}" if (shown == MISSING).to_numpy().any() else ""
    return Table(tuple(map(str, frame.columns)), rows, caption, legend)


@dataclass
class Figures:
    """Saves figures as ``<prefix><name>.png`` in ``out_dir`` and returns their `Image`."""

    out_dir: Path
    prefix: str = ""
    suffix: str = ""  # added to each caption, e.g. ' (dyck-2)'
    paths: list[Path] = field(default_factory=list)

    def add(self, fig: Figure, name: str, caption: str) -> Image:
        path = self.out_dir / f"{self.prefix}{name}.png"
        self.paths.append(path)
        caption = caption + self.suffix
        return Image(figures.save(fig, path), caption, path.name)

    def for_task(self, task: str) -> Figures:
        """The figures of one task of several: files ``<task>-<name>.png``."""
        stem = task.replace(":", "-").replace(" ", "-")
        return Figures(self.out_dir, f"{stem}-", f" ({task})", self.paths)
