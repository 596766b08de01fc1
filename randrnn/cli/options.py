"""Options that several commands share, declared once (each command's own options stay with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from randrnn.cli.names import DEVICES, ENGINES, listed

WorkersOpt = Annotated[
    int, typer.Option(help="Local worker processes (1: in this process; 0 is refused).")
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        help="Address of a running Dask scheduler, e.g. tls://host:8786 (TLS settings from Dask's"
        " configuration; a plain tcp:// address off this machine gets a warning)."
    ),
]
SchedulerFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--scheduler-file",
        help="The scheduler's address from this file, as dask scheduler --scheduler-file or"
        " dask-mpi write it (waited for up to 60 s); instead of --scheduler.",
    ),
]
BatchingOpt = Annotated[
    str,
    typer.Option(
        help="'bucket': batches of similar length (less padding, faster); 'shuffle': random"
        " batches, as the thesis. Length predicts the label on the shipped data."
    ),
]
MaxTrainOpt = Annotated[
    int | None, typer.Option(help="Use a seeded subset of this many training strings.")
]
MaxTestOpt = Annotated[
    int | None, typer.Option(help="Use a seeded subset of this many test strings.")
]
OutFileOpt = Annotated[
    Path | None, typer.Option(help="Write to this file (not a folder) instead of the screen.")
]
DeviceOpt = Annotated[
    str,
    typer.Option(
        help=f"Where to train: {listed(DEVICES)} (auto: CUDA where torch sees a GPU, else the"
        " CPU). Recorded with every run, not part of its settings."
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        help=f"Training engine: {listed(ENGINES)} (default: native on the CPU where a C++"
        " compiler builds it, else wavefront; dense on CUDA)."
    ),
]
PackSizeOpt = Annotated[
    int | None,
    typer.Option(
        help="Models per engine pack (default: 8 on the CPU; on CUDA as many as free GPU"
        " memory holds)."
    ),
]
