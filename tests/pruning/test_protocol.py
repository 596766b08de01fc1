"""The shared pruning protocol: levels, retraining with fixed masks, storage and resume."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
import torch

from randrnn.errors import RandRNNError
from randrnn.pruning import results
from randrnn.pruning.criteria import apply_pruning, select_weights
from randrnn.pruning.protocol import PruneSpec, base_config, load_base, parse_levels
from randrnn.pruning.run import run_pruning
from randrnn.pruning.waea import WaeaOptions
from randrnn.store import Study
from randrnn.training.loop import fit, prepare_data

CONFIG = base_config(epochs=1, batch_size=32)


def test_parse_levels() -> None:
    """Ranges include their stop; lists are sorted; out-of-range levels fail."""
    assert parse_levels("10:100:10") == tuple(float(p) for p in range(10, 101, 10))
    assert parse_levels("90,50") == (50.0, 90.0)
    with pytest.raises(RandRNNError):
        parse_levels("0:120:10")


def test_epochs_to_regain() -> None:
    """0 without a drop; else the first epoch back within tolerance; None if never."""
    assert results.epochs_to_regain(0.9, 0.895, [], 0.01) == 0
    assert results.epochs_to_regain(0.9, 0.5, [0.7, 0.891, 0.95], 0.01) == 2
    assert results.epochs_to_regain(0.9, 0.5, [0.7, 0.8], 0.01) is None


def test_masked_weights_stay_zero_through_retraining(tiny_data) -> None:
    """After pruning, retraining (fresh Adam) leaves every masked weight exactly zero."""
    from randrnn.models.graph_rnn import build_model, dense_dag

    train, test = prepare_data(*tiny_data, CONFIG)
    model = build_model(dense_dag([8, 8]), "lstm", seed=0)
    weights = select_weights(model, "both")
    apply_pruning(weights, "magnitude", 0.6, "global")
    masks = [w.mask().clone() for w in weights]
    fit(model, train, test, CONFIG)
    for w, mask in zip(weights, masks):
        assert torch.equal(w.mask(), mask)
        assert bool((getattr(w.module, w.name)[mask == 0] == 0).all())
        assert bool((w.effective()[mask == 0] == 0).all())


def test_resume_skips_finished_levels(tmp_path: Path, tiny_data) -> None:
    """A second run trains no new base model and only runs the levels not yet stored."""
    spec = PruneSpec("gru", levels=(50.0,), retrain_epochs=1, hidden=(8, 8))
    with Study.create(tmp_path / "s") as study:
        first = run_pruning(study, spec, CONFIG, *tiny_data)
        spec = PruneSpec("gru", levels=(50.0, 100.0), retrain_epochs=1, hidden=(8, 8))
        second = run_pruning(study, spec, CONFIG, *tiny_data)
        assert [r["level"] for r in first] == [50.0]
        assert [r["level"] for r in second] == [100.0]
        assert len(results.bases(study)) == 1
        assert run_pruning(study, spec, CONFIG, *tiny_data) == []
        table = results.results_table(study)
        assert sorted(table["level"]) == [50.0, 100.0]
        assert list(table["sparsity"]) == [0.5, 1.0]


def test_graph_model_from_study(tmp_path: Path, tiny_data) -> None:
    """--graph prunes a study graph's model: only its existing connections, fewer params."""
    g = nx.barabasi_albert_graph(12, 2, seed=1)
    with Study.create(tmp_path / "s") as study:
        (graph_id,) = study.add_graphs([{"generator": "ba", "graph": g}])
        spec = PruneSpec(
            "lstm", method="random", levels=(50.0,), retrain_epochs=0, graph_id=graph_id
        )
        (row,) = run_pruning(study, spec, CONFIG, *tiny_data)
        base = results.bases(study)[0]
        assert base["model"] == f"graph:{graph_id}"
        assert row["sparsity"] == pytest.approx(0.5, abs=0.01)
        assert row["effective_params"] < base["effective_params"]
        model = load_base(study, spec, base)
        assert model.effective_params() == base["effective_params"]


def test_waea_run_stores_options_and_gates(tmp_path: Path, tiny_data) -> None:
    """A WAEA run stores all its options (reading included) and the mean activity per LSTM gate."""
    spec = PruneSpec("lstm", method="waea", levels=(30.0,), retrain_epochs=0, hidden=(6, 6))
    with Study.create(tmp_path / "s") as study:
        (row,) = run_pruning(study, spec, CONFIG, *tiny_data)
        (run,) = results.runs(study)
    assert run["options"] == spec.waea.to_dict()
    assert run["options"]["reading"] == "signed" and run["options"]["normalize"] == "rank"
    assert set(run["gate_activity"]["activity"]["i2h"]) == {"input", "forget", "cell", "output"}
    assert row["sparsity"] == pytest.approx(0.3, abs=0.005)


def test_waea_step_window(tmp_path: Path, tiny_data) -> None:
    """--waea-steps N observes N extra steps on a copy; the base weights pruned are unchanged."""
    waea = WaeaOptions(window_steps=3)
    spec = PruneSpec("gru", method="waea", levels=(50.0,), retrain_epochs=0, hidden=(6,), waea=waea)
    with Study.create(tmp_path / "s") as study:
        (row,) = run_pruning(study, spec, CONFIG, *tiny_data)
        base = results.bases(study)[0]
        stats = sorted(p.name for p in (tmp_path / "s" / "checkpoints").glob("*_waea_3.pt"))
        steps = torch.load(tmp_path / "s" / "checkpoints" / stats[0], weights_only=True)["steps"]
        assert int(steps) == 3
        assert row["options"]["window_steps"] == 3
        assert row["sparsity"] == pytest.approx(0.5, abs=0.01)
        assert load_base(study, spec, base).effective_params() == base["effective_params"]


def test_waea_label_names_reading_and_other_options() -> None:
    """A WAEA label names α and the reading, plus the options that differ from the defaults;
    rows stored before readings existed read as signed."""
    options = WaeaOptions(alpha=0.9, reading="magnitude").to_dict()
    assert results.method_label("waea", options) == "waea α=0.9 magnitude"
    old = {k: v for k, v in WaeaOptions(normalize="minmax").to_dict().items() if k != "reading"}
    assert results.method_label("waea", old) == "waea α=0.3 signed (normalize=minmax)"
    assert results.method_label("magnitude", {}) == "magnitude"
