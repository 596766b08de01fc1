"""The model is exactly the graph: one unit per node, one input weight per edge and gate."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from randrnn.callbacks import Callbacks, Step
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import layer_index, to_dag
from randrnn.graphs.generate import generate_graph
from randrnn.models.cells import CELLS, get_cell, parse_cells
from randrnn.models.graph_rnn import build_model, dense_dag, plan_model
from randrnn.models.params import structural_params
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig
from randrnn.training.loop import fit

SPEC_DAG = nx.DiGraph([(0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4)])


def sample_dags() -> list[nx.DiGraph]:
    """The example of docs/method.md §3 plus a WS and a BA thesis graph (skip edges galore)."""
    ws = generate_graph("ws", 0, 7, nodes=(12, 12))["graph"]
    ba = generate_graph("ba", 1, 7, nodes=(20, 20))["graph"]
    return [SPEC_DAG, to_dag(ws), to_dag(ba)]


def random_data(n: int = 64, length: int = 9, seed: int = 0) -> Encoded:
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, length + 1, (n,), generator=gen)
    codes = torch.randint(1, 128, (n, length), generator=gen)
    codes[torch.arange(length)[None, :] >= lengths[:, None]] = 0
    return Encoded(codes, lengths, torch.randint(0, 2, (n,), generator=gen))


def test_spec_example_plan():
    """docs/method.md §3 example: layers [0,1],[2],[3],[4]; node 3 reads nodes 1 and 2 only."""
    plan = plan_model(SPEC_DAG)
    assert plan.units == (0, 1, 2, 3, 4)
    assert plan.layer_sizes == (2, 1, 1, 1)
    assert plan.source_layers == ((), (0,), (0, 1), (1, 2))
    assert plan.masks[2].tolist() == [[0.0, 1.0, 1.0]]  # inputs: units 0, 1, 2
    assert plan.readout_units == (4,)


@pytest.mark.parametrize("dag", sample_dags(), ids=["spec", "ws", "ba"])
def test_one_unit_per_node(dag):
    """Every graph node is exactly one recurrent unit, in its own layer."""
    model = build_model(dag, "gru", seed=0)
    assert sorted(model.units) == sorted(dag.nodes)
    index = layer_index(dag)
    offsets = model.plan.offsets
    for layer, size in enumerate(model.layer_sizes):
        for unit in range(offsets[layer], offsets[layer] + size):
            assert index[model.units[unit]] == layer
        assert model.layers[layer].hidden_size == size


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("dag", sample_dags(), ids=["spec", "ws", "ba"])
def test_gate_preactivations_see_exactly_predecessors(cell, dag):
    """Perturbing a node's output changes a unit's gate pre-activations iff it is a predecessor."""
    model = build_model(dag, cell, seed=1)
    gates = get_cell(cell).gates
    plan = model.plan
    offsets = plan.offsets
    for layer in range(1, len(plan.layer_sizes)):
        weight = model.layers[layer].weight_ih_l0.detach()  # effective (masked) weights
        inputs = plan.layer_inputs(layer)
        hidden = plan.layer_sizes[layer]
        base = torch.randn(len(inputs))
        for col, source_unit in enumerate(inputs):
            bumped = base.clone()
            bumped[col] += 1.0
            change = weight @ bumped - weight @ base  # every gate row of every unit
            for i in range(hidden):
                node = plan.units[offsets[layer] + i]
                is_pred = dag.has_edge(plan.units[source_unit], node)
                rows = [g * hidden + i for g in range(gates)]
                changed = (change[rows].abs() > 0).tolist()
                assert changed == [is_pred] * gates, (layer, node, plan.units[source_unit])


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("dag", sample_dags(), ids=["spec", "ws", "ba"])
def test_effective_params_count_edges(cell, dag):
    """The built model's unmasked weights are the count `structural_params` gives unbuilt."""
    model = build_model(dag, cell, seed=0)
    count = structural_params(model.layer_sizes, dag.number_of_edges(), get_cell(cell).gates)
    assert model.effective_params() == count


@pytest.mark.parametrize("cell", list(CELLS))
def test_masked_weight_is_inert(cell):
    """End to end: a weight behind the mask (no edge 0→3) has no effect on any logit."""
    model = build_model(SPEC_DAG, cell, seed=2)
    data = random_data(8)
    with torch.no_grad():
        before = model(data.codes, data.lengths)
        model.layers[2].weight_ih_l0_orig[:, 0] += 5.0  # layer 2 = node 3; column 0 = node 0
        after = model(data.codes, data.lengths)
        model.layers[2].weight_ih_l0_orig[:, 1] += 5.0  # column 1 = node 1: a real edge 1→3
        changed = model(data.codes, data.lengths)
    assert torch.equal(before, after)
    if cell != "rnn_relu":  # a ReLU unit may be inactive on every input, hiding a real edge
        assert not torch.allclose(before, changed)


@pytest.mark.parametrize("cell", list(CELLS))
def test_masked_weights_get_no_gradient_and_stay_zero(cell):
    """Masked input weights have zero gradient and remain zero through Adam steps."""
    dag = sample_dags()[1]
    model = build_model(dag, cell, seed=3)
    grads = []

    def watch(event: Step) -> None:
        for layer in event.model.layers:
            grads.append((layer.weight_ih_l0_orig.grad.clone(), layer.weight_ih_l0_mask))

    data = random_data(96)
    hooks = Callbacks().add_callback("step", watch)
    fit(model, data, data, TrainConfig(epochs=2, batch_size=32), callbacks=hooks)
    assert grads
    for grad, mask in grads:
        assert torch.all(grad[mask == 0] == 0)
    for layer in model.layers:
        assert torch.all(layer.weight_ih_l0[layer.weight_ih_l0_mask == 0] == 0)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("readout", ["last", "sinks"])
