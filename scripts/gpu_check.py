"""The GPU check (`scripts/gpu-check.sh` runs it): results on the device against the CPU, then the wall
time of the three things a user runs, each printed with its command.

One process, no Dask (every command runs in-process with one worker), no network: on a fresh
CUDA machine ``PYTHONPATH=. python scripts/gpu_check.py`` is the whole check. Steps:

1. CPU vs device: the same models (``graphs`` sample graphs × every cell) trained one epoch by
   the CPU's default engine and by the dense engine on the device; the largest weight difference
   and whether every model's test accuracy agrees.
2. ``bench`` of GRU and LSTM at ``bench_graphs`` graphs, dense engine on the device.
3. ``train-all`` of ``train_graphs`` graphs × 4 cells × 3 epochs in a fresh study: its wall.
4. One pruning experiment (LSTM, magnitude): its wall.

``--device cpu --small`` runs the same plumbing at tiny sizes on the CPU (CI runs it in a test);
its figures mean nothing and are labelled so.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from randrnn.training.devicecheck import compare_devices


@dataclass(frozen=True)
class Sizes:
    """How large each step of the check is."""

    graphs: int = 8  # step 1: graphs per cell
    compare_train: int = 2000  # step 1: training strings
    bench_graphs: int = 1024
    train_graphs: int = 256
    train_epochs: int = 3
    prune: tuple[str, ...] = ("--levels", "20,50,80", "--base-epochs", "5", "--retrain-epochs",
                              "2")  # fmt: skip


FULL = Sizes()
SMALL = Sizes(graphs=2, compare_train=96, bench_graphs=2, train_graphs=2, train_epochs=1,
              prune=("--levels", "50", "--base-epochs", "1", "--retrain-epochs", "1",
                     "--max-train", "64", "--max-test", "32", "--hidden", "4,4"))  # fmt: skip


def timed(args: Sequence[str], say: Callable[[str], None]) -> float:
    """Run one randrnn command in this process; its wall seconds."""
    from randrnn.cli import app

    say("$ randrnn " + " ".join(args))
    start = time.perf_counter()
    app(list(args), standalone_mode=False)
    if "cuda" in args:
        import torch

        torch.cuda.synchronize()
    return time.perf_counter() - start


def commands(device: str, sizes: Sizes, work: Path) -> dict[str, list[str]]:
    """The exact commands of steps 2–4 (one worker: in this process, no Dask)."""
    study = str(work / "study")
    small = ["--max-train", "64", "--max-test", "32"] if sizes is SMALL else []
    return {
        "bench": ["bench", "--device", device, "--engine", "dense", "--cells", "gru,lstm",
                  "--graphs", str(sizes.bench_graphs), "--epochs", "1",
                  "--population", str(max(1000, sizes.bench_graphs)), *small[:2]],
        "generate": ["generate", "--n", str(sizes.train_graphs), "--study", study],
        "train-all": ["train-all", "--study", study, "--device", device, "--epochs",
                      str(sizes.train_epochs), "--cells", "gru,lstm,rnn_tanh,rnn_relu", *small],
        "prune": ["prune", "--study", str(work / "prune"), "--device", device, "--cells",
                  "lstm", "--method", "magnitude", *sizes.prune],
    }  # fmt: skip


def run(device: str, sizes: Sizes, say: Callable[[str], None] = print) -> bool:
    """All four steps; True if CPU and device agree."""
    from randrnn.models.cells import CELLS
    from randrnn.training.engines import resolve_device

    device = resolve_device(device)
    label = "" if sizes is FULL else " (--small: plumbing only, figures mean nothing)"
    say(f"GPU check on {device}{label}")
    rows = compare_devices(device, sizes.graphs, sizes.compare_train, list(CELLS))
    for r in rows:
        say(f"{r['cell']:9s} {r['checked']} vs {r['reference']}: max weight difference "
            f"{r['max_weight_diff']:.2e}, same test accuracy: {r['same_test_acc']} "
            f"-> {'ok' if r['ok'] else 'MISMATCH'}")  # fmt: skip
    walls = {}
    with tempfile.TemporaryDirectory(prefix="randrnn-gpu-check-") as tmp:
        cmds = commands(device, sizes, Path(tmp))
        walls["bench"] = timed(cmds["bench"], say)
        timed(cmds["generate"], say)
        walls["train-all"] = timed(cmds["train-all"], say)
        walls["prune"] = timed(cmds["prune"], say)
        say("")
        say(f"wall times on {device}{label}:")
        for name, seconds in walls.items():
            say(f"  {name:9s} {seconds:8.1f} s   randrnn {' '.join(cmds[name])}")
    say("(bench's table above gives s / model-epoch per cell)")
    return all(r["ok"] for r in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    parser.add_argument("--small", action="store_true", help="tiny sizes: the plumbing only")
    args = parser.parse_args(argv)
    from randrnn.errors import RandRNNError

    try:
        ok = run(args.device, SMALL if args.small else FULL)
    except RandRNNError as exc:
        print(f"error: {exc}")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
