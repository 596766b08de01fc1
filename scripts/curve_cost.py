"""What recording learning curves costs: a test pass after every epoch, against the epoch itself.

Trains the same GRU (or --cell) models twice with the packed engine, one thread, on the full data,
once with curves (eval_each_epoch) and once without, and prints the CPU seconds per model-epoch of
each and the difference as a fraction of an epoch. CPU time of this process (not wall time), so a
busy machine disturbs it little.

    python scripts/curve_cost.py [--graphs 16] [--epochs 3] [--cell gru]
"""

from __future__ import annotations

import argparse
import time

import torch

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate
from randrnn.models.graph_rnn import build_model
from randrnn.tasks.data import task_data
from randrnn.training.config import TrainConfig
from randrnn.training.engine import train_many
from randrnn.training.loop import prepare_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cell", default="gru")
    parser.add_argument("--task", default="reber")
    args = parser.parse_args()
    torch.set_num_threads(1)
    found = task_data(args.task)
    config = TrainConfig(epochs=args.epochs)
    train, test = prepare_data(found.train, found.test, config)
    dags = [to_dag(g["graph"]) for g in generate(args.graphs, seed=0, nodes=(10, 50))]
    seconds = {}
    for curves in (False, True, False, True):
        models = [build_model(d, args.cell, seed=i) for i, d in enumerate(dags)]
        start = time.process_time()
        train_many(models, train, test, config, eval_each_epoch=curves)
        seconds.setdefault(curves, []).append(time.process_time() - start)
    # Without curves a run evaluates once, at the end; with them once per epoch: the
    # difference is (epochs - 1) test passes.
    without, with_ = min(seconds[False]), min(seconds[True])
    test_pass = (with_ - without) / (args.epochs - 1)
    epoch = (without - test_pass) / args.epochs
    print(
        f"{args.cell} on {args.task}, {args.graphs} graphs × {args.epochs} epochs, 1 thread,"
        " CPU seconds for the pack (best of 2):"
    )
    print(
        f"  without curves {without:.2f}   with curves {with_:.2f}   one test pass"
        f" {test_pass:.2f}   one epoch {epoch:.2f}   curves cost {test_pass / epoch:.1%} of an"
        " epoch"
    )


if __name__ == "__main__":
    main()
