"""`randrnn graph-info`: inspect graph files (layers and the thesis' properties)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from randrnn.cli.core import app, console, err_console
from randrnn.cli.output import number_text
from randrnn.errors import RandRNNError

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


def read_checked(path: Path, directed: bool | None) -> tuple[Any, Any, dict[str, float]]:
    """(graph, DAG, properties) of a graph file; every error names the file."""
    from randrnn.graphs import properties, read_graph, to_dag

    try:
        g = read_graph(path, directed=directed)
        dag = to_dag(g)
        return g, dag, properties(g, dag)
    except RandRNNError as exc:
        text = str(exc)
        raise RandRNNError(text if text.startswith(f"{path}:") else f"{path}: {text}") from None


def component_warning(path: Path, g: Any, props: dict[str, float]) -> str:
    """One line when a graph is disconnected: which measures use only its largest component
    (docs/method.md §6); '' for a connected graph."""
    import networkx as nx

    count = int(props["connected_components"])
    if count <= 1:
        return ""
    u = g.to_undirected(as_view=True) if g.is_directed() else g
    largest = max(len(c) for c in nx.connected_components(u))
    isolated = nx.number_of_isolates(u)
    return (
        f"{path}: {count} connected components ({isolated} isolated node(s)); diameter, "
        f"average_shortest_path_length and eccentricity are measured on the largest "
        f"({largest} of {u.number_of_nodes()} nodes)"
    )


def warn(text: str) -> None:
    """A warning line on stderr (not wrapped)."""
    if text:
        err_console.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)


@app.command("graph-info")
def graph_info(
    files: Annotated[
        list[Path],
        typer.Argument(help="Graph files: edge list (.edges/.txt/.csv), .graphml or .json."),
    ],
    directed: DirectedOpt = None,
) -> None:
    """Print the layers and the properties (23 thesis features + extras) of each graph file."""
    from randrnn.graphs import EXTRAS, FEATURES, layers

    for path in files:
        g, dag, props = read_checked(path, directed)
        warn(component_warning(path, g, props))
        sizes = [len(layer) for layer in layers(dag)]
        table = Table(title=f"{path}", title_justify="left")
        table.add_column("property", overflow="fold")
        table.add_column("value", justify="right", overflow="fold")
        table.add_column("", style="dim", overflow="fold")
        table.add_row("directed", "yes" if g.is_directed() else "no", "")
        table.add_row("layer sizes", " ".join(map(str, sizes)), "")
        for name in FEATURES:
            table.add_row(name, number_text(float(props[name])), "thesis")
        for name in EXTRAS:
            table.add_row(name, number_text(float(props[name])), "extra")
        console.print(table)
