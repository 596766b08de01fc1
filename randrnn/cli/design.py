"""`randrnn design`: graphs designed to win, scored by an atlas' predictor, into a study to
train; and `predict --atlas`: a graph's accuracy predicted from an atlas, no study needed
(`randrnn.analysis.atlas_model`, `randrnn.design`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from randrnn.cli.core import Command, app, console
from randrnn.cli.graphs import warn
from randrnn.cli.options import WorkersOpt
from randrnn.cli.output import View, emit, out_file, parse_format
from randrnn.cli.progress import ProgressDisplay
from randrnn.cli.train import parse_range, study_for_writing
from randrnn.errors import RandRNNError

if TYPE_CHECKING:
    from randrnn.analysis.atlas_model import Source

SHIPPED = "shipped"  # `--atlas` without a path: the atlas in the repository's data/atlas
ATLAS_HELP = (
    "Predict from an atlas (docs/atlas.md) instead of a study: its folder, or nothing (or "
    f"'{SHIPPED}') for the atlas shipped in data/atlas."
)
AtlasOpt = Annotated[str | None, typer.Option("--atlas", help=ATLAS_HELP, show_default=False)]
TaskOpt = Annotated[
    str | None,
    typer.Option(help="With --atlas: the task to predict (default: each of the atlas')."),
]
DesignTaskOpt = Annotated[
    str | None,
    typer.Option(
        help="The task to design for (default: reber when the atlas has it, else its one)."
    ),
]


class AtlasCommand(Command):
    """A command whose ``--atlas`` may be given without a value (the shipped atlas): the
    value is supplied before parsing when the next word is an option or there is none."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given = []
        for i, arg in enumerate(args):
            given.append(arg)
            if arg == "--atlas" and (i + 1 == len(args) or args[i + 1].startswith("-")):
                given.append(SHIPPED)
        return super().parse_args(ctx, given)


def source(atlas: str | None, from_study: Path | None = None) -> Source:
    """The prediction source: a study (``from_study``) or an atlas (None or 'shipped': the
    shipped one)."""
    from randrnn.analysis import atlas_model

    if from_study is not None:
        if atlas is not None:
            raise RandRNNError("give either --atlas or --from-study, not both")
        return atlas_model.study_source(from_study)
    return atlas_model.atlas_source(None if atlas in (None, SHIPPED) else atlas)


def _cells(text: str) -> list[str]:
    from randrnn.models.cells import get_cell

    return [get_cell(c.strip()).name for c in text.split(",") if c.strip()]


def predict_atlas(
    atlas: str | None, graph_file: Path | None, cells: str | None, task: str | None,
    fmt: str, wide: bool, out: Path | None,
) -> None:  # fmt: skip
    """`randrnn predict --atlas`: the graph file's predicted accuracy per (task, cell)."""
    from randrnn.analysis import atlas_model, table
    from randrnn.cli.graphs import read_checked

    if graph_file is None:
        raise RandRNNError("--atlas predicts the accuracy of a graph: give --graph-file")
    fmt, out = parse_format(fmt), out_file(out)
    _, _, props = read_checked(graph_file, None)
    src = source(atlas)
    tasks = src.tasks() if task is None else [task]
    names = _cells(cells) if cells else None
    with console.status("loading the atlas' predictor (first time: choosing and caching it)…"):
        parts = [atlas_model.predict_graph(src, props, names or src.cells(t), [t]) for t in tasks]
    import pandas as pd

    result = pd.concat(parts, ignore_index=True)
    for text in sorted(set(result["outside"]) - {""}):
        warn(f"{graph_file} lies outside what {src.name} covers: {text}")
    f = table.fmt
    frame = pd.DataFrame({
        "task": result["task"],
        "cell": [table.cell_label(c) for c in result["cell"]],
        "predicted": [f"{f(p)} ± {f(r)}" for p, r in zip(result["prediction"], result["rmse"])],
        "one run 95%": [f"{f(lo)} – {f(hi)}" for lo, hi in zip(result["run_lo"],
                                                             result["run_hi"])],
        "regressor": [atlas_model.label(r) for r in result["regressor"]],
        "CV R²": [f(v) for v in result["cv_r2"]],
        "tree sd": [f(v, 4) for v in result["tree_sd"]],
        "seed sd": [f(v, 4) for v in result["seed_sd"]],
        "graphs": result["n"].astype(str),
    })  # fmt: skip
    view = View(f"predicted accuracy of {graph_file} from {src.name}", frame,
                ("task", "cell", "regressor"), ("tree sd", "seed sd", "graphs"))  # fmt: skip
    emit([view], result, fmt, out, atlas_model.LEGEND, wide)


