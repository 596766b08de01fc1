"""The engine and device registry: which recurrence trains a pack, and where.

One table maps an engine's name to what it is and the devices it runs on. A device is chosen
once, at the edge (`resolve_device`): ``auto`` is CUDA where torch sees a GPU, else the CPU; the
engine follows it (`resolve_engine`): on the CPU today's default (native where a C++ compiler
builds it, else the wavefront), on CUDA the dense engine (the sparse engine does a fraction of
its work, counted on the CPU, but has not yet run on a GPU: it becomes CUDA's default once
``scripts/gpu-check.sh`` passes on one). Neither is part of a run's config (a
study may be trained partly on each); both are recorded with every run as provenance.

Plain Python: torch is imported only when ``auto`` or ``cuda`` must ask it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from randrnn.errors import RandRNNError, check_name


@dataclass(frozen=True)
class Engine:
    """A recurrence for packs of models: its name, the devices it runs on, one line about it."""

    name: str
    devices: tuple[str, ...]
    summary: str


ENGINES: dict[str, Engine] = {
    "native": Engine("native", ("cpu",), "compiled loops over edges (training/native.cpp)"),
    "wavefront": Engine("wavefront", ("cpu",), "pure PyTorch gathers, hand-written backward"),
    "dense": Engine("dense", ("cpu", "cuda"), "masked dense batched products, autograd"),
    "sparse": Engine(
        "sparse",
        ("cpu", "cuda"),
        "every model's own edges: gathers, scatter-adds, fused gate steps, hand-written backward",
    ),
}
DEVICES = ("auto", "cpu", "cuda")


def device_name(name: str | None = "auto") -> str:
    """The device asked for, checked against `DEVICES` but not resolved: what a driver passes
    to a cluster's workers, which resolve it where they run."""
    return check_name("device", (name or "auto").strip().lower(), DEVICES)


def resolve_device(name: str | None = "auto") -> str:
    """'cpu' or 'cuda': ``auto`` (or None) is CUDA where torch sees a GPU, else the CPU;
    ``cuda`` without one is an error."""
    chosen = device_name(name)
    if chosen == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if chosen == "auto":
        return "cpu"
    raise RandRNNError("--device cuda: torch sees no CUDA GPU here (use --device cpu or auto)")


def resolve_engine(name: str | None = None, device: str = "cpu") -> str:
    """The engine to train with on ``device`` ('cpu' or 'cuda'): ``name``, else
    ``RANDRNN_ENGINE`` if set, else the device's default (CPU: native where it builds, else the
    wavefront; CUDA: dense, until the sparse engine has passed gpu-check on a GPU). An unknown name, or an engine that does not run on the device, is
    an error."""
    chosen = (name or os.environ.get("RANDRNN_ENGINE", "")).strip().lower()
    if not chosen:
        if device != "cpu":
            return "dense"
        from randrnn.training import native

        return "native" if native.available() else "wavefront"
    engine = ENGINES[check_name("engine", chosen, ENGINES)]
    if device not in engine.devices:
        on = ", ".join(e.name for e in ENGINES.values() if device in e.devices)
        raise RandRNNError(f"engine '{chosen}' does not run on {device}; engines there: {on}")
    return chosen
