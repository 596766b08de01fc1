"""Packed pruning gives the rows of the reference path: `fit` on one pruned model at a time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
import torch

from randrnn.graphs.io import to_json
from randrnn.models.cells import CELLS
from randrnn.pruning import results
from randrnn.pruning.criteria import TARGETS, select_weights
from randrnn.pruning.packed import Cut, RetrainJob, retrain_models
from randrnn.pruning.protocol import (
    PruneSpec,
    base_config,
    base_state,
    prune_level,
    pruned_base,
    waea_statistics,
)
from randrnn.pruning.run import get_base, run_pruning
from randrnn.store import Study
from randrnn.training.loop import prepare_data

CONFIG = base_config(epochs=2, batch_size=32)
LEVELS = (30.0, 80.0)
COMPARED = ("acc_pruned", "acc_final", "loss_pruned")
EXACT = ("sparsity", "effective_params", "epochs_to_regain", "level", "target", "method")


@pytest.fixture(scope="module")
def graph() -> nx.Graph:
    """A 12-node Watts–Strogatz graph: its model has structural masks on i2h."""
    return nx.connected_watts_strogatz_graph(12, 4, 0.4, tries=10, seed=2)


@pytest.mark.parametrize("cell", list(CELLS))
def test_packed_rows_equal_fit_rows(cell: str, graph, tiny_data, tmp_path: Path) -> None:
    """Magnitude, WAEA and random × i2h, h2h, both at two levels, all retrained in one pack:
    masks identical to the reference's and accuracies after pruning and after every
    retraining epoch within 1e-5 of `fit` on each pruned model alone."""
    train, test = prepare_data(*tiny_data, CONFIG)
    with Study.create(tmp_path / "s") as study:
        (gid,) = study.add_graphs([{"generator": "ws", "graph": graph}])
        first = PruneSpec(cell, graph_id=gid, retrain_epochs=2, levels=LEVELS)
        base = get_base(study, first, CONFIG, train, test, packed=False)
        stats = waea_statistics(study, replace(first, method="waea"), base, CONFIG, None, None)
        specs = [
            replace(first, method=method, target=target)
            for method in ("magnitude", "waea", "random")
            for target in TARGETS
        ]
        cuts = tuple(Cut(spec, level) for spec in specs for level in LEVELS)
        job = RetrainJob(
            dict(base), to_json(graph), base_state(study, base), stats, cuts, CONFIG.to_dict()
        )
        models, rows = retrain_models(job, train, test)
        for cut, model, row in zip(cuts, models, rows, strict=True):
            reference = prune_level(study, cut.spec, base, CONFIG, train, test, cut.level, stats)
            alone, _, _ = pruned_base(study, cut.spec, base, cut.level, stats)
            for packed_w, alone_w in zip(select_weights(model), select_weights(alone)):
                assert torch.equal(packed_w.mask(), alone_w.mask()), (cut, packed_w.key)
            for key in COMPARED:
                assert row[key] == pytest.approx(reference[key], abs=1e-5), (cut, key)
            assert row["accs"] == pytest.approx(reference["accs"], abs=1e-5), cut
            assert len(row["accs"]) == 2
            for key in EXACT:
                assert row[key] == reference[key], (cut, key)
            assert row["gate_activity"] == reference["gate_activity"]


def test_run_pruning_packed_equals_reference(tiny_data, tmp_path: Path) -> None:
    """End to end (base model trained, levels pruned and retrained, rows stored): the packed
    default and the `fit` reference store the same base accuracy and the same rows."""
    spec = PruneSpec("gru", method="magnitude", target="both", levels=LEVELS, retrain_epochs=1,
                     hidden=(6, 6))  # fmt: skip
    tables = []
    for packed in (True, False):
        with Study.create(tmp_path / f"s{packed}") as study:
            run_pruning(study, spec, CONFIG, *tiny_data, packed=packed)
            (base,) = results.bases(study)
            tables.append((base, results.results_table(study)))
    (base_p, packed_rows), (base_f, fit_rows) = tables
    assert base_p["test_acc"] == pytest.approx(base_f["test_acc"], abs=1e-5)
    assert [h["test_acc"] for h in base_p["history"]] == pytest.approx(
        [h["test_acc"] for h in base_f["history"]], abs=1e-5
    )
    for column in ("level", "sparsity", "acc_pruned", "acc_final", "epochs_to_regain"):
        assert list(packed_rows[column]) == pytest.approx(list(fit_rows[column]), abs=1e-5)
