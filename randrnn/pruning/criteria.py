"""Pruning criteria, one `compute_mask` each, in the `torch.nn.utils.prune` convention.

A criterion is a `torch.nn.utils.prune.BasePruningMethod`: ``compute_mask(t, default_mask)``
receives the importance scores ``t`` of the entries (the weight itself unless
``importance_scores`` are given) and returns a mask that zeroes the ``round(amount · n)``
lowest-scoring of the ``n`` entries that ``default_mask`` still keeps. A pruned tensor follows
torch's contract (``weight_orig``, ``weight_mask``, a forward pre-hook computing
``weight = weight_orig * weight_mask``), so a criterion works on any module::

    Magnitude.apply(layer, "weight_hh_l0", amount=0.5)               # one matrix
    prune.global_unstructured(pairs, Magnitude, amount=0.5)          # one threshold for all

and users can register their own criterion in ``CRITERIA``. On a graph-structured model the
structural mask is the ``default_mask``: torch's `PruningContainer` hands a method only the
entries still unpruned, so existing connections are the only ones that can go and a level is a
fraction of them.

Ties. Exactly ``round(amount · n)`` entries are pruned (Python's ``round``, as torch does), so
the requested fraction is met even when scores tie (e.g. weights that are exactly zero). Among
equal scores at the threshold, the entry that comes first in flattened order (for a global
threshold: in the order of the weight list, layer by layer, i2h before h2h) is pruned first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn
from torch.nn.utils import prune

from randrnn.errors import RandRNNError, check_name
from randrnn.models.cells import CELLS

# Weight sets a pruning run can select: PyTorch names of the recurrent layers' matrices.
TARGETS: dict[str, tuple[str, ...]] = {
    "i2h": ("weight_ih_l0",),
    "h2h": ("weight_hh_l0",),
    "both": ("weight_ih_l0", "weight_hh_l0"),
}
KINDS = {"weight_ih_l0": "i2h", "weight_hh_l0": "h2h"}
SCOPES = ("global", "layer")  # one threshold over all selected matrices, or one per matrix

# Gate names in PyTorch's gate-major row order, per cell (rows [g·H, (g+1)·H) are gate g).
GATES: dict[str, tuple[str, ...]] = {name: cell.gate_names for name, cell in CELLS.items()}


@dataclass(frozen=True, eq=False)
class WeightRef:
    """One recurrent weight matrix of a model: layer index, weight set and where it lives."""

    layer: int
    kind: str  # "i2h" | "h2h"
    module: nn.Module
    name: str  # "weight_ih_l0" | "weight_hh_l0"

    @property
    def key(self) -> str:
        """Stable name such as ``"1.h2h"`` (layer 1, hidden-to-hidden)."""
        return f"{self.layer}.{self.kind}"

    def param(self) -> nn.Parameter:
        """The trainable tensor: ``<name>_orig`` once pruned, else the weight itself."""
        orig = getattr(self.module, f"{self.name}_orig", None)
        return getattr(self.module, self.name) if orig is None else orig

    def mask(self) -> torch.Tensor:
        """The current 0/1 mask (structure and pruning); all ones if the matrix has none."""
        mask = getattr(self.module, f"{self.name}_mask", None)
        return torch.ones_like(self.param()) if mask is None else mask

    def effective(self) -> torch.Tensor:
        """The weight the model computes with: ``orig * mask``."""
        return self.param().detach() * self.mask()


def check_target(target: str) -> str:
    """Validate a target name at the edge."""
    return check_name("target", target, TARGETS)


def check_scope(scope: str) -> str:
    """Validate a scope name at the edge."""
    return check_name("scope", scope, SCOPES)


def select_weights(model: nn.Module, target: str = "both") -> list[WeightRef]:
    """The recurrent matrices of ``model.layers`` in a target, layer by layer (i2h before h2h)."""
    names = TARGETS[check_target(target)]
    return [
        WeightRef(l, KINDS[name], layer, name)
        for l, layer in enumerate(model.layers)
        for name in names
    ]


def lowest_mask(scores: torch.Tensor, default_mask: torch.Tensor, amount: float) -> torch.Tensor:
    """``default_mask`` with its ``round(amount · n)`` lowest-scoring kept entries zeroed.

    ``n`` counts the entries ``default_mask`` keeps; ties go by flattened position (stable sort).
    """
    mask = default_mask.clone().to(dtype=torch.float32)
    kept = default_mask.reshape(-1).nonzero().squeeze(1)
    k = round(amount * kept.numel())
    if k > 0:
        order = torch.argsort(scores.reshape(-1)[kept], stable=True)[:k]
        mask.view(-1)[kept[order]] = 0.0
    return mask


class Criterion(prune.BasePruningMethod):
    """Prune the ``amount`` fraction of still-unpruned entries with the lowest importance."""

    PRUNING_TYPE = "unstructured"
    name: ClassVar[str] = ""
    needs_scores: ClassVar[bool] = False  # True: the caller must pass importance_scores

    def __init__(self, amount: float) -> None:
        prune._validate_pruning_amount_init(amount)
        self.amount = amount

    def scores(self, t: torch.Tensor) -> torch.Tensor:
        """Importance of each entry of ``t`` (higher is kept)."""
        return t

    def compute_mask(self, t: torch.Tensor, default_mask: torch.Tensor) -> torch.Tensor:
        """The torch hook: zero the lowest-importance fraction of the entries still kept."""
        return lowest_mask(self.scores(t), default_mask, self.amount)


class Magnitude(Criterion):
    """The thesis' criterion: importance = |w| (a percentile threshold on the absolute weight)."""

    name = "magnitude"

    def scores(self, t: torch.Tensor) -> torch.Tensor:
        return t.abs()


