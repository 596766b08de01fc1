"""Seconds per model-epoch per cell: the benchmark record that projections read.

`randrnn bench` saves the user's measurement in the user cache (`save_measurement`);
`seconds_per_model_epoch` returns it where known, else the numbers measured on the reference
machine (2-core AMD EPYC, no GPU; see the README). Plain Python, no torch: `studyplan` (a study
file's train-all stages) and `pruning.plan` (a structure study's models) both read it.
"""

from __future__ import annotations

import json
from pathlib import Path

# Seconds per model-epoch, full data, batch 128, one worker process with one thread, thesis-like
# graphs (10–50 nodes), native engine: measured with `randrnn bench --epochs 2` (README, Speed).
# Two workers were measured at 1.2–1.9× this throughput, so dividing by the workers is close.
REFERENCE_SECONDS = {"rnn_tanh": 0.13, "rnn_relu": 0.11, "lstm": 0.29, "gru": 0.28}


def bench_file() -> Path:
    """Where `randrnn bench` keeps the user's last measurement."""
    from randrnn.cache import cache_dir

    return cache_dir() / "bench.json"


def save_measurement(seconds: dict[str, float], workers: int) -> None:
    """Keep a benchmark's seconds per model-epoch per worker for later projections."""
    path = bench_file()
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    saved.setdefault("seconds", {}).update(seconds)
    saved["workers"] = workers
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=1))
    tmp.replace(path)


def seconds_per_model_epoch() -> dict[str, float]:
    """Per cell: the user's last bench (single worker) where known, else the reference numbers."""
    measured = dict(REFERENCE_SECONDS)
    try:
        saved = json.loads(bench_file().read_text())
        measured.update({k: float(v) for k, v in saved.get("seconds", {}).items()})
    except (OSError, ValueError, AttributeError):
        pass
    return measured
