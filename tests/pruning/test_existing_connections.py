"""A pruning level is a fraction of the connections the graph has: on a graph model (whose
structural masks hold zeros), each matrix loses exactly round(p · existing) of its existing
connections with a per-matrix threshold, and absent connections never count."""

from __future__ import annotations

import pytest

from randrnn.graphs.dag import to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.graph_rnn import build_model
from randrnn.pruning.criteria import apply_pruning, select_weights


@pytest.mark.parametrize("criterion", ["magnitude", "random"])
@pytest.mark.parametrize("amount", [0.3, 0.6])
def test_layer_scope_prunes_a_fraction_of_the_existing(criterion: str, amount: float) -> None:
    dag = to_dag(generate_graph("ba", 2, 9, (20, 20))["graph"])
    model = build_model(dag, "lstm", seed=1)
    weights = select_weights(model, "both")
    before = [w.mask().clone() for w in weights]
    assert any((m == 0).any() for m in before)  # the structure has absent connections
    apply_pruning(weights, criterion, amount, "layer", seed=4)
    for w, structure in zip(weights, before, strict=True):
        existing = int(structure.sum())
        after = w.mask()
        assert int(after.sum()) == existing - round(amount * existing)
        assert (after[structure == 0] == 0).all()


def test_lowest_mask_counts_only_the_entries_the_default_mask_keeps() -> None:
    """Called with a default mask that has zeros (a criterion used outside torch's container,
    which otherwise hands over only the unpruned entries), n is the kept entries: of 6 kept,
    round(0.5 · 6) = 3 go, the lowest-scoring kept ones, and the absent stay absent."""
    import torch

    from randrnn.pruning.criteria import lowest_mask

    scores = torch.tensor([0.0, 5.0, 0.0, 4.0, 3.0, 0.0, 2.0, 1.0, 6.0, 0.0])
    default = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    mask = lowest_mask(scores, default, 0.5)
    assert mask.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
