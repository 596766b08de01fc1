"""A DAG becomes a sparse recurrent network: one unit per node, one input weight per edge and gate.

Example: the DAG 0→2, 1→2, 1→3, 2→3, 2→4, 3→4 has layers [0, 1], [2], [3], [4]. The model has
an embedding 128 × 2 feeding layer 0 (units for nodes 0, 1) densely; layer 1 (node 2) reads the
concatenated outputs of layer 0; layer 2 (node 3) reads layers 0 and 1, masked so that unit 3
sees only nodes 1 and 2 (the skip edge 1→3 included); layer 3 (node 4) reads layers 1 and 2.
Every layer has full recurrence among its own units; the readout is a linear layer on the last
layer's output at each string's true last step (option: on all sink nodes).

For GRU and LSTM every gate row of a unit sees exactly that unit's inputs: PyTorch stores the
gates of a layer gate-major (rows [g·H, (g+1)·H) belong to gate g), so the node mask is tiled
once per gate block. Masks follow the `torch.nn.utils.prune` convention (`weight_ih_l0_orig`,
`weight_ih_l0_mask`), so pruning criteria compose with the structure.

A pruned tensor has three parts: the trainable ``weight_orig``, the ``weight_mask`` buffer and
the plain attribute ``weight`` = orig × mask that the layer computes with. torch recomputes the
attribute only in a forward pre-hook, so after ``load_state_dict`` (which fills orig and mask) it
would still hold the *initial* weights × mask until the next forward — and torch's pruning
methods rank that attribute. A `GraphRNN` therefore recomputes every pruned attribute right after
each load (`refresh_pruned`), so loading and then pruning ranks the loaded weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import torch
from torch import nn
from torch.nn.utils import prune

from randrnn.errors import RandRNNError, check_name
from randrnn.graphs.dag import layers as dag_layers
from randrnn.models.cells import Cell, get_cell
from randrnn.models.params import CLASSES, VOCAB

READOUTS = ("last", "sinks")


@dataclass(frozen=True)
class Plan:
    """The wiring of a model, as plain values: what every layer reads and what the readout reads.

    Units are numbered globally: layer 0's nodes first, then layer 1's, and so on.
    """

    units: tuple[Hashable, ...]  # graph node of each global unit
    layer_sizes: tuple[int, ...]
    source_layers: tuple[tuple[int, ...], ...]  # for each layer, the layers it reads (() for 0)
    masks: tuple[torch.Tensor, ...]  # for each layer, (H_l, S_l) 0/1 node mask of its input
    readout_units: tuple[int, ...]

    @property
    def offsets(self) -> list[int]:
        """Global index of each layer's first unit."""
        out, total = [], 0
        for size in self.layer_sizes:
            out.append(total)
            total += size
        return out

    def layer_inputs(self, layer: int) -> list[int]:
        """Global unit indices whose outputs, concatenated, form the input of a layer > 0."""
        offsets = self.offsets
        return [
            offsets[src] + i
            for src in self.source_layers[layer]
            for i in range(self.layer_sizes[src])
        ]


def plan_model(dag: nx.DiGraph, readout: str = "last") -> Plan:
    """Work out the layers, the input masks and the readout of the model of a DAG."""
    check_name("readout", readout, READOUTS)
    groups = dag_layers(dag)
    units = tuple(node for group in groups for node in group)
    unit_of = {node: i for i, node in enumerate(units)}
    layer_of = {node: l for l, group in enumerate(groups) for node in group}
    offsets, total = [], 0
    for group in groups:
        offsets.append(total)
        total += len(group)

    source_layers: list[tuple[int, ...]] = [()]
    masks: list[torch.Tensor] = [torch.ones(len(groups[0]), len(groups[0]))]
    for l, group in enumerate(groups[1:], start=1):
        sources = sorted({layer_of[p] for v in group for p in dag.predecessors(v)})
        columns = {}  # global unit → column in this layer's input
        for src in sources:
            for i in range(len(groups[src])):
                columns[offsets[src] + i] = len(columns)
        mask = torch.zeros(len(group), len(columns))
        for row, v in enumerate(group):
            for p in dag.predecessors(v):
                mask[row, columns[unit_of[p]]] = 1.0
        source_layers.append(tuple(sources))
        masks.append(mask)

    if readout == "last":
        readout_units = tuple(range(offsets[-1], total))
    else:
        readout_units = tuple(unit_of[v] for v in units if dag.out_degree(v) == 0)
    return Plan(
        units, tuple(len(g) for g in groups), tuple(source_layers), tuple(masks), readout_units
    )


