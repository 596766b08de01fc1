"""Data commands: `randrnn dataset` writes a data set of any task, `randrnn data-info` describes
one with its baselines, `randrnn tasks` lists the tasks.

The task registry (`randrnn.tasks.registry`) is pure Python, so the help texts list its names
without loading pandas or torch; the commands load the data modules when they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from randrnn.cli import names
from randrnn.cli.core import app, console
from randrnn.errors import RandRNNError, check_name
from randrnn.tasks.registry import DEFAULT_TASK, TASKS, parse_spec
from randrnn.tasks.split import SPLITS

if TYPE_CHECKING:
    import pandas as pd

TASK_HELP = (
    f"Task, or task:negatives (e.g. reber:hard): {', '.join(TASKS)}. `randrnn tasks` lists "
    "them with their negatives."
)
GRAMMAR_TASKS = {"reber": "reber", "embedded": "embedded-reber"}  # the old --grammar names


def _check_task(ctx: typer.Context, value: str | None) -> str | None:
    """--task must be known, and agree with --negatives if that was parsed first (click parses
    options in the order they are given; options not given come last)."""
    negatives = ctx.params.get("negatives")
    if value is not None or negatives is not None:
        parse_spec(value or DEFAULT_TASK, negatives)
    return value


def _check_negatives(ctx: typer.Context, value: str | None) -> str | None:
    """--negatives must be a kind of the task, if --task was parsed first (else `_check_task`
    checks the pair). Checked while parsing, so a study file fails before any stage runs."""
    if value is not None and "task" in ctx.params:
        parse_spec(ctx.params["task"] or DEFAULT_TASK, value)
    return value


TaskOpt = Annotated[str | None, typer.Option(help=TASK_HELP, callback=_check_task)]
NegativesOpt = Annotated[
    str | None,
    typer.Option(
        help="Kind of invalid strings (default: the task's first); e.g. reber: thesis | hard.",
        callback=_check_negatives,
    ),
]
MaxLengthOpt = Annotated[
    int | None, typer.Option(help="Longest string (default: the task's, e.g. reber 53, dyck 50).")
]


def _describe_table(splits: dict[str, pd.DataFrame], alphabet: str) -> Table:
    """One row per describe() statistic, one column per split."""
    from randrnn.tasks.data import describe

    stats = {name: describe(df, alphabet) for name, df in splits.items()}
    table = Table(title="data set")
    table.add_column("statistic")
    for name in splits:
        table.add_column(name, justify="right")
    for key in next(iter(stats.values())):
        cells = [stats[name][key] for name in splits]
        table.add_row(
            key,
            *("-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in cells),
        )
    return table


def _baseline_table(train: pd.DataFrame, test: pd.DataFrame) -> Table:
    """Test accuracy of each baseline learned on train."""
    from randrnn.tasks.baselines import baselines

    table = Table(title="baselines (test accuracy, learned on train)")
    table.add_column("baseline")
    table.add_column("accuracy", justify="right")
    for name, acc in baselines(train, test).items():
        table.add_row(name, f"{acc:.4f}")
    return table


def _show(task: str, source: str, train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Print the task, the describe() table of both splits and the baselines."""
    t, kind = parse_spec(task)
    console.print(f"task [bold]{task}[/]: {t.description}", highlight=False)
    console.print(f"negatives {kind}: {t.negatives[kind].description}", highlight=False)
    console.print(f"data: {source}", highlight=False)
    console.print(_describe_table({"train": train, "test": test}, t.alphabet))
    console.print(_baseline_table(train, test))


def _task_of(task: str | None, grammar: str | None) -> str | None:
    """--task, or the task the hidden old option --grammar names."""
    if grammar is None:
        return task
    check_name("grammar", grammar, GRAMMAR_TASKS)
    if task is not None and parse_spec(task)[0].name != GRAMMAR_TASKS[grammar]:
        raise RandRNNError(f"--grammar {grammar} contradicts --task {task}")
    return task or GRAMMAR_TASKS[grammar]


@app.command("dataset")
def dataset(
    out: Annotated[
        Path, typer.Option(help="Folder (not a file) to write train.csv and test.csv into.")
    ],
    task: TaskOpt = None,
    negatives: NegativesOpt = None,
    n: Annotated[int, typer.Option(help="Number of strings in all (half valid).")] = names.DATA_N,
    max_length: MaxLengthOpt = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the strings drawn; the same seed gives the same files.")
    ] = names.DATA_SEED,
    test_fraction: Annotated[
        float, typer.Option(help="Share of strings in the test split.")
    ] = names.DATA_TEST_FRACTION,
    split: Annotated[
        str | None,
        typer.Option(
            help=f"How test strings are chosen: {', '.join(SPLITS)} (default: the task's; "
            "disjoint: none in train; length: longer than any in train; shuffled: as drawn)."
        ),
    ] = None,
    test_lengths: Annotated[
        str | None,
        typer.Option(
            help="Lengths LOW-HIGH of the test strings of --split length (default: one more "
            "than --max-length to twice it)."
        ),
    ] = None,
    grammar: Annotated[str | None, typer.Option(hidden=True, help="Old name of --task.")] = None,
) -> None:
    """Generate a seeded data set of a task and write train.csv, test.csv and dataset.json.

    The default is the Reber task with test strings never in train; --split shuffled --seed 0
    rebuilds the shipped data/reber/ byte for byte.
    """
    from randrnn.cli.output import out_folder
    from randrnn.tasks import data
    from randrnn.tasks.split import parse_lengths

    out_folder(out)
    name = _task_of(task, grammar) or DEFAULT_TASK
    recipe = {
        "negatives": negatives, "n": n, "seed": seed, "test_fraction": test_fraction,
        "max_length": max_length, "split": split, "test_lengths": parse_lengths(test_lengths),
    }  # fmt: skip
    info = data.dataset_info(name, **recipe)
    train, test = data.make_dataset(name, **recipe)
    data.write_dataset(train, test, out, info)
    console.print(
        f"wrote {out / 'train.csv'} ({len(train)} rows), {out / 'test.csv'} ({len(test)} rows)"
        f" and {out / data.INFO_FILE}"
    )
    _show(info["task"], str(out), train, test)


@app.command("data-info")
def data_info(
    data: Annotated[
        Path | None,
        typer.Option(help="Folder with train.csv and test.csv (default: the task's default set)."),
    ] = None,
    task: TaskOpt = None,
    negatives: NegativesOpt = None,
) -> None:
    """Describe a data set and report its baselines: majority, length only, letter set only, a
    character 1-3-gram logistic regression, letter counts, and memorising the training strings.

    Without --data: the task's default set (reber: the shipped data/reber/; any other task: made
    from seed 0 with its defaults, as train-all --task uses it).
    """
    from randrnn.tasks.data import task_data

    found = task_data(task, negatives, data)
    _show(found.task, found.source, found.train, found.test)


@app.command("tasks")
def tasks() -> None:
    """List the tasks: what each language is, its kinds of negatives (the default first) and
    its default longest string."""
    table = Table(title="tasks (randrnn dataset --task NAME[:NEGATIVES])", title_justify="left")
    for column in ("task", "language", "negatives", "max length"):
        table.add_column(column, justify="right" if column == "max length" else "left")
    for t in TASKS.values():
        table.add_row(t.name, t.description, ", ".join(t.negatives), str(t.max_length))
    console.print(table)
