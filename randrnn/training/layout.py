"""Where every model's units and input pairs sit in a pack's tensors (shared by the engines).

A model's units are numbered globally (layer 0 first); a unit's inputs are *pairs* (delay d,
unit j): unit j's output d steps back in the wavefront (`randrnn.training.wavefront`). The pack
pads every model to N units (unit N − 1 is always zero: padding pairs and readouts point at it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from randrnn.models.graph_rnn import GraphRNN


@dataclass(frozen=True)
class Layout:
    """Where every model's units and inputs sit in the packed tensors (see `wavefront`)."""

    g: int  # models in the pack
    n: int  # units per model, padded; unit n − 1 is always zero
    depth: int  # layers of the deepest model
    max_delay: int  # largest layer distance of an edge (rows of zero past kept in the states)
    delay: torch.Tensor  # (G, 1, P) delay of each input pair
    unit: torch.Tensor  # (G, 1, P) unit of each input pair
    layer: torch.Tensor  # (G, N) layer of each unit; padding units: depth + 1 (never start)
    active: list[torch.Tensor]  # per step s < depth, then for all later steps: (G, 1, N) 0/1
    read_layer: torch.Tensor  # (G, 1, R) layer of each readout unit
    read_unit: torch.Tensor  # (G, 1, R) each readout unit

    def steps(self, length: int) -> int:
        """Wavefront steps for strings of this padded length."""
        return length + self.depth - 1

    def _offset(self, b: int, row: torch.Tensor, unit: torch.Tensor) -> torch.Tensor:
        """Flat offsets into states (rows, G, B, N) of (row, model, string, unit)."""
        model = torch.arange(self.g).view(-1, 1, 1) * (b * self.n)
        string = torch.arange(b).view(1, -1, 1) * self.n
        return row * (self.g * b * self.n) + model + string + unit

    def pair_index(self, b: int) -> torch.Tensor:
        """(G, B, P) offsets of every input pair at step 0 (add s·G·B·N for step s)."""
        return self._offset(b, self.max_delay - self.delay, self.unit)

    def readout_index(self, lengths: torch.Tensor) -> torch.Tensor:
        """(G, B, R) offsets of each readout unit at each string's true last step."""
        b = lengths.shape[0]
        row = self.max_delay - 1 + lengths.view(1, b, 1) + self.read_layer
        return self._offset(b, row, self.read_unit)


@dataclass(frozen=True)
class Wiring:
    """One model's units and input pairs."""

    layer_of: list[int]  # layer of each global unit
    offsets: list[int]  # global index of each layer's first unit
    pairs: dict[tuple[int, int], int]  # (delay, unit) → pair index; (1, j) is pair j


def wiring(model: GraphRNN, recurrence_in_pairs: bool) -> Wiring:
    """Units and input pairs of a model. With ``recurrence_in_pairs`` (RNN, LSTM) the delay-1
    pair of every unit comes first (pair j is unit j): it carries the layer's own recurrence."""
    plan = model.plan
    layer_of = [l for l, size in enumerate(plan.layer_sizes) for _ in range(size)]
    pairs = {(1, j): j for j in range(len(layer_of))} if recurrence_in_pairs else {}
    for l in range(1, len(plan.layer_sizes)):
        used = ih(model.layers[l])[1].any(0).tolist()  # input columns with any weight left
        for col, unit in enumerate(plan.layer_inputs(l)):
            if used[col]:
                pairs.setdefault((l - layer_of[unit], unit), len(pairs))
    return Wiring(layer_of, plan.offsets, pairs)


def ih(layer) -> tuple[torch.Tensor, torch.Tensor]:
    """Input weights and their mask (structure, and pruning if any)."""
    return layer.weight_ih_l0_orig, layer.weight_ih_l0_mask


def hh(layer) -> tuple[torch.Tensor, torch.Tensor]:
    """Recurrent weights and their mask (all ones unless pruned)."""
    if hasattr(layer, "weight_hh_l0_orig"):
        return layer.weight_hh_l0_orig, layer.weight_hh_l0_mask
    return layer.weight_hh_l0, torch.ones_like(layer.weight_hh_l0)


def make_layout(models: Sequence[GraphRNN], wirings: Sequence[Wiring]) -> Layout:
    g = len(models)
    n = -(-(max(len(w.layer_of) for w in wirings) + 1) // 8) * 8  # whole SIMD vectors
    zero = n - 1
    depth = max(len(m.layer_sizes) for m in models)
    width = max(1, max(len(w.pairs) for w in wirings))
    reads = max(len(m.plan.readout_units) for m in models)
    delay, unit = torch.ones(g, 1, width, dtype=torch.long), torch.full((g, 1, width), zero)
    read_layer = torch.zeros(g, 1, reads, dtype=torch.long)
    read_unit = torch.full((g, 1, reads), zero)
    layer = torch.full((g, n), depth + 1)  # padding units never start
    for m, (model, wired) in enumerate(zip(models, wirings)):
        for (d, j), p in wired.pairs.items():
            delay[m, 0, p], unit[m, 0, p] = d, j
        for r, u in enumerate(model.plan.readout_units):
            read_layer[m, 0, r], read_unit[m, 0, r] = wired.layer_of[u], u
        layer[m, : len(wired.layer_of)] = torch.tensor(wired.layer_of)
    active = [(layer <= s).float().unsqueeze(1) for s in range(depth + 1)]
    return Layout(g, n, depth, int(delay.max()), delay, unit, layer, active, read_layer,
                  read_unit)  # fmt: skip
