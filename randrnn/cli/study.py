"""`randrnn run STUDY.toml`: every stage of a study in order, resumable as a whole."""

from __future__ import annotations

import hashlib
import importlib
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule
from rich.table import Table

import randrnn
from randrnn import studyfile
from randrnn.cli.core import app, console
from randrnn.cli.output import duration
from randrnn.errors import RandRNNError, parse_names


def _joined(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _lazy(module: str, name: str, *, joined: bool = False, each: bool = False):
    """A validator calling ``module.name`` on the value, importing the module on first use."""

    def check(value: Any) -> Any:
        fn = getattr(importlib.import_module(module), name)
        if each:
            return [fn(v.strip()) for v in _joined(value).split(",") if v.strip()]
        return fn(_joined(value) if joined else value)

    return check


def _choice(module: str, names: str, what: str):
    """A validator: every comma-separated value is one of ``module.names`` (checked by name)."""

    def check(value: Any) -> None:
        from randrnn.errors import check_name

        known = getattr(importlib.import_module(module), names)
        for v in _joined(value).split(","):
            check_name(what, v.strip(), known)

    return check


def _generator_params(text: str) -> None:
    """Generator overrides: their syntax, and their values at both ends of the default range
    (the generate stage checks them again against the file's own node range)."""
    from randrnn.graphs.generate import check_settings, parse_params

    params = parse_params(text)
    if params:
        check_settings(list(params), (10, 50), params)


def _replicates(value: Any) -> None:
    """At least 1 (an integer: anything else is click's to refuse, with its own message)."""
    if isinstance(value, int) and not isinstance(value, bool):
        from randrnn.training.runner import check_replicates

        check_replicates(value)


# Values click cannot check by itself: names that live in the registries, and numbers whose
# bounds are the library's. Checked when the file loads, so no stage runs before a bad value.
VALIDATORS = {
    ("generate", "param"): lambda value: _generator_params(_joined(value)),
    ("train-all", "batching"): _choice("randrnn.training.config", "BATCHINGS", "batching"),
    ("train-all", "replicates"): _replicates,
    ("prune", "batching"): _choice("randrnn.training.config", "BATCHINGS", "batching"),
    ("prune", "waea_reading"): _choice("randrnn.pruning.waea", "READINGS", "WAEA reading"),
    ("prune", "waea_filter"): _choice("randrnn.pruning.waea", "FILTER_STATS", "WAEA filter"),
    ("prune", "waea_center"): _choice("randrnn.pruning.waea", "CENTERS", "WAEA center"),
    ("prune", "waea_normalize"): _choice("randrnn.pruning.waea", "NORMALIZE", "WAEA normalize"),
    ("dataset", "task"): _lazy("randrnn.tasks.registry", "check_spec"),
    ("dataset", "grammar"): _lazy("randrnn.reber", "get_grammar"),
    ("generate", "generators"): _lazy("randrnn.graphs.generate", "get_generator", each=True),
    ("train-all", "cells"): _lazy("randrnn.models.cells", "parse_cells", joined=True),
    ("train-all", "task"): _lazy("randrnn.tasks.registry", "check_spec"),
    ("correlate", "format"): _lazy("randrnn.cli.output", "parse_format"),
    ("predict", "format"): _lazy("randrnn.cli.output", "parse_format"),
    ("correlate", "method"): _lazy("randrnn.analysis.correlate", "parse_methods", joined=True),
    ("predict", "regressor"): _lazy("randrnn.analysis.predict", "parse_regressors", joined=True),
    ("prune", "cells"): _lazy("randrnn.models.cells", "parse_cells", joined=True),
    ("prune", "cell"): _lazy("randrnn.models.cells", "get_cell", each=True),
    ("prune", "method"): _lazy("randrnn.pruning.criteria", "get_criterion", each=True),
    ("prune", "target"): _lazy("randrnn.pruning.criteria", "check_target", each=True),
    ("prune", "scope"): _lazy("randrnn.pruning.criteria", "check_scope"),
}


def commands() -> dict[str, studyfile.Command]:
    """The click commands behind each stage (the same ones the command line runs)."""
    group = typer.main.get_command(app)
    return {stage: group.commands[stage] for stage in studyfile.STAGES}


def _parse_set(items: list[str]) -> dict[str, Any]:
    """'train-all.epochs=3' → {'train-all.epochs': 3}; values are read as TOML, else as text."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise RandRNNError(f"--set expects stage.key=value, got '{item}'")
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw
    return out


def _done(step: studyfile.Step) -> bool:
    """A dataset that already exists is not made again; every other stage resumes by itself."""
    if step.stage != "dataset":
        return False
    out = Path(str(step.options["out"]))
    return (out / "train.csv").exists() and (out / "test.csv").exists()


def _plan_table(sf: studyfile.StudyFile) -> Table:
    from randrnn.studyplan import project

    table = Table("stage", "command", "work", "projected", title=f"plan of {sf.path}")
    total = 0.0
    for step in sf.steps:
        work, seconds = project(step, sf)
        total += seconds or 0.0
        table.add_row(
            step.stage,
            "randrnn " + step.describe(),
            work,
            "" if seconds is None else duration(seconds),
        )
    table.add_row("", "", "[bold]total", duration(total))
    return table


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Study file (TOML), e.g. studies/quick.toml.")],
    study: Annotated[
        Path | None, typer.Option(help="Study directory (instead of the file's study.dir).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Print the plan and projected time; run nothing.")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override an option: stage.key=value.")
    ] = None,
    only: Annotated[str | None, typer.Option(help="Run only these stages, e.g. report.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes for train-all.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler for train-all.")] = None,
) -> None:
    """Run a study file: data, graphs, training, analysis, pruning, report — skipping what is done."""
    overrides = _parse_set(set_ or [])
    if study is not None:
        overrides["study.dir"] = str(study)
    if workers is not None:
        overrides["train-all.workers"] = workers
    if scheduler is not None:
        overrides["train-all.scheduler"] = scheduler
    cmds = commands()
    sf = studyfile.load(file, cmds, overrides, VALIDATORS)
    steps = sf.steps
    if only:
        wanted = parse_names(only, studyfile.STAGES, "stage")
        steps = [s for s in steps if s.stage in wanted]
    if dry_run:
        console.print(_plan_table(sf))
        return
    from randrnn.store import Study

    with Study.create(sf.study_dir) as st:
        st.set_meta("study_file", str(sf.path.resolve()))
        st.set_meta("study_file_sha256", hashlib.sha256(sf.text.encode()).hexdigest())
        st.set_meta("study_toml", sf.text)
        st.set_meta("randrnn_version", randrnn.__version__)
    for number, step in enumerate(steps, start=1):
        console.print(Rule(f"[bold]{number}/{len(steps)}  randrnn {step.describe()}"))
        if _done(step):
            console.print("already done")
            continue
        code = cmds[step.stage].main(args=step.args, prog_name="randrnn", standalone_mode=False)
        if code:
            raise typer.Exit(code)
    console.print(Rule(f"[bold green]study '{sf.study_dir}' complete"))
