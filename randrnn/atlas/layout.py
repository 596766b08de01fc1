"""What an atlas folder holds: its file names, the format version, and the columns of its tables.

An atlas is a folder::

    atlas.json          what it is: format, version, slices, file checksums, how it was built
    graphs.parquet      one row per graph: ids, hashes, generator, parameters, seed, the
                        canonical edge list and the 23 properties (and the extras)
    runs.parquet        one row per trained model: graph, cell, task and data recipe, the full
                        training config, replicate and seeds, final metrics, seconds, device,
                        engine, the code that trained it
    curves.parquet      one row per (run, epoch): train and test loss and accuracy
    DATASHEET.md        how it was built, counts, what is missing, checksums
    weights.safetensors optional: each run's trained float32 weights (safetensors: no code runs
                        when it loads), under its run_id; the light tables never need it

Plain Python: the exporter, the loader and the tests read the same names from here.
"""

from __future__ import annotations

FORMAT = 1  # of the folder layout; a loader refuses a newer one
META = "atlas.json"
GRAPHS = "graphs.parquet"
RUNS = "runs.parquet"
CURVES = "curves.parquet"
DATASHEET = "DATASHEET.md"
WEIGHTS = "weights.safetensors"
LIGHT = (GRAPHS, RUNS, CURVES)  # the tables whose checksums make the atlas' checksum

GRAPH_COLUMNS = [
    "graph_id",
    "hash",
    "dag_hash",
    "generator",
    "params",
    "seed",
    "nodes",
    "edges",
    "edge_list",
    "directed",
]  # fmt: skip  (then one column per property)
RUN_COLUMNS = [
    "run_id", "graph_id", "cell", "task", "data", "recipe", "config", "config_hash",
    "replicate", "study_seed", "model_seed", "batch_seed", "test_acc", "test_loss", "train_acc",
    "train_loss", "effective_params", "epochs", "train_seconds", "device", "engine", "code",
    "has_curve", "has_weights",
]  # fmt: skip
CURVE_COLUMNS = ["run_id", "epoch", "train_loss", "train_acc", "test_loss", "test_acc"]


def run_id(task: str, cell: str, graph_id: int, replicate: int) -> str:
    """A run's id in the atlas, stable and readable: ``reber/gru/17/0``."""
    return f"{task}/{cell}/{int(graph_id)}/{int(replicate)}"
