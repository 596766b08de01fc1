"""Time the CPU engine of this working tree against an older commit's, side by side.

    python scripts/bench_kernels.py [--base 6cec3a1] [--cells gru,lstm] [--workers 2]
                                    [--graphs 16] [--epochs 1] [--rounds 3] [--max-train N]

The base commit's ``randrnn`` package is extracted (``git archive``) into a temporary folder;
each round trains the same bench graphs (`randrnn.training.bench.bench_dags`, the default
sample of `randrnn bench`) on the same data, once with each version, in a fresh Python process
that runs `bench_cell` with ``--workers`` worker processes (as `randrnn bench --workers` does:
fresh workers, so a version's import costs are counted). The order of the two alternates from
round to round. Prints seconds per model-epoch of each run and, per cell, the ratio base / new
of every round and their median: the speed-up, on the same graphs, on the same machine, in
the same minutes. Each version's native library is built before the first round (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN = """
import json, sys
from randrnn.tasks.data import task_data
from randrnn.training.bench import bench_cell, bench_dags
from randrnn.training.config import TrainConfig
from randrnn.training.loop import prepare_data

cell, workers, graphs, epochs, max_train = sys.argv[1:6]
config = TrainConfig(epochs=int(epochs), max_train=int(max_train) or None)
dags, _ = bench_dags(graphs=int(graphs))
found = task_data(None)
train, test = prepare_data(found.train, found.test, config)
print(json.dumps(bench_cell(dags, cell, train, test, config, int(workers))))
"""


def extract(commit: str, into: Path) -> Path:
    """The ``randrnn`` package of ``commit`` under ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "randrnn"],
                          capture_output=True, check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(root: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "RANDRNN_ENGINE": "native"}
    out = subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"run under {root} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def build(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "from randrnn.training import native; native.library()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="6cec3a1", help="commit to compare against")
    parser.add_argument("--cells", default="gru,lstm")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--graphs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-train", type=int, default=0, help="0: the full training set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        versions = {args.base: extract(args.base, Path(tmp)), "new": ROOT}
        for root in versions.values():
            build(root)
        common = [str(args.workers), str(args.graphs), str(args.epochs), str(args.max_train)]
        ratios: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for cell in args.cells.split(","):
                names = list(versions) if r % 2 == 0 else list(versions)[::-1]
                seconds = {}
                for name in names:
                    seconds[name] = run(versions[name], cell, *common)["model_epoch_seconds"]
                    print(f"round {r + 1} {cell:5} {name:8} {seconds[name]:.4f} s/model-epoch",
                          flush=True)  # fmt: skip
                ratio = seconds[args.base] / seconds["new"]
                ratios.setdefault(cell, []).append(ratio)
                print(f"round {r + 1} {cell:5} ratio {args.base}/new {ratio:.3f}", flush=True)
    print(f"\n{args.graphs} bench graphs, {args.epochs} epoch(s), {args.workers} workers, "
          f"max_train {args.max_train or 'all'}")  # fmt: skip
    for cell, values in ratios.items():
        each = ", ".join(f"{v:.3f}" for v in values)
        print(f"{cell:5} speed-up {statistics.median(values):.3f}× (median; rounds: {each})")


if __name__ == "__main__":
    main()
