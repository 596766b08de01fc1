"""`randrnn graph-info`: inspect graph files (layers and the thesis' properties)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from randrnn.cli import app, console

# The same flag for graph-info and import.
DirectedOpt = Annotated[
    bool | None,
    typer.Option(
        "--directed/--undirected",
        help="--directed: read edge lists as directed (used as the DAG as given; must be "
        "acyclic); --undirected: read any file as undirected. Default: as the file says "
        "(edge lists undirected).",
        show_default=False,
    ),
]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


@app.command("graph-info")
def graph_info(
    files: Annotated[
        list[Path],
        typer.Argument(help="Graph files: edge list (.edges/.txt/.csv), .graphml or .json."),
    ],
    directed: DirectedOpt = None,
) -> None:
    """Print the layers and the properties (23 thesis features + extras) of each graph file."""
    from randrnn.graphs import EXTRAS, FEATURES, layers, properties, read_graph, to_dag

    for path in files:
        g = read_graph(path, directed=directed)
        dag = to_dag(g)
        props = properties(g, dag)
        sizes = [len(layer) for layer in layers(dag)]
        table = Table(title=f"{path}", title_justify="left")
        table.add_column("property", overflow="fold")
        table.add_column("value", justify="right", overflow="fold")
        table.add_column("", style="dim", overflow="fold")
        table.add_row("directed", "yes" if g.is_directed() else "no", "")
        table.add_row("layer sizes", " ".join(map(str, sizes)), "")
        for name in FEATURES:
            table.add_row(name, _fmt(props[name]), "thesis")
        for name in EXTRAS:
            table.add_row(name, _fmt(props[name]), "extra")
        console.print(table)
