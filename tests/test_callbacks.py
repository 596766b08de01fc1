"""The one callback type: events by name, plain values, and stopping by a returned flag."""

from __future__ import annotations

import math

import pytest
import torch

from randrnn.callbacks import Callbacks, Epoch, Progress, Step
from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import build_model, dense_dag
from randrnn.reber import make_dataset
from randrnn.training.config import TrainConfig
from randrnn.training.loop import evaluate, fit, prepare_data


def test_trigger_calls_each_callback_of_its_event_and_reports_a_stop() -> None:
    """Every callback of the event gets the value; the result is True if any returned True."""
    seen: list[tuple[str, object]] = []
    hooks = Callbacks().add_callback("progress", lambda p: seen.append(("a", p)))
    hooks.add_callback("progress", lambda p: seen.append(("b", p)) or p.done == p.total)
    hooks.add_callback("step", lambda s: seen.append(("step", s)))
    assert hooks.trigger_callback("progress", Progress(1, 2, "models")) is False
    assert hooks.trigger_callback("progress", Progress(2, 2, "models")) is True
    assert [name for name, _ in seen] == ["a", "b", "a", "b"]
    assert hooks.trigger_callback("epoch", Epoch(1, {})) is False  # no callback: no stop


def test_plus_leaves_the_original_unchanged_and_unknown_events_fail_once() -> None:
    """`plus` returns a new set; an unknown event name is one clear error."""
    seen: list[str] = []
    base = Callbacks().add_callback("step", lambda s: seen.append("base"))
    more = base.plus("step", lambda s: seen.append("more"))
    base.trigger_callback("step", Step(None, 1))
    more.trigger_callback("step", Step(None, 1))
    assert seen == ["base", "base", "more"]
    with pytest.raises(RandRNNError, match="unknown callback event 'steps'; known: step, epoch"):
        Callbacks().add_callback("steps", print)


def test_a_step_callback_returning_true_stops_fit_after_that_step() -> None:
    """fit stops right after the step whose callback returned True: no further update."""
    train, test = prepare_data(*make_dataset(n=200, seed=1), TrainConfig(max_train=160))
    config = TrainConfig(epochs=3, batch_size=32)  # 5 steps per epoch, 15 in all
    model = build_model(dense_dag([4]), "gru", seed=0)
    weights: list[torch.Tensor] = []
    hooks = Callbacks().add_callback("step", lambda s: weights.append(
        next(s.model.parameters()).detach().clone()) or s.step >= 7)  # fmt: skip
    metrics = fit(model, train, test, config, callbacks=hooks)
    assert len(weights) == 7
    assert torch.equal(next(model.parameters()).detach(), weights[-1])  # nothing after step 7
    assert [record["epoch"] for record in metrics["history"]] == [1]  # epoch 2 unfinished
    assert math.isnan(metrics["test_acc"]) and math.isnan(metrics["test_loss"])  # no test pass


def test_fit_run_to_the_end_is_evaluated() -> None:
    """Without a stop, fit's test numbers are evaluate's on the trained model."""
    train, test = prepare_data(*make_dataset(n=200, seed=1), TrainConfig(max_train=160))
    model = build_model(dense_dag([4]), "gru", seed=0)
    metrics = fit(model, train, test, TrainConfig(epochs=1, batch_size=32))
    assert metrics["test_acc"] == evaluate(model, test)["acc"]
