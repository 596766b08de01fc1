"""The first K epochs of each run's learning curve as features (`randrnn predict --curve-epochs K`).

A study records every run's curve (`randrnn.store.curves`: per epoch, the train loss and
accuracy over the epoch's batches and the test loss and accuracy after it). `attach` puts the
first K epochs beside each run as columns ``curve_test_acc_1 .. curve_test_acc_K``,
``curve_train_acc_1 ..`` and ``curve_train_loss_1 ..`` (`columns`); `table.per_graph` then
averages them over a graph's replicates exactly as it averages the target, and the folds stay
those of the graph properties alone (every run must have the K epochs, so no row is dropped).

Test accuracy after epoch k is the naive ranker of early stopping and of learning-curve
extrapolation; the train accuracy and loss say how fast the model fits its training strings
(the test loss is left out: it follows the test accuracy closely and adds little).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from randrnn.analysis import table
from randrnn.errors import RandRNNError

FIELDS = ("test_acc", "train_acc", "train_loss")  # the curve's numbers used, in column order
PREFIX = "curve_"
CURVE_SET = "curve"  # --feature-set curve: the curve columns alone
KEYS = ["graph_id", "cell", "config_hash", "replicate"]  # a run, in the table and the curves


def columns(epochs: int) -> list[str]:
    """The feature columns of the first ``epochs`` epochs: every field, epoch 1 first."""
    return [f"{PREFIX}{field}_{e}" for field in FIELDS for e in range(1, epochs + 1)]


def check_epochs(epochs: int) -> int:
    """``epochs`` if it is 1 or more, else one error line."""
    if epochs < 1:
        raise RandRNNError(f"--curve-epochs must be 1 or more (got {epochs})")
    return epochs


def wide(curves: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """The long curves (`Study.curves`) as one row per run (`KEYS`) with `columns(epochs)`;
    runs with fewer epochs get NaN beyond their last."""
    first = curves[curves["epoch"] <= epochs]
    table = first.pivot_table(index=KEYS, columns="epoch", values=list(FIELDS), aggfunc="first")
    table.columns = [f"{PREFIX}{field}_{int(e)}" for field, e in table.columns]
    return table.reindex(columns=columns(epochs)).reset_index()


def attach(runs: pd.DataFrame, curves: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """``runs`` (one row per run, `table.load(per_run=True)`) with the first ``epochs`` epochs
    of each run's curve (`columns`). One error line when the study has no curves, when some
    run analysed has none, or fewer than ``epochs`` epochs, or a number missing among them."""
    check_epochs(epochs)
    source = runs.attrs.get("source", "table")
    if curves.empty:
        raise RandRNNError(
            f"{source} has no learning curves (trained before they were recorded, or with "
            "--no-curves): --curve-epochs reads them; train the runs again with randrnn train-all"
        )
    kept = curves.merge(runs[KEYS].drop_duplicates(), on=KEYS)
    last = kept.groupby(KEYS)["epoch"].max()
    if len(last) < len(runs):
        raise RandRNNError(
            f"--curve-epochs: {len(runs) - len(last)} of the {len(runs)} runs analysed in "
            f"{source} have no learning curve; train them again with randrnn train-all"
        )
    if int(last.min()) < epochs:
        raise RandRNNError(
            f"--curve-epochs {epochs}: some runs in {source} recorded only {int(last.min())} "
            f"epochs (at most {int(last.max())}); choose --curve-epochs {int(last.min())} or less"
        )
    features = wide(kept, epochs)
    gaps = features[columns(epochs)].isna()
    if gaps.to_numpy().any():
        first = gaps.any().idxmax()
        raise RandRNNError(
            f"--curve-epochs {epochs}: {int(gaps.any(axis=1).sum())} runs in {source} have no "
            f"{first} recorded; choose the epochs every run recorded"
        )
    out = runs.drop(columns=[c for c in columns(epochs) if c in runs.columns])
    out = out.merge(features, on=KEYS, how="left", validate="many_to_one")
    out.attrs.update(runs.attrs)
    return out


def of_study(runs: pd.DataFrame, study: str | Path, epochs: int) -> pd.DataFrame:
    """`attach` with the curves of ``study`` (`table.curves_table`)."""
    return attach(runs, table.curves_table(study), epochs)


def require(df: pd.DataFrame, epochs: int) -> list[str]:
    """The curve columns of ``epochs`` epochs, present in ``df`` (a study's with `attach`, or a
    CSV that has them), else one error line."""
    wanted = columns(check_epochs(epochs))
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise RandRNNError(
            f"--curve-epochs {epochs}: {df.attrs.get('source', 'table')} has no "
            f"{', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''} columns: "
            "the learning curves are read from a study (--study)"
        )
    return wanted