@app.command("design", cls=AtlasCommand)
def design(
    study: Annotated[
        Path, typer.Option("--study", help="A new study directory for the chosen graphs.")
    ],
    cells: Annotated[
        str,
        typer.Option(
            help="Cells to design for, comma-separated: the score is their mean predicted accuracy."
        ),
    ] = "gru",
    task: DesignTaskOpt = None,
    candidates: Annotated[
        int, typer.Option(help="Candidate graphs to generate and score.")
    ] = 10000,
    top: Annotated[int, typer.Option(help="The best-scored candidates put into the study.")] = 20,
    random: Annotated[
        int,
        typer.Option("--random", help="Also this many random candidates (the control group)."),
    ] = 0,
    generators: Annotated[
        str | None, typer.Option(help="Generators, used in turn (default: the atlas').")
    ] = None,
    nodes: Annotated[
        str | None, typer.Option(help="Node count range, e.g. 10:50 (default: the atlas').")
    ] = None,
    param: Annotated[
        str, typer.Option(help="Generator parameters, e.g. ws.p=0.5 (as generate).")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed of the candidates and the control draw.")] = 0,
    atlas: AtlasOpt = None,
    from_study: Annotated[
        Path | None,
        typer.Option(
            "--from-study",
            help="Score with the predictor of this study's runs instead of an atlas.",
        ),
    ] = None,
    workers: WorkersOpt = 1,
) -> None:
    """Generate candidate graphs, score them with the atlas' predictor and put the best into
    a study (and --random K others, the control group), ready for randrnn train-all."""
    from randrnn.analysis import atlas_model
    from randrnn.design import design_into
    from randrnn.graphs.generate import check_settings, parse_params

    if study.exists() and any(study.iterdir()):
        raise RandRNNError(f"--study {study} exists and is not empty; design into a new folder")
    names = _cells(cells)
    src = source(atlas, from_study)
    the_task = atlas_model.default_task(src, task)
    with console.status("loading the atlas' predictor (first time: choosing and caching it)…"):
        score, label, models = atlas_model.scorer(src, the_task, names)
    known_gens, known_nodes = atlas_model.covered(models[0])
    gens = [g.strip() for g in generators.split(",") if g.strip()] if generators else known_gens
    node_range = parse_range(nodes) if nodes else known_nodes
    overrides = parse_params(param)
    check_settings(gens, node_range, overrides)
    for model in models:
        console.print(f"{atlas_model.table.cell_label(model.cell)} on {the_task}: "
                      f"{atlas_model.describe(model)}")  # fmt: skip
    with study_for_writing(study) as st, ProgressDisplay(console) as shown:
        made = design_into(
            st, score, candidates_n=candidates, top=top, random=random, seed=seed,
            generators=gens, nodes=node_range, params=overrides, label=label,
            callbacks=shown.callbacks, workers=workers,
        )  # fmt: skip
    scored = made.scored
    outside = scored["outside"] != ""
    if outside.any():
        chosen = int((outside & (scored["group"] == "designed")).sum())
        warn(f"{int(outside.sum())} of {len(scored)} candidates lie outside what {src.name} "
             f"covers ({chosen} of the top {top}); their scores are extrapolations")  # fmt: skip
    best = scored[scored["group"] == "designed"]
    control = scored[scored["group"] == "random"]
    console.print(
        f"{len(made.ids['designed'])} designed graphs (predicted {best['score'].mean():.3f} on "
        f"average, best {best['score'].max():.3f}; all candidates {scored['score'].mean():.3f})"
        + (f" and {len(control)} random ones (predicted {control['score'].mean():.3f})"
           if len(control) else "")
        + f" in {study}; train them: randrnn train-all --study {study} --cells {','.join(names)}"
        f" --task {the_task}"
    )  # fmt: skip
