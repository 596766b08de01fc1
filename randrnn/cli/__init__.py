"""The `randrnn` command line: thin Typer commands, one module per group of commands.

Each command parses options, calls the library and prints with rich. The library raises
`RandRNNError`; `main` turns it into one red line on stderr and exit code 1.

Start-up stays light: the command modules import torch, scikit-learn, scipy, pandas and the
analysis inside the commands that use them, so `--help` and argument errors answer at once
(`tests/cli/test_startup.py` checks which modules `--help` loads). Help texts take registry
names from `randrnn.cli.names`.
"""

from __future__ import annotations

import sys

from randrnn.cli.core import app, console, err_console
from randrnn.errors import RandRNNError

__all__ = ["app", "console", "err_console", "main"]

# Command modules register themselves on `app` when imported.
from randrnn.cli import commands as _commands  # noqa: F401


def main() -> None:
    """Entry point: run the app, turning domain errors into one line and exit code 1 (Ctrl-C:
    `Command.invoke`)."""
    try:
        app()
    except RandRNNError as exc:
        from rich.markup import escape  # the message is text: '[train-all]' must stay

        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(1)
