"""`randrnn atlas ...`: export a study as an atlas, describe one, find a graph's runs in it,
retrain one of its runs. Every other command's ``--study`` also takes an atlas (read-only:
`randrnn.cli.core.Command` swaps in the study made from it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from randrnn.cli.core import Command, Group, app, console
from randrnn.cli.options import OutFileOpt
from randrnn.cli.output import (
    FormatOpt,
    View,
    WideOpt,
    emit,
    fitted,
    out_file,
    parse_format,
    strings,
)
from randrnn.errors import RandRNNError, parse_list

atlas_app = typer.Typer(
    name="atlas",
    help="The atlas: trained runs with their curves, published as a versioned data set.",
    cls=Group,
    no_args_is_help=True,
)
app.add_typer(atlas_app, name="atlas")

AtlasArg = Annotated[
    Path | None,
    typer.Argument(
        help="Atlas folder (default: the shipped atlas, data/atlas).", show_default=False
    ),
]


@atlas_app.command("export", cls=Command)
def export(
    study: Annotated[Path, typer.Option("--study", help="The study to export.")] = Path("study"),
    out: Annotated[
        Path, typer.Option("--out", help="The atlas folder to write (replaced whole).")
    ] = Path("atlas"),
    task: Annotated[
        str | None, typer.Option(help="Only these tasks, comma-separated (default: all).")
    ] = None,
    cells: Annotated[
        str | None, typer.Option(help="Only these cells, comma-separated (default: all).")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="The config (hash or prefix) where a task has several.")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option("--partial", help="Export slices with runs missing (named in the datasheet)."),
    ] = False,
    weights: Annotated[
        bool, typer.Option(help="Write weights.safetensors where the study kept weights.")
    ] = True,
    version: Annotated[
        str | None, typer.Option(help="The atlas' version (default: today's date).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A paragraph for the datasheet.")] = None,
) -> None:
    """Write a study's finished runs as an atlas folder, atomically (one slice per task)."""
    from randrnn.atlas.export import export_atlas
    from randrnn.tasks.registry import spec

    tasks = parse_list(task, spec, "--task takes task names such as reber,dyck-2") if task else None
    from randrnn.models.cells import parse_cells

    meta = export_atlas(study, out, tasks=tasks, cells=parse_cells(cells) if cells else None,
                        config=config, partial=partial, weights=weights, version=version,
                        note=note)  # fmt: skip
    for s in meta["slices"]:
        gap = f", {len(s['missing'])} missing" if s["missing"] else ""
        if s["absent_replicates"]:
            gap += f" (replicate {', '.join(map(str, s['absent_replicates']))} never trained)"
        console.print(f"slice {s['task']}: {s['runs']} of {s['expected']} runs{gap}")
    console.print(f"atlas {meta['version']} written to {out} (checksum {meta['checksum'][:16]})")


@atlas_app.command("info", cls=Command)
def info(
    atlas: AtlasArg = None,
    fmt: FormatOpt = "table",
    out: OutFileOpt = None,
    wide: WideOpt = False,
) -> None:
    """What an atlas holds per slice and cell (runs, replicates, mean accuracy), whether its
    files are intact, and its version and checksum."""
    from randrnn.atlas.reader import load, verify

    fmt, out = parse_format(fmt), out_file(out)
    a = load(atlas)
    problems = verify(a.path)
    table = (
        a.runs.groupby(["task", "cell"])
        .agg(runs=("run_id", "size"), graphs=("graph_id", "nunique"),
             replicates=("replicate", "nunique"), mean_acc=("test_acc", "mean"),
             sd_acc=("test_acc", "std"), curves=("has_curve", "sum"))
        .reset_index()
    )  # fmt: skip
    missing = sum(len(s["missing"]) for s in a.meta["slices"])
    legend = (
        f"atlas {a.version} at {a.path}: {len(a.graphs)} graphs, {len(a.runs)} runs,"
        f" {missing} missing; trained by {', '.join(a.meta.get('codes', [])) or '?'};"
        f" checksum {a.checksum[:16]}; files "
        + ("intact" if not problems else "NOT intact: " + "; ".join(problems))
    )
    view = fitted(View(f"atlas {a.version}", strings(table), ("task", "cell")))
    emit([view], table, fmt, out, legend, wide)
    if problems:
        raise typer.Exit(1)


