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
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from randrnn.errors import RandRNNError


def _untagged(params: list[Any]) -> list[Any]:
    """Flags (``--help``, ``--dry-run``) take no value: show no ``<bool>`` type tag for them."""
    for param in params:
        if getattr(param, "is_bool_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose help shows no type tag on flags, and whose ``--study`` is a folder."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untagged(super().get_params(ctx))

    def invoke(self, ctx: Any) -> Any:
        study = ctx.params.get("study")
        if isinstance(study, Path) and study.is_file():
            raise RandRNNError(
                f"--study {study} is a file; give the study's folder (the one holding study.sqlite)"
            )
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C: one line and exit code 130 (Typer's own is silent)
            err_console.print(
                "[yellow]interrupted[/]: finished work is saved; run the command again to resume"
            )
            raise typer.Exit(130) from None


class Group(TyperGroup):
    """The command group, with the same help as `Command`."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untagged(super().get_params(ctx))


class App(typer.Typer):
    """`typer.Typer` whose commands are `Command`s."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or Command, **kwargs)


app = App(
    name="randrnn",
    help="Study how the graph structure of a sparse recurrent network shapes what it learns.",
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(emoji=False)  # ":100:" in "--levels 10:100:10" is not an emoji
err_console = Console(stderr=True, emoji=False)

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
