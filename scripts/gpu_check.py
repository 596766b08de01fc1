"""The GPU check (`scripts/gpu-check.sh` runs it): results on the device against the CPU, then the wall
time of the three things a user runs, each printed with its command.

One process, no Dask (every command runs in-process with one worker), no network: on a fresh
CUDA machine ``PYTHONPATH=. python scripts/gpu_check.py`` is the whole check. Steps:

1. CPU vs device: the same models (``graphs`` sample graphs × every cell) trained one epoch by
   the CPU's default engine and by each device engine (sparse, dense) on the device; the largest
   weight difference and whether every model's test accuracy agrees.
2. On CUDA, host synchronisations per training batch as torch itself sees them
   (`devicecheck.host_syncs_per_batch`: a sync inside a kernel's C++ is invisible to
   ``bench --profile``); then ``bench --profile`` of GRU on the device, sparse and dense
   engines: counted work, bytes, launches and host synchronisations per batch.
3. ``bench`` of GRU and LSTM at ``bench_graphs`` graphs, sparse and dense engines on the device.
4. ``train-all`` of ``train_graphs`` graphs × 4 cells × 3 epochs in a fresh study: its wall.
5. One pruning experiment (LSTM, magnitude): its wall.

Every step runs even when an earlier one fails (its error is printed, and the exit status is 1).

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

from randrnn.training.devicecheck import compare_devices, host_syncs_per_batch


@dataclass(frozen=True)
class Sizes:
    """How large each step of the check is."""

    graphs: int = 8  # step 1: graphs per cell
    compare_train: int = 2000  # step 1: training strings
    bench_graphs: int = 1024
    profile_graphs: int = 64
    train_graphs: int = 256
    train_epochs: int = 3
    prune: tuple[str, ...] = ("--levels", "20,50,80", "--base-epochs", "5", "--retrain-epochs",
                              "2")  # fmt: skip


FULL = Sizes()
SMALL = Sizes(graphs=2, compare_train=96, bench_graphs=2, profile_graphs=2, train_graphs=2,
              train_epochs=1,
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
    bench = ["bench", "--device", device, "--cells", "gru,lstm", "--graphs",
             str(sizes.bench_graphs), "--epochs", "1", "--population",
             str(max(1000, sizes.bench_graphs)), *small[:2]]  # fmt: skip
    profile = ["bench", "--device", device, "--cells", "gru", "--graphs",
               str(sizes.profile_graphs), "--profile"]  # fmt: skip
    return {
        "profile sparse": [*profile, "--engine", "sparse"],
        "profile dense": [*profile, "--engine", "dense"],
        "bench sparse": [*bench, "--engine", "sparse"],
        "bench dense": [*bench, "--engine", "dense"],
        "generate": ["generate", "--n", str(sizes.train_graphs), "--study", study],
        "train-all": ["train-all", "--study", study, "--device", device, "--epochs",
                      str(sizes.train_epochs), "--cells", "gru,lstm,rnn_tanh,rnn_relu", *small],
        "prune": ["prune", "--study", str(work / "prune"), "--device", device, "--cells",
                  "lstm", "--method", "magnitude", *sizes.prune],
    }  # fmt: skip


def run(device: str, sizes: Sizes, say: Callable[[str], None] = print) -> bool:
    """All five steps, each even if an earlier one failed; True if every step ran and CPU and
    device agree."""
    import traceback

    from randrnn.models.cells import CELLS
    from randrnn.training.engines import resolve_device

    device = resolve_device(device)
    label = "" if sizes is FULL else " (--small: plumbing only, figures mean nothing)"
    say(f"GPU check on {device}{label}")
    failed: list[str] = []

    def attempt(name: str, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception:  # noqa: BLE001 (every step runs; a failure is reported, counted)
            say(f"FAILED: {name}\n{traceback.format_exc()}")
            failed.append(name)
            return None

    for engine in ("sparse", "dense"):
        rows = attempt(f"compare {engine}",
                       lambda e=engine: compare_devices(device, sizes.graphs, sizes.compare_train,
                                                        list(CELLS), e)) or []  # fmt: skip
        for r in rows:
            say(f"{r['cell']:9s} {r['checked']} vs {r['reference']}: max weight difference "
                f"{r['max_weight_diff']:.2e}, same test accuracy: {r['same_test_acc']} "
                f"-> {'ok' if r['ok'] else 'MISMATCH'}")  # fmt: skip
            if not r["ok"]:
                failed.append(f"compare {engine} {r['cell']}")
    # torch's own count of host syncs (bench --profile sees only what is dispatched)
    if str(device).startswith("cuda"):
        for engine in ("sparse", "dense"):
            syncs = attempt(f"syncs {engine}", lambda e=engine: host_syncs_per_batch(device, e))
            if syncs is not None:
                say(f"host synchronisations per batch, gru on {engine} (torch's sync debug mode): "
                    f"{syncs:g}")  # fmt: skip
    walls = {}
    with tempfile.TemporaryDirectory(prefix="randrnn-gpu-check-") as tmp:
        cmds = commands(device, sizes, Path(tmp))
        for name, args in cmds.items():
            seconds = attempt(name, lambda a=args: timed(a, say))
            if seconds is not None and name != "generate":
                walls[name] = seconds
        say("")
        say(f"wall times on {device}{label}:")
        for name, seconds in walls.items():
            say(f"  {name:14s} {seconds:8.1f} s   randrnn {' '.join(cmds[name])}")
    say("(bench's tables above give s / model-epoch per cell)")
    if failed:
        say("failed: " + ", ".join(failed))
    return not failed


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
