"""The `randrnn` command line: thin Typer commands, one module per group of commands.

Each command parses options, calls the library and prints with rich. The library raises
`RandRNNError`; `main` turns it into one red line on stderr and exit code 1.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from randrnn.errors import RandRNNError

app = typer.Typer(
    name="randrnn",
    help="Study how the graph structure of a sparse recurrent network shapes what it learns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

# Command modules register themselves on `app` when imported.
from randrnn.cli import commands as _commands  # noqa: F401


def main() -> None:
    """Entry point: run the app, turning domain errors into one line and exit code 1."""
    try:
        app()
    except RandRNNError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print(
            "[yellow]interrupted[/]: finished work is saved; run the command again to resume"
        )
        sys.exit(130)
