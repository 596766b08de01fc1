"""Retrain one atlas run from what the atlas records, and nothing else: its graph (the canonical
edge list, oriented along node order), cell, training config, model seed and batch-order seed,
and the data its recipe rebuilds. On the engine, device and code the row records, the retrained
final accuracy equals the recorded one (`randrnn atlas reproduce` checks it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pandas as pd

from randrnn.atlas.reader import Atlas
from randrnn.errors import RandRNNError


@dataclass(frozen=True)
class Reproduced:
    """A run's recorded and retrained results, and where each was made."""

    run_id: str
    recorded_acc: float
    retrained_acc: float
    recorded_loss: float
    retrained_loss: float
    recorded_where: str  # engine on device, code
    retrained_where: str
    recorded_code: str  # the randrnn version and commit that trained each
    retrained_code: str

    @property
    def same(self) -> bool:
        return self.recorded_acc == self.retrained_acc


def reproduce(atlas: Atlas, run_id: str, engine: str | None = None) -> Reproduced:
    """Retrain the run ``run_id`` of ``atlas`` on the CPU with its recorded engine (or
    ``engine``) and return both results."""
    from randrnn.graphs.dag import to_dag
    from randrnn.models.graph_rnn import build_model
    from randrnn.tasks.data import rebuild
    from randrnn.training.config import TrainConfig
    from randrnn.training.engine import train_many
    from randrnn.training.loop import prepare_data
    from randrnn.version import code_version

    rows = atlas.runs[atlas.runs["run_id"] == run_id]
    if rows.empty:
        raise RandRNNError(f"no run {run_id!r} in atlas '{atlas.path}' (ids look like"
                           f" {atlas.runs['run_id'].iloc[0] if len(atlas.runs) else 'reber/gru/0/0'})")  # fmt: skip
    row = rows.iloc[0]
    config = TrainConfig.from_dict(json.loads(row["config"]))
    recipe = json.loads(row["recipe"]) if row["recipe"] else None
    train, test = rebuild(recipe, str(row["data"]))
    model = build_model(to_dag(atlas.graph(int(row["graph_id"]))), str(row["cell"]),
                        seed=int(row["model_seed"]), readout=config.readout)  # fmt: skip
    train_data, test_data = prepare_data(train, test, config)
    batches = replace(config, seed=int(row["batch_seed"]))
    chosen = engine or (None if pd.isna(row["engine"]) else str(row["engine"]))
    (result,) = train_many([model], train_data, test_data, batches, engine=chosen, device="cpu",
                           eval_each_epoch=bool(row["has_curve"]))  # fmt: skip
    from randrnn.training.engines import resolve_engine

    return Reproduced(
        run_id=run_id,
        recorded_acc=float(row["test_acc"]),
        retrained_acc=float(result["test_acc"]),
        recorded_loss=float(row["test_loss"]),
        retrained_loss=float(result["test_loss"]),
        recorded_where=f"{row['engine']} on {row['device']}, {row['code']}",
        retrained_where=f"{resolve_engine(chosen, 'cpu')} on cpu, {code_version()}",
        recorded_code=str(row["code"]),
        retrained_code=code_version(),
    )
