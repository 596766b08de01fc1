"""How commands print a result: one set of formats, tables that fit 80 columns, checked paths.

Formats, the same for every command that prints a table: ``table`` (rich, for the terminal),
``markdown`` (``md`` is accepted) and ``csv`` (the raw result, every column, full precision).

A terminal table shows the columns that fit an 80-column terminal; the others are listed
under it and ``--wide`` shows them too, the whole table at its natural width whatever the
width of the terminal (a pipe or a file counts as 80 columns). Names are never cut and numbers never shrink: number
columns keep their full width, and if the terminal is narrower than a table, only text
columns fold onto a second line. Markdown and files written with ``--out`` hold every column.

``--out`` is a file for the commands that print a table and a folder for ``report`` and
``dataset``; `out_file` and `out_folder` refuse the other kind in one line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from randrnn.errors import RandRNNError, check_name

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "markdown", "csv")
ALIASES = {"md": "markdown"}
WIDTH = 80  # the terminal a default table must fit
EMPTY = "—"  # a value that does not exist (the legend says why)

FormatOpt = Annotated[str, typer.Option("--format", help="Output: table, markdown (or md) or csv.")]
WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="Show every column (the default table fits 80 columns)."),
]


def parse_format(text: str) -> str:
    """'table', 'markdown' (or 'md') or 'csv', case-insensitive; anything else is one line."""
    key = text.strip().lower()
    return ALIASES.get(key) or check_name("format", key, (*FORMATS, *ALIASES))


def out_file(path: Path | None) -> Path | None:
    """``--out`` of a command that writes one file: refuse a folder, and a missing parent."""
    if path is None:
        return None
    if path.is_dir():
        raise RandRNNError(f"--out {path} is a folder; give a file name, e.g. {path / 'out.csv'}")
    if not path.parent.is_dir():
        raise RandRNNError(f"--out {path}: folder {path.parent} does not exist")
    return path


def out_folder(path: Path | None) -> Path | None:
    """``--out`` of a command that writes a folder of files: refuse an existing file."""
    if path is not None and path.exists() and not path.is_dir():
        raise RandRNNError(f"--out {path} is a file; give a folder (it is created if missing)")
    return path


@dataclass(frozen=True)
class View:
    """One table to print: a title and a frame of strings.

    ``text``: columns of names (left-aligned; the only ones that may fold in a terminal
    narrower than the table); ``wide``: columns shown only with ``--wide``; ``full``: the
    frame Markdown shows, when the terminal's is rearranged to fit (default: ``frame``).
    """

    title: str
    frame: pd.DataFrame
    text: tuple[str, ...] = ()
    wide: tuple[str, ...] = ()
    full: pd.DataFrame | None = None

    def columns(self, wide: bool) -> list[str]:
        """The columns shown: all with ``wide``, else all but the wide-only ones."""
        return [str(c) for c in self.frame.columns if wide or str(c) not in self.wide]

    def hidden(self, wide: bool) -> list[str]:
        """The columns present but not shown."""
        shown = set(self.columns(wide))
        return [str(c) for c in self.frame.columns if str(c) not in shown]


def number_text(value: object, digits: int = 4) -> str:
    """A value as the CLI prints it: integers whole, floats to ``digits`` significant digits,
    missing values empty, anything else as ``str``."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{digits}g}"
    if isinstance(value, float):
        return str(int(value)) if abs(value) < 1e15 else f"{value:.{digits}g}"
    return str(value)