class Waea(Criterion):
    """WAEA (docs/method.md §8): importance = the weight's activity, passed as ``importance_scores``.

    The activity is computed by `randrnn.pruning.waea.activity` from statistics recorded during
    training; this method only drops the least active entries.
    """

    name = "waea"
    needs_scores = True


class RandomCriterion(Criterion):
    """The control: importance drawn uniformly at random from a seeded generator."""

    name = "random"

    def __init__(self, amount: float, seed: int = 0) -> None:
        super().__init__(amount)
        self.seed = seed

    def scores(self, t: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        return torch.rand(t.shape, generator=generator)


CRITERIA: dict[str, type[Criterion]] = {c.name: c for c in (Magnitude, Waea, RandomCriterion)}


def get_criterion(name: str) -> type[Criterion]:
    """Look up a criterion by name; unknown names fail listing the known ones."""
    return CRITERIA[check_name("pruning method", name.strip().lower(), CRITERIA)]


def apply_pruning(
    weights: Sequence[WeightRef],
    criterion: str | type[Criterion],
    amount: float,
    scope: str = "global",
    scores: dict[str, torch.Tensor] | None = None,
    seed: int = 0,
) -> None:
    """Prune ``amount`` of the existing entries of ``weights`` in place (masks compose).

    ``scope="global"`` ranks all matrices together (`prune.global_unstructured`, the thesis'
    one percentile over all selected sets); ``"layer"`` ranks each matrix alone. ``scores``
    maps ``WeightRef.key`` to importance scores (required by WAEA); without them a criterion
    sees the weights the model computes with, read as ``orig * mask`` (`WeightRef.effective`)
    rather than torch's cached masked attribute, which is only refreshed by a forward pass or a
    `GraphRNN` load. ``seed`` feeds the random criterion (matrix ``i`` gets ``seed + i`` with
    ``scope="layer"``).
    """
    method = get_criterion(criterion) if isinstance(criterion, str) else criterion
    check_scope(scope)
    if method.needs_scores and scores is None:
        raise RandRNNError(f"pruning method '{method.name}' needs importance scores")
    if scores is None:
        scores = {w.key: w.effective() for w in weights}
    extra = (
        (lambda i: {"seed": seed + i}) if issubclass(method, RandomCriterion) else (lambda i: {})
    )
    if scope == "global":
        prune.global_unstructured(
            [(w.module, w.name) for w in weights],
            method,
            importance_scores={(w.module, w.name): scores[w.key] for w in weights},
            amount=float(amount),
            **extra(0),
        )
        return
    for i, w in enumerate(weights):
        importance = scores[w.key]
        method.apply(
            w.module, w.name, amount=float(amount), importance_scores=importance, **extra(i)
        )


def sparsity(model: nn.Module, structure: dict[str, torch.Tensor], cell: str) -> dict[str, object]:
    """Fraction of existing connections pruned: per weight set, per gate and per matrix.

    ``structure`` maps ``WeightRef.key`` to the structural mask before pruning (connections
    that exist at all). Keys: ``i2h``, ``h2h``, ``all`` (fractions), ``gates``
    (``{"i2h": {"input": ...}, ...}``) and ``matrices`` (``{"0.i2h": ...}``).
    """
    gates = GATES.get(cell, ("hidden",))
    kept: dict[str, list[float]] = {}
    gate_counts: dict[str, dict[str, list[float]]] = {}
    matrices = {}
    for w in select_weights(model, "both"):
        base = structure[w.key]
        now = w.mask() * base
        rows = base.shape[0] // len(gates)
        total, left = float(base.sum()), float(now.sum())
        matrices[w.key] = 1.0 - left / total if total else 0.0
        k = kept.setdefault(w.kind, [0.0, 0.0])
        k[0] += total
        k[1] += left
        for g, gate in enumerate(gates):
            block = slice(g * rows, (g + 1) * rows)
            c = gate_counts.setdefault(w.kind, {}).setdefault(gate, [0.0, 0.0])
            c[0] += float(base[block].sum())
            c[1] += float(now[block].sum())

    def frac(pair: list[float]) -> float:
        return 1.0 - pair[1] / pair[0] if pair[0] else 0.0

    out: dict[str, object] = {kind: frac(pair) for kind, pair in kept.items()}
    out["all"] = frac([sum(p[0] for p in kept.values()), sum(p[1] for p in kept.values())])
    out["gates"] = {kind: {g: frac(c) for g, c in d.items()} for kind, d in gate_counts.items()}
    out["matrices"] = matrices
    return out
