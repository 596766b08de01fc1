"""Fit and evaluate one model. The loop knows only model, data and config.

It prints nothing and opens no paths: progress, checkpoints and statistics (WAEA) attach as
`randrnn.callbacks` (events ``"step"`` after every optimiser step, gradients still in ``.grad``,
and ``"epoch"`` with the epoch's numbers). A step callback that returns True ends training there.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from randrnn.callbacks import Callbacks, Epoch, Step
from randrnn.reber import encode
from randrnn.training.batches import Encoded, eval_batches, train_batches
from randrnn.training.config import TrainConfig


def encode_split(df: pd.DataFrame, limit: int | None = None, seed: int = 0) -> Encoded:
    """Encode a data split; with ``limit``, a seeded random subset of that many rows."""
    if limit is not None and limit < len(df):
        df = df.sample(n=limit, random_state=seed).sort_index()
    codes, lengths = encode(list(df["string"]))
    labels = torch.tensor(df["valid"].to_numpy(dtype=np.int64))
    return Encoded(codes, lengths, labels)


def prepare_data(
    train: pd.DataFrame, test: pd.DataFrame, config: TrainConfig
) -> tuple[Encoded, Encoded]:
    """Both splits encoded, subsampled as the config asks."""
    return (
        encode_split(train, config.max_train, config.seed),
        encode_split(test, config.max_test, config.seed),
    )


@torch.no_grad()
def evaluate(model: nn.Module, data: Encoded, batch_size: int = 1024) -> dict[str, float]:
    """Accuracy and mean cross-entropy of a model on a data split."""
    was_training = model.training
    model.eval()
    correct, loss = 0, 0.0
    for index in eval_batches(data.lengths.numpy(), batch_size):
        codes, lengths, labels = data.batch(index)
        logits = model(codes, lengths)
        loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += int((logits.argmax(1) == labels).sum())
    model.train(was_training)
    return {"acc": correct / len(data), "loss": loss / len(data)}


def fit(
    model: nn.Module,
    train: Encoded,
    test: Encoded,
    config: TrainConfig,
    callbacks: Callbacks | None = None,
    eval_each_epoch: bool = False,
) -> dict[str, Any]:
    """Train with Adam, cross-entropy and per-model gradient clipping; return the metrics.

    Metrics: test_acc and test_loss after the last epoch, train_acc (running accuracy over the
    last epoch's batches, as seen during training), train_seconds, effective_params, epochs, and
    ``history`` (one record per epoch; test numbers in it only with ``eval_each_epoch``).
    A ``"step"`` callback that returns True stops training after that step (the unfinished
    epoch gets no record, and nothing is evaluated: test_acc and test_loss are NaN).
    """
    callbacks = callbacks or Callbacks()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    lengths = train.lengths.numpy()
    history, step, stop = [], 0, False
    start = time.perf_counter()
    model.train()
    for epoch in range(config.epochs):
        correct, loss_sum = 0, 0.0
        for index in train_batches(lengths, config.batch_size, config.seed, epoch, config.batching):
            codes, batch_lengths, labels = train.batch(index)
            logits = model(codes, batch_lengths)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            step += 1
            stop = callbacks.trigger_callback("step", Step(model, step))
            if stop:
                break
            correct += int((logits.detach().argmax(1) == labels).sum())
            loss_sum += loss.item() * len(index)
        if stop:
            break
        record = {
            "epoch": epoch + 1,
            "train_acc": correct / len(train),
            "train_loss": loss_sum / len(train),
        }
        if eval_each_epoch:
            result = evaluate(model, test, config.eval_batch_size)
            record.update(test_acc=result["acc"], test_loss=result["loss"])
        history.append(record)
        callbacks.trigger_callback("epoch", Epoch(epoch + 1, record))
    seconds = time.perf_counter() - start
    if stop:  # stopped by a callback (WAEA's statistics window): no test pass for nothing
        final = {"acc": float("nan"), "loss": float("nan")}
    elif eval_each_epoch and history:
        final = {"acc": history[-1]["test_acc"], "loss": history[-1]["test_loss"]}
    else:
        final = evaluate(model, test, config.eval_batch_size)
    return {
        "test_acc": final["acc"],
        "test_loss": final["loss"],
        "train_acc": history[-1]["train_acc"] if history else float("nan"),
        "train_seconds": seconds,
        "effective_params": model.effective_params(),
        "epochs": config.epochs,
        "history": history,
    }
