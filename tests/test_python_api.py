"""docs/python.md runs as written, and what it prints and leaves behind is true.

The page's ``python`` blocks run in order in one namespace (as a reader pastes them); after each
block the model's state is kept, so the checks can compare the pruned masks with the trained
weights independently of the pruning code.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
import torch

DOC = Path(__file__).resolve().parents[1] / "docs" / "python.md"
METRIC_KEYS = {
    "test_acc",
    "test_loss",
    "train_acc",
    "train_seconds",
    "effective_params",
    "epochs",
    "history",
}
GATES_GRU = 3
EMBEDDING_ROWS, CLASSES = 128, 2


def blocks(language: str) -> list[str]:
    """The fenced code blocks of one language in docs/python.md, in page order."""
    return re.findall(
        rf"^```{language}\n(.*?)^```", DOC.read_text(), flags=re.MULTILINE | re.DOTALL
    )


@pytest.fixture(scope="module")
def run() -> dict:
    """Run the page's Python blocks; keep the namespace, the output and a state per block."""
    namespace: dict = {"__name__": "docs_python"}
    out = io.StringIO()
    states = []
    for code in blocks("python"):
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 — the doc's own code
        model = namespace.get("model")
        states.append(
            None if model is None else {k: v.clone() for k, v in model.state_dict().items()}
        )
    return {"ns": namespace, "out": out.getvalue(), "states": states}


def own_layers(dag: nx.DiGraph) -> list[int]:
    """Layer of each node by a second implementation: repeatedly peel the nodes whose
    predecessors all have a layer, taking 1 + the largest of theirs."""
    layer: dict = {}
    while len(layer) < dag.number_of_nodes():
        for v in dag.nodes:
            preds = list(dag.predecessors(v))
            if v not in layer and all(p in layer for p in preds):
                layer[v] = 1 + max((layer[p] for p in preds), default=-1)
    return layer


def existing_recurrent(dag: nx.DiGraph, gates: int) -> int:
    """Recurrent weights that exist: layer 0 reads the embedding densely (H0·H0), a later layer
    one weight per incoming edge, every layer H² recurrent — each once per gate."""
    layer = own_layers(dag)
    sizes = [sum(1 for v in layer if layer[v] == l) for l in range(max(layer.values()) + 1)]
    into_later = sum(1 for _u, v in dag.edges if layer[v] > 0)
    return gates * (sizes[0] ** 2 + into_later + sum(h * h for h in sizes))


