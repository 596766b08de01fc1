"""Seconds per model-epoch per cell: the benchmark record that projections read.

`randrnn bench` saves the user's measurement in the user cache (`save_measurement`);
`seconds_per_model_epoch` returns it where known, else the numbers measured on the reference
machine (2-core AMD EPYC, no GPU; see the README). Plain Python, no torch: `studyplan` (a study
file's train-all stages) and `pruning.plan` (a structure study's models) both read it. A
CUDA measurement (`bench --device cuda`) is kept apart, `gpu_seconds_per_model_epoch`.
"""

from __future__ import annotations

import json
from pathlib import Path

# Seconds per model-epoch, full data, batch 128, one worker process with one thread, thesis-like
# graphs (10–50 nodes), native engine: measured with `randrnn bench --epochs 2` (docs/speed.md)
# on the quiet reference machine, with the kernel's second pass (2026-12-07; 0.13, 0.11, 0.29,
# 0.28 before it). Two workers were measured at 1.2–1.9× this throughput, so dividing by the
# workers is close.
REFERENCE_SECONDS = {"rnn_tanh": 0.091, "rnn_relu": 0.079, "lstm": 0.24, "gru": 0.23}


def bench_file() -> Path:
    """Where `randrnn bench` keeps the user's last measurement."""
    from randrnn.cache import cache_dir

    return cache_dir() / "bench.json"


def _saved() -> dict:
    try:
        saved = json.loads(bench_file().read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def save_measurement(
    seconds: dict[str, float], workers: int, device: str = "cpu", engine: str | None = None
) -> None:
    """Keep a benchmark's seconds per model-epoch per worker for later projections, with the
    engine it measured; a CUDA benchmark is kept apart (``"cuda"``: seconds per model-epoch of
    a pack on the GPU), never mixed with the CPU's."""
    path = bench_file()
    saved = _saved()
    if device == "cuda":
        saved.setdefault("cuda", {}).setdefault("seconds", {}).update(seconds)
        saved["cuda"]["engine"] = engine
    else:
        saved.setdefault("seconds", {}).update(seconds)
        saved["workers"] = workers
        saved["engine"] = engine
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=1))
    tmp.replace(path)


def seconds_per_model_epoch() -> dict[str, float]:
    """Per cell: the user's last bench (single worker) where known, else the reference numbers."""
    measured = dict(REFERENCE_SECONDS)
    try:
        measured.update({k: float(v) for k, v in _saved().get("seconds", {}).items()})
    except (ValueError, AttributeError, TypeError):
        pass
    return measured


def gpu_seconds_per_model_epoch() -> dict[str, float]:
    """Per cell: the last `randrnn bench --device cuda` (empty: none was recorded)."""
    try:
        return {k: float(v) for k, v in _saved().get("cuda", {}).get("seconds", {}).items()}
    except (ValueError, AttributeError, TypeError):
        return {}
