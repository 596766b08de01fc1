"""The command line's app and consoles: `app` (Typer, its commands `Command`s), `console`,
`err_console`. Command modules register on `app` by importing it from here; the package
(`randrnn.cli`) imports them all (`commands`) and holds `main`."""

from __future__ import annotations

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
        if isinstance(study, Path) and (study / "atlas.json").is_file():
            ctx.params["study"] = _atlas_study(ctx.info_name, study)
            if ctx.info_name == "report" and ctx.params.get("out") is None:
                ctx.params["out"] = Path(f"{study.resolve().name}-report")  # not into the cache
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C: one line and exit code 130 (Typer's own is silent)
            err_console.print(
                "[yellow]interrupted[/]: finished work is saved; run the command again to resume"
            )
            raise typer.Exit(130) from None


# Commands that only read a study: they take an atlas for --study (its study, made once).
READERS = ("results", "correlate", "predict", "report", "prune-results")


def _atlas_study(command: str | None, path: Path) -> Path:
    """The study made from the atlas at ``path``, for a command that only reads; others get one
    line (an atlas is published data: nothing trains into it)."""
    if command not in READERS:
        raise RandRNNError(
            f"--study {path} is an atlas, not a study: {command} needs a study (an atlas is read"
            f" by {', '.join(READERS)}; randrnn atlas to-study makes a study of it)"
        )
    from randrnn.atlas.reader import load

    return load(path).study_path()


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
