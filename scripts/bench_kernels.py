"""Time the CPU engine of this working tree against an older commit's, side by side.

    python scripts/bench_kernels.py [--base 6cec3a1] [--cells gru,lstm] [--workers 2]
                                    [--graphs 16] [--epochs 1] [--rounds 3] [--max-train N]

The base commit's ``randrnn`` package is extracted (``git archive``) into a temporary folder;
each round trains the same bench graphs (`randrnn.training.bench.bench_dags`, the default
sample of `randrnn bench`) on the same data, once with each version, in a fresh Python process
with ``--workers`` fresh worker processes that each train the whole sample at once, as
`randrnn bench --workers` does (`bench_cell`; so a version's import costs are counted). The
order of the two alternates from round to round. Two figures per run, seconds per model-epoch:
``wall``, `bench`'s (training wall time, the slowest worker, over all model-epochs), and
``cpu``, the CPU seconds of the workers' `train_many` (training and the final evaluation) over
all model-epochs — steadier than wall time on a machine shared with other work. Per cell, the
ratio base / new of every round and their median: the speed-up, on the same graphs, on the
same machine, in the same minutes. Each version's native library is built before the first
round (not timed).
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
import json, sys, time
from concurrent.futures import ProcessPoolExecutor
from randrnn.models.graph_rnn import build_model
from randrnn.tasks.data import task_data
from randrnn.training.bench import bench_dags
from randrnn.training.config import TrainConfig
from randrnn.training.engine import train_many
from randrnn.training.loop import prepare_data
from randrnn.training.process import worker_setup

def timed(dags, cell, train, test, config):
    worker_setup(1)
    models = [build_model(dag, cell, seed=i) for i, dag in enumerate(dags)]
    cpu = time.process_time()
    results = train_many(models, train, test, config)
    return sum(r["train_seconds"] for r in results), time.process_time() - cpu

cell, workers, graphs, epochs, max_train = sys.argv[1:6]
workers = int(workers)
config = TrainConfig(epochs=int(epochs), max_train=int(max_train) or None)
dags, _ = bench_dags(graphs=int(graphs))
found = task_data(None)
train, test = prepare_data(found.train, found.test, config)
with ProcessPoolExecutor(workers, initializer=worker_setup, initargs=(1,)) as pool:
    parts = [f.result() for f in [pool.submit(timed, dags, cell, train, test, config)
                                  for _ in range(workers)]]
model_epochs = len(dags) * workers * config.epochs
print(json.dumps({"wall": max(p[0] for p in parts) / model_epochs,
                  "cpu": sum(p[1] for p in parts) / model_epochs}))
"""


def extract(commit: str, into: Path) -> Path:
    """The ``randrnn`` package and the shipped data of ``commit`` under ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "randrnn", "data"],
                          capture_output=True, check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(root: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "RANDRNN_ENGINE": "native"}
    # run in ``root``: ``python -c`` puts the working directory first on the path
    out = subprocess.run([sys.executable, "-c", RUN, *args], env=env, cwd=root,
                         capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"run under {root} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def build(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import randrnn, sys; from randrnn.training import native; native.library(); "
    code += "print('built', randrnn.__file__, file=sys.stderr)"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True)


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
        ratios: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for cell in args.cells.split(","):
                names = list(versions) if r % 2 == 0 else list(versions)[::-1]
                got = {name: run(versions[name], cell, *common) for name in names}
                for name in names:
                    print(f"round {r + 1} {cell:5} {name:8} wall {got[name]['wall']:.4f} "
                          f"cpu {got[name]['cpu']:.4f} s/model-epoch", flush=True)  # fmt: skip
                for what in ("wall", "cpu"):
                    ratio = got[args.base][what] / got["new"][what]
                    ratios.setdefault((cell, what), []).append(ratio)
                    print(f"round {r + 1} {cell:5} {what:4} ratio {args.base}/new {ratio:.3f}")
    print(f"\n{args.graphs} bench graphs, {args.epochs} epoch(s), {args.workers} workers, "
          f"max_train {args.max_train or 'all'}")  # fmt: skip
    for (cell, what), values in ratios.items():
        each = ", ".join(f"{v:.3f}" for v in values)
        print(
            f"{cell:5} {what:4} speed-up {statistics.median(values):.3f}× (median; rounds: {each})"
        )


if __name__ == "__main__":
    main()