def refresh_pruned(module: nn.Module) -> None:
    """Recompute ``name = name_orig * name_mask`` for every pruned tensor of ``module`` and its
    submodules, exactly as torch's pruning forward pre-hook does before each forward."""
    for sub in module.modules():
        for hook in list(sub._forward_pre_hooks.values()):
            if isinstance(hook, prune.BasePruningMethod):
                hook(sub, None)


def _refresh_after_load(module: nn.Module, incompatible_keys: object) -> None:
    """`load_state_dict` post-hook: loaded ``*_orig``/``*_mask`` become the computed weights."""
    refresh_pruned(module)


class GraphRNN(nn.Module):
    """The recurrent network of a DAG (see the module docstring). Built by `build_model`.

    Loading a state dict leaves every pruned weight current (``weight = orig * mask``), so a
    pruning criterion applied after a load ranks the loaded, not the initial, weights.
    """

    def __init__(self, plan: Plan, cell: Cell):
        super().__init__()
        self.plan = plan
        self.cell = cell
        sizes = plan.layer_sizes
        self.embedding = nn.Embedding(VOCAB, sizes[0])
        self.layers = nn.ModuleList()
        for l, mask in enumerate(plan.masks):
            layer = cell.make_layer(mask.shape[1], sizes[l])
            prune.custom_from_mask(layer, "weight_ih_l0", mask.repeat(cell.gates, 1))
            self.layers.append(layer)
        self.readout = nn.Linear(len(plan.readout_units), CLASSES)
        self._read_all = plan.readout_units != tuple(range(plan.offsets[-1], sum(sizes)))
        self.register_load_state_dict_post_hook(_refresh_after_load)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self.plan.layer_sizes

    @property
    def units(self) -> tuple[Hashable, ...]:
        """The graph node of each recurrent unit, in global unit order."""
        return self.plan.units

    def forward(self, codes: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (B, 2) from padded codes (B, T) read at each string's true last step."""
        outputs = []
        for l, layer in enumerate(self.layers):
            if l == 0:
                inputs = self.embedding(codes)
            else:
                inputs = torch.cat([outputs[s] for s in self.plan.source_layers[l]], dim=2)
            outputs.append(layer(inputs)[0])
        rows = torch.arange(codes.shape[0])
        last = lengths - 1
        if self._read_all:
            states = torch.cat(outputs, dim=2)[rows, last]
            features = states[:, list(self.plan.readout_units)]
        else:
            features = outputs[-1][rows, last]
        return self.readout(features)

    def effective_params(self, biases: bool = False) -> int:
        """Number of weights that are not masked out (structure and pruning); biases optional."""
        total = 0
        for name, param in self.named_parameters():
            if "bias" in name and not biases:
                continue
            if name.endswith("_orig"):
                module_path, attr = name.rsplit(".", 1)
                mask = self.get_buffer(f"{module_path}.{attr[: -len('_orig')]}_mask")
                total += int(mask.sum().item())
            else:
                total += param.numel()
        return total


def build_model(dag: nx.DiGraph, cell: str | Cell, *, seed: int, readout: str = "last") -> GraphRNN:
    """Build the sparse recurrent model of a DAG with seeded PyTorch-default initialisation.

    The global random state is left untouched: initialisation draws from a forked generator.
    """
    cell = cell if isinstance(cell, Cell) else get_cell(cell)
    plan = plan_model(dag, readout)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GraphRNN(plan, cell)


def dense_dag(layer_sizes: Sequence[int]) -> nx.DiGraph:
    """A layered DAG with every node of a layer connected to every node of the next.

    Its model is an ordinary dense stacked network (the pruning base model: ``[50, 50, 50]``).
    """
    if not layer_sizes or min(layer_sizes) < 1:
        raise RandRNNError("layer sizes must be positive, e.g. 50,50,50")
    dag = nx.DiGraph()
    start = 0
    previous: list[int] = []
    for size in layer_sizes:
        current = list(range(start, start + size))
        dag.add_nodes_from(current)
        dag.add_edges_from((u, v) for u in previous for v in current)
        previous, start = current, start + size
    return dag