@atlas_app.command("query", cls=Command)
def query(
    graph_file: Annotated[
        Path | None,
        typer.Argument(
            help="A graph file (edge list, GraphML, node-link JSON).", show_default=False
        ),
    ] = None,
    atlas: Annotated[
        Path | None, typer.Option("--atlas", help="Atlas folder (default: the shipped one).")
    ] = None,
    graph_id: Annotated[
        int | None, typer.Option("--graph-id", help="An atlas graph id instead of a file.")
    ] = None,
    fmt: FormatOpt = "table",
    out: OutFileOpt = None,
    wide: WideOpt = False,
) -> None:
    """The atlas' runs of a graph: any relabelling of its nodes finds the same rows (an
    undirected file is matched as an undirected graph, a directed one as the DAG it trains)."""
    from randrnn.atlas.reader import load

    if (graph_file is None) == (graph_id is None):
        raise RandRNNError("give a graph file or --graph-id (one of them)")
    fmt, out = parse_format(fmt), out_file(out)
    a = load(atlas)
    if graph_id is not None:
        a.graph(graph_id)  # an unknown id: one line
        rows = a.runs[a.runs["graph_id"] == graph_id].merge(a.graphs, on="graph_id")
        what = f"graph {graph_id}"
    else:
        rows = a.query(graph_file)
        what = str(graph_file)
        if rows.empty:
            raise RandRNNError(f"{graph_file}: no graph of atlas {a.version} is isomorphic to it")
    columns = ["run_id", "task", "cell", "replicate", "test_acc", "test_loss", "graph_id",
               "generator", "nodes", "edges", "hash"]  # fmt: skip
    table = rows[columns + [c for c in rows.columns if c not in columns]]
    view = fitted(View(f"runs of {what}", strings(table[columns]), ("run_id", "task", "cell")))
    emit([view], table, fmt, out, "", wide)


@atlas_app.command("reproduce", cls=Command)
def reproduce(
    atlas: AtlasArg = None,
    run: Annotated[str, typer.Option("--run", help="The run id (task/cell/graph/replicate).")] = "",
    engine: Annotated[
        str | None, typer.Option(help="Engine (default: the one the run used).")
    ] = None,
) -> None:
    """Retrain one run from the atlas alone and print the recorded and retrained accuracy side
    by side; exit 1 where they differ."""
    from randrnn.atlas.reader import load
    from randrnn.atlas.rerun import reproduce as retrain

    if not run:
        raise RandRNNError("give the run to retrain: --run TASK/CELL/GRAPH/REPLICATE")
    result = retrain(load(atlas), run, engine=engine)
    console.print(f"run {result.run_id}")
    console.print(f"  recorded   test_acc {result.recorded_acc:.6f}  test_loss"
                  f" {result.recorded_loss:.6f}  ({result.recorded_where})")  # fmt: skip
    console.print(f"  retrained  test_acc {result.retrained_acc:.6f}  test_loss"
                  f" {result.retrained_loss:.6f}  ({result.retrained_where})")  # fmt: skip
    if not result.same:
        console.print("[red]differs[/]: the retrained accuracy is not the recorded one")
        if result.recorded_code != result.retrained_code:
            console.print(f"  (trained by randrnn {result.recorded_code}, retrained by "
                          f"{result.retrained_code}: engine changes move the last digits; "
                          "retrain with the code that trained it, docs/atlas.md)")  # fmt: skip
        raise typer.Exit(1)
    console.print("same accuracy")


@atlas_app.command("to-study", cls=Command)
def to_study(
    atlas: AtlasArg = None,
    out: Annotated[Path, typer.Option("--out", help="The study folder to create.")] = Path("study"),
) -> None:
    """Write an atlas back as a study (graphs, runs, curves; no weights): train-all on it trains
    only what the atlas lacks, so a partly built atlas resumes."""
    from randrnn.atlas.reader import load
    from randrnn.atlas.study import write_study

    a = load(atlas)
    write_study(a, out)
    console.print(f"study {out}: {len(a.graphs)} graphs, {len(a.runs)} finished runs from atlas"
                  f" {a.version}")  # fmt: skip
