"""Data commands: `randrnn dataset` writes a Reber data set, `randrnn data-info` describes one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from randrnn.cli import app, console, names

if TYPE_CHECKING:
    import pandas as pd


def _describe_table(splits: dict[str, pd.DataFrame]) -> Table:
    """One row per describe() statistic, one column per split."""
    from randrnn import reber

    stats = {name: reber.describe(df) for name, df in splits.items()}
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
    """Test accuracy of each trivial baseline learned on train."""
    from randrnn import reber

    table = Table(title="trivial baselines (test accuracy, learned on train)")
    table.add_column("baseline")
    table.add_column("accuracy", justify="right")
    for name, acc in reber.baselines(train, test).items():
        table.add_row(name, f"{acc:.4f}")
    return table


def _show(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Print the describe() table of both splits and the baselines."""
    console.print(_describe_table({"train": train, "test": test}))
    console.print(_baseline_table(train, test))


@app.command("dataset")
def dataset(
    out: Annotated[
        Path, typer.Option(help="Folder (not a file) to write train.csv and test.csv into.")
    ],
    n: Annotated[
        int, typer.Option(help="Number of strings in all (half valid).")
    ] = names.DATA_N,
    negatives: Annotated[
        str, typer.Option(help=f"Kind of invalid strings: {names.listed(names.NEGATIVES, ' | ')}.")
    ] = names.DATA_NEGATIVES,
    grammar: Annotated[
        str, typer.Option(help=f"Grammar: {names.listed(names.GRAMMARS, ' | ')}.")
    ] = names.DATA_GRAMMAR,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same files.")] = (
        names.DATA_SEED
    ),
    test_fraction: Annotated[
        float, typer.Option(help="Share of strings in the test split.")
    ] = names.DATA_TEST_FRACTION,
) -> None:
    """Generate a seeded Reber data set and write train.csv / test.csv."""
    from randrnn import reber
    from randrnn.cli.output import out_folder

    out_folder(out)
    task = {"reber": "reber", "embedded-reber": "embedded-reber"}[reber.get_grammar(grammar).name]
    train, test = reber.make_dataset(
        task, n=n, negatives=negatives, seed=seed, test_fraction=test_fraction
    )
    reber.write_dataset(train, test, out)
    console.print(
        f"wrote {out / 'train.csv'} ({len(train)} rows) and {out / 'test.csv'} ({len(test)} rows)"
    )
    _show(train, test)


@app.command("data-info")
def data_info(
    data: Annotated[
        Path | None, typer.Option(help="Folder with train.csv and test.csv (default: shipped set).")
    ] = None,
) -> None:
    """Describe a data set and report its trivial baselines."""
    from randrnn import reber

    train, test = reber.load_data(data)
    _show(train, test)