def test_padding_does_not_change_logits(cell, readout):
    """Padding a batch with more zero steps leaves every string's logits unchanged."""
    model = build_model(sample_dags()[2], cell, seed=4, readout=readout)
    data = random_data(16, length=7)
    padded = torch.cat([data.codes, torch.zeros(16, 11, dtype=torch.long)], dim=1)
    with torch.no_grad():
        short = model(data.codes, data.lengths)
        long = model(padded, data.lengths)
    torch.testing.assert_close(short, long, rtol=0, atol=1e-6)


def test_logits_read_at_true_last_step():
    """The output of a string equals the output of the same string alone, unpadded."""
    model = build_model(sample_dags()[1], "lstm", seed=5)
    data = random_data(6, length=8)
    with torch.no_grad():
        batch = model(data.codes, data.lengths)
        for row in range(6):
            n = int(data.lengths[row])
            alone = model(data.codes[row : row + 1, :n], data.lengths[row : row + 1])
            torch.testing.assert_close(batch[row], alone[0], rtol=0, atol=1e-6)


def test_sink_readout_reads_every_sink():
    """readout='sinks' reads every node without successors, also those before the last layer."""
    dag = nx.DiGraph([(0, 1), (1, 2), (0, 3)])  # node 3 is a dead end in layer 1
    last = plan_model(dag, "last")
    assert [last.units[u] for u in last.readout_units] == [2]
    plan = plan_model(dag, "sinks")
    assert sorted(plan.units[u] for u in plan.readout_units) == [2, 3]
    model = build_model(dag, "gru", seed=0, readout="sinks")
    assert model.readout.in_features == 2


def test_seeded_and_global_rng_untouched():
    """Same seed → same weights; building a model does not move the global random state."""
    dag = sample_dags()[1]
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a = build_model(dag, "gru", seed=9)
    b = build_model(dag, "gru", seed=9)
    assert torch.rand(1) == expected
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), name
    c = build_model(dag, "gru", seed=10)
    assert not torch.equal(a.embedding.weight, c.embedding.weight)


def test_initialisation_bounds():
    """Recurrent weights are uniform in ±1/√H with H the layer's size (PyTorch's default)."""
    model = build_model(dense_dag([5, 20]), "lstm", seed=0)
    for layer in model.layers:
        bound = layer.hidden_size**-0.5
        assert layer.weight_hh_l0.abs().max() <= bound
        assert layer.weight_ih_l0_orig.abs().max() <= bound


def test_dense_dag_is_a_stacked_network():
    """dense_dag([50,50,50]) gives the pruning base model: three dense layers of 50."""
    model = build_model(dense_dag([50, 50, 50]), "gru", seed=0)
    assert model.layer_sizes == (50, 50, 50)
    assert model.embedding.weight.shape == (128, 50)
    assert all(bool(layer.weight_ih_l0_mask.all()) for layer in model.layers)
    assert model.readout.in_features == 50


def test_unknown_names_fail_once():
    """Unknown cells and readouts are clear errors listing the known names."""
    with pytest.raises(
        RandRNNError, match="^unknown cell 'transformer'; known: rnn_tanh, rnn_relu, lstm, gru$"
    ):
        get_cell("transformer")
    with pytest.raises(RandRNNError, match="^unknown readout 'middle'; known: last, sinks$"):
        plan_model(SPEC_DAG, "middle")
    assert parse_cells("GRU, lstm,gru") == ["gru", "lstm"]


@pytest.mark.parametrize("cell", list(CELLS))
def test_load_leaves_pruned_weights_current(cell):
    """After load_state_dict every pruned weight equals the loaded orig × mask (the structural
    i2h masks and a later h2h pruning alike), before any forward pass."""
    from torch.nn.utils import prune

    dag = sample_dags()[1]
    source, target = build_model(dag, cell, seed=5), build_model(dag, cell, seed=6)
    for model in (source, target):
        for layer in model.layers:
            prune.l1_unstructured(layer, "weight_hh_l0", amount=0.3)
    target.load_state_dict(source.state_dict())
    for mine, theirs in zip(target.layers, source.layers):
        for name in ("weight_ih_l0", "weight_hh_l0"):
            expected = getattr(theirs, f"{name}_orig") * getattr(theirs, f"{name}_mask")
            assert torch.equal(getattr(mine, name), expected)


def test_torch_pruning_after_load_ranks_loaded_weights():
    """torch's own l1 pruning on a freshly loaded model keeps the largest *loaded* |w|."""
    from torch.nn.utils import prune

    dag = sample_dags()[2]
    source, target = build_model(dag, "gru", seed=7), build_model(dag, "gru", seed=8)
    target.load_state_dict(source.state_dict())
    layer = target.layers[1]
    prune.l1_unstructured(layer, "weight_ih_l0", amount=0.5)
    loaded = (source.layers[1].weight_ih_l0_orig * source.layers[1].weight_ih_l0_mask).abs()
    existing = source.layers[1].weight_ih_l0_mask > 0
    kept = layer.weight_ih_l0_mask > 0
    # every kept connection is at least as large as every pruned existing one
    assert loaded[kept].min() >= loaded[existing & ~kept].max()