def matrices(state: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(weight, mask) of every recurrent matrix in a state dict; an unmasked one gets ones."""
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"(layers\.\d+\.weight_(?:ih|hh)_l0)(_orig)?", key)
        if m:
            mask = state.get(f"{m.group(1)}_mask", torch.ones_like(value))
            out[m.group(1)] = (value, mask)
    return out


def test_page_has_the_blocks_it_describes():
    """Four Python blocks (graph, training, pruning, retraining) and one output block."""
    assert len(blocks("python")) == 4
    assert len(blocks("text")) == 1


def test_printed_output_matches_the_page(run):
    """The output block is what the code prints; only the 3-decimal accuracies may differ."""
    (shown,) = blocks("text")
    for got, want in zip(run["out"].splitlines(), shown.splitlines(), strict=True):
        pattern = r"[01]\.\d{3}".join(re.escape(part) for part in re.split(r"\d\.\d{3}", want))
        assert re.fullmatch(pattern, got), (got, want)


def test_metrics_are_complete_and_sane(run):
    """fit's metrics have every documented key, accuracies in [0, 1], one record per epoch."""
    ns = run["ns"]
    metrics, config = ns["metrics"], ns["config"]
    assert set(metrics) == METRIC_KEYS
    assert 0.0 <= metrics["test_acc"] <= 1.0 and 0.0 <= metrics["train_acc"] <= 1.0
    assert metrics["test_loss"] > 0 and metrics["train_seconds"] > 0
    assert metrics["epochs"] == config.epochs == len(metrics["history"])
    for acc in (ns["pruned"]["acc"], ns["retrained"]["test_acc"]):
        assert 0.0 <= acc <= 1.0


def test_effective_params_match_the_closed_form(run):
    """476 = embedding + existing recurrent weights + readout, counted from the DAG alone."""
    ns = run["ns"]
    dag = ns["dag"]
    layer = own_layers(dag)
    h0 = sum(1 for v in layer if layer[v] == 0)
    last = sum(1 for v in layer if layer[v] == max(layer.values()))
    expected = EMBEDDING_ROWS * h0 + existing_recurrent(dag, GATES_GRU) + last * CLASSES
    assert ns["metrics"]["effective_params"] == ns["before"] == expected == 476


def test_pruning_removes_the_stated_fraction(run):
    """Exactly round(amount · existing) recurrent weights are masked, as printed (45 of 90)."""
    ns = run["ns"]
    existing = existing_recurrent(ns["dag"], GATES_GRU)
    after_prune = run["states"][2]
    kept = sum(int(mask.sum()) for _w, mask in matrices(after_prune).values())
    removed = existing - kept
    assert existing == 90
    assert removed == round(ns["amount"] * existing) == ns["before"] - ns["after"] == 45
    assert f"pruned {removed} of the recurrent weights" in run["out"]


def test_magnitude_pruning_removed_the_smallest_trained_weights(run):
    """The masked weights are the smallest |w| of the trained model, over all matrices at once."""
    trained, after_prune = matrices(run["states"][1]), matrices(run["states"][2])
    values, removed = [], []
    for key, (weight, structure) in trained.items():
        exists = structure.bool()
        values.append(weight[exists].abs())
        removed.append(after_prune[key][1][exists] == 0)
    values, removed = torch.cat(values), torch.cat(removed)
    smallest = torch.zeros_like(removed)
    smallest[values.argsort()[: int(removed.sum())]] = True
    assert torch.equal(removed, smallest)


def test_retraining_keeps_pruned_weights_at_zero(run):
    """After retraining, the masks are unchanged and every pruned weight computes as zero."""
    model = run["ns"]["model"]
    after_prune, retrained = matrices(run["states"][2]), matrices(run["states"][3])
    for key, (weight, mask) in retrained.items():
        assert torch.equal(mask, after_prune[key][1])
        module = model.get_submodule(key.rsplit(".", 1)[0])
        used = getattr(module, key.rsplit(".", 1)[1])
        assert torch.all(used[mask == 0] == 0)
        assert torch.all((weight * mask)[mask == 0] == 0)
    assert model.effective_params() == run["ns"]["after"]


def test_exports_are_the_library_objects():
    """Every name in randrnn.__all__ is the object its module defines; unknown names fail."""
    import importlib

    import randrnn

    for name, module in randrnn._EXPORTS.items():
        assert getattr(randrnn, name) is getattr(importlib.import_module(module), name)
    assert set(randrnn.__all__) == {"__version__", *randrnn._EXPORTS}
    assert set(randrnn._EXPORTS) <= set(dir(randrnn))
    with pytest.raises(AttributeError, match="no_such_name"):
        randrnn.no_such_name  # noqa: B018


def test_import_randrnn_stays_cheap():
    """`import randrnn` loads none of torch, networkx, pandas (the CLI's start-up stays fast)."""
    code = "import sys, randrnn; print(sorted({'torch','networkx','pandas'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# docs/method.md's worked examples are checked here too, so that page stays true as well.
METHOD = DOC.with_name("method.md")


def test_method_encoded_string_is_what_encode_gives():
    """§2.2: the 'code' row is the ASCII of the letters, as `encode` gives, and the walk is valid."""
    from randrnn.reber import encode, is_reber

    text = METHOD.read_text()
    letters = re.search(r"^letter {2,}(.+)$", text, re.MULTILINE).group(1).split()
    codes = [int(c) for c in re.search(r"^code {2,}(.+)$", text, re.MULTILINE).group(1).split()]
    word = "".join(letters)
    assert word == "BTSSSXXTVPXVVE" and is_reber(word)
    assert codes == [ord(ch) for ch in word] == encode([word])[0][0].tolist()
    assert not is_reber("BPTTTVPXTTTTTTVPXTVE")


def test_method_worked_model_counts():
    """§4.2: 300 GRU weights (RNN 272, LSTM 314), by closed form and by the built model."""
    from randrnn import build_model, to_dag

    text = " ".join(METHOD.read_text().split())
    assert "300 weights exist (RNN: 272, LSTM: 314)" in text
    g = nx.Graph()
    g.add_nodes_from(range(4))  # node order 0..3, as the page says
    g.add_edges_from([(0, 2), (0, 3), (1, 2), (2, 3)])
    dag = to_dag(g)
    assert sorted(dag.edges) == [(0, 2), (0, 3), (1, 2), (2, 3)]
    for cell, gates, expected in (("rnn_tanh", 1, 272), ("gru", 3, 300), ("lstm", 4, 314)):
        closed = EMBEDDING_ROWS * 2 + existing_recurrent(dag, gates) + 1 * CLASSES
        assert closed == build_model(dag, cell, seed=0).effective_params() == expected