def strings(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A frame of numbers as text (`number_text`)."""
    return frame.astype(object).map(lambda value: number_text(value, digits))


def fitted(view: View, width: int = WIDTH, keep: int = 1) -> View:
    """The view with its last columns (after the first ``keep``) moved to ``wide`` until the
    default table fits ``width`` characters (two spaces between columns)."""
    shown = view.columns(wide=False)

    def natural(columns: list[str]) -> int:
        sizes = [max([len(c), *(len(_cell(v)) for v in view.frame[c])]) for c in columns]
        return sum(sizes) + 2 * (len(sizes) - 1)

    while len(shown) > keep and natural(shown) > width:
        shown.pop()
    hidden = tuple(c for c in map(str, view.frame.columns) if c not in shown)
    return View(view.title, view.frame, view.text, hidden, view.full)


def _cell(value: object) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def rich_table(view: View, wide: bool = False, style: box.Box = box.SIMPLE_HEAD) -> Table:
    """The rich table of a view: text columns may fold, number columns never shrink."""
    t = Table(
        title=view.title,
        title_justify="left",
        box=style,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,  # two spaces between columns
    )
    columns = view.columns(wide)
    for col in columns:
        values = [_cell(v) for v in view.frame[col]]
        width = max([len(col), *map(len, values)])
        if col in view.text:
            t.add_column(col, justify="left", overflow="fold", min_width=min(width, 12))
        else:
            t.add_column(col, justify="right", no_wrap=True, overflow="fold", min_width=width)
    for row in view.frame[columns].itertuples(index=False):
        t.add_row(*(_cell(v) for v in row))
    return t


def markdown(view: View) -> str:
    """A pipe table of every column (numbers right-aligned), with the title as a heading."""
    from randrnn.analysis.table import to_markdown

    frame = (view.frame if view.full is None else view.full).map(_cell)
    return f"### {view.title}\n\n{to_markdown(frame)}"


def hidden_note(views: Sequence[View], wide: bool) -> str:
    """'--wide also shows: a, b' for the columns the views hide ('' if none)."""
    hidden = list(dict.fromkeys(c for v in views for c in v.hidden(wide)))
    return f"--wide also shows: {', '.join(hidden)}" if hidden else ""


def render_text(views: Sequence[View], legend: str = "", width: int | None = None) -> str:
    """The views as plain text (every column), for a file written with --out."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width or 10_000, no_color=True, highlight=False, emoji=False
    )
    for view in views:
        table = rich_table(view, wide=True)
        console.print(table, width=min(console.measure(table).maximum, console.width))
    if legend:
        console.print(legend, soft_wrap=True)
    return buffer.getvalue()


def emit(
    views: Sequence[View],
    raw: pd.DataFrame,
    fmt: str,
    out: Path | None = None,
    legend: str = "",
    wide: bool = False,
    float_format: str | None = "%.6g",
) -> None:
    """Print (or write to ``out``) the views as tables or Markdown, or ``raw`` as CSV
    (``float_format`` None: full precision)."""
    from randrnn.cli.core import console

    fmt, legend = parse_format(fmt), legend.strip()
    if fmt == "csv":
        text = raw.to_csv(index=False, float_format=float_format)
    elif fmt == "markdown":
        text = "\n\n".join(markdown(v) for v in views)
        text += f"\n\n{legend}\n" if legend else "\n"
    elif out is not None:
        text = render_text(views, legend)
    else:
        print_views(views, legend, wide)
        return
    if out is not None:
        out.write_text(text)
        console.print(f"wrote {out}", highlight=False)
    else:
        typer.echo(text, nl=False)


def print_views(views: Sequence[View], legend: str = "", wide: bool = False) -> None:
    """Print the views as rich tables on the terminal; with ``wide``, as wide as they need."""
    from randrnn.cli.core import console

    for view in views:
        table = rich_table(view, wide)
        if wide:  # the whole table, whatever the terminal's (or a pipe's 80) width
            _whole(console, table)
        else:
            console.print(table)
    lines = [line for line in (legend, hidden_note(views, wide)) if line]
    for line in lines:
        console.print(line, style="dim", highlight=False)


def _whole(console: Console, table: Table) -> None:
    """Print a table at its natural width even where the console is narrower (rich crops and
    squeezes whatever it prints to the console's width, a pipe's or a file's 80 columns too)."""
    natural = console.measure(table, options=console.options.update_width(10_000)).maximum
    if natural <= console.width:
        console.print(table)
        return
    wider = Console(
        file=console.file, width=natural, color_system=console.color_system,
        force_terminal=console.is_terminal, no_color=console.no_color, emoji=False,
        highlight=False,
    )  # fmt: skip
    wider.print(table)


def duration(seconds: float) -> str:
    """A projected duration as a person reads it: '45 s', '12 min', '3.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
