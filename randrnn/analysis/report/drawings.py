"""Section "Graphs drawn": per cell, the graph whose model reached the highest and the lowest
accuracy, drawn as the model sees it: the DAG's layers (`randrnn.graphs.dag`) as columns, layer
0 (the inputs' layer) on the left, each edge from a unit to a later layer."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from randrnn.analysis import table
from randrnn.analysis.report.configs import cells
from randrnn.analysis.report.context import TaskContext
from randrnn.analysis.report.elements import Figures, Paragraph
from randrnn.graphs.dag import layers, to_dag

TITLE = "Graphs drawn"


@dataclass(frozen=True)
class Drawing:
    """One graph as drawn: its layers (node lists, layer 0 first) and directed edges."""

    which: str  # 'best' or 'worst'
    graph_id: int
    generator: str
    accuracy: float
    layers: list[list[int]]
    edges: list[tuple[int, int]]


@dataclass(frozen=True)
class GraphsDrawn:
    target: str
    cells: dict[str, list[Drawing]]  # cell → its best and its worst graph


def positions(layered: list[list[int]]) -> dict[int, tuple[float, float]]:
    """x: the layer; y: the node's place in its layer, each layer centred on 0."""
    return {v: (float(x), (len(nodes) - 1) / 2 - i)
            for x, nodes in enumerate(layered) for i, v in enumerate(nodes)}  # fmt: skip


def compute(ctx: TaskContext) -> GraphsDrawn:
    """Per cell, the best and the worst graph by the target (ties: the lower graph id)."""
    out = {}
    for cell in cells(ctx.df):
        rows = ctx.df[ctx.df["cell"] == cell].sort_values("graph_id", kind="stable")
        picked = [("best", rows[ctx.target].idxmax()), ("worst", rows[ctx.target].idxmin())]
        drawn = []
        for which, index in picked:
            row = rows.loc[index]
            record = ctx.study.graph(int(row["graph_id"]))
            dag = to_dag(record["graph"])
            drawn.append(Drawing(which, int(row["graph_id"]), str(record["generator"]),
                                 float(row[ctx.target]), layers(dag),
                                 [(int(u), int(v)) for u, v in dag.edges]))  # fmt: skip
        out[cell] = drawn
    return GraphsDrawn(ctx.target, out)


def figure(drawings: dict[str, list[Drawing]], target: str) -> Figure:
    """A row per cell, its best graph left and its worst right."""
    widest = max(len(d.layers) for ds in drawings.values() for d in ds)
    fig = Figure(figsize=(2 * max(3.0, 0.55 * widest + 1.5), 3.4 * len(drawings)))
    axes = fig.subplots(len(drawings), 2, squeeze=False)
    for row, (cell, drawn) in zip(axes, drawings.items()):
        for ax, d in zip(row, drawn):
            pos = positions(d.layers)
            segments = [(pos[u], pos[v]) for u, v in d.edges]
            ax.add_collection(LineCollection(segments, colors="#8a9bb8", linewidths=0.6,
                                             alpha=0.6, zorder=1))  # fmt: skip
            last = len(d.layers) - 1
            xy = pd.DataFrame([pos[v] for nodes in d.layers for v in nodes], columns=["x", "y"])
            colors = ["#b03030" if x == 0 else "#6a3d9a" if x == last else "#2a4d8f"
                      for x in xy["x"]]  # fmt: skip
            ax.scatter(xy["x"], xy["y"], s=16, c=colors, zorder=2)
            nodes = sum(map(len, d.layers))
            ax.set_title(
                f"{table.cell_label(cell)}, {d.which}: graph {d.graph_id} ({d.generator}), "
                f"{target} {d.accuracy:.3f}\n{len(d.layers)} layers, {nodes} nodes, "
                f"{len(d.edges)} edges", fontsize=9,
            )  # fmt: skip
            ax.set_xticks(range(len(d.layers)))
            ax.set_xlabel("layer (0: the input's layer)")
            ax.set_yticks([])
            for side in ("top", "right", "left"):
                ax.spines[side].set_visible(False)
            ax.margins(0.08)
    fig.tight_layout()
    return fig


def render(found: GraphsDrawn, figures: Figures) -> tuple:
    if not found.cells:
        return (Paragraph("No graph to draw."),)
    img = figures.add(figure(found.cells, found.target), "graphs_drawn",
                      "the best and the worst graph per cell, layered as the model sees them")  # fmt: skip
    return (
        Paragraph(
            "Per cell, the graph whose model scored highest and the one that scored lowest, "
            "drawn as the model is built from it: the graph oriented from lower to higher node "
            "number, each node a unit in layer 1 + the deepest layer among its predecessors "
            "(columns, left to right). Red: layer 0, which reads the input; purple: the last "
            "layer, whose units feed the readout; lines: the graph's edges, each a masked "
            "connection from an earlier layer to a later one."
        ),
        img,
    )
