"""WAEA, the weight activity evaluation algorithm (docs/method.md §8), with every reading made explicit.

Over a window of n optimiser steps the paper records each weight ``w`` and its gradient ``g``:

    Q = mean of w over the window           I = mean of (g - mean g)² (population variance)
    Filter(x) = exp(-(x - μ)² / (2σ²)) / √(2πσ)
    Activity = α · Filter(Q) + (1 - α) · I           the least active weights are dropped

The paper leaves open what the filter reads, μ, σ, the window and the scale of the two terms
(Filter ≈ 1 while gradient variances are ≈ 1e-6, so without normalisation α barely matters).
`WaeaOptions` holds each choice with its default; the options are stored with every result.

Two readings of the filter (``reading``):

- ``signed`` (default, the literal eq. (2)): x = Q, μ and σ the mean and standard deviation of
  the signed Q. Trained weights are centred near 0, so the filter is highest for the smallest
  weights and lowest for both the most negative and the most positive ones: this reading drops
  the weights of *largest magnitude* first (activity and |w| are strongly negatively rank
  correlated; `magnitude_correlation` measures it).
- ``magnitude``: x = |Q|, μ and σ those of |Q|. The filter peaks at the typical magnitude and
  is low at both tails — too-small and too-large weights — which the paper also calls abnormal.

The statistics are accumulated online (Welford) by `WaeaRecorder`, a training-loop callback, so
no step is stored. The recorded weight is the value after the optimiser step and the gradient is
the clipped one the step used (the paper's Algorithm 1 records both after the update).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from scipy import stats
from torch import nn

from randrnn.callbacks import Step
from randrnn.errors import RandRNNError, check_name
from randrnn.pruning.criteria import GATES, WeightRef, select_weights

READINGS = ("signed", "magnitude")  # what the filter reads: Q, or |Q| (see the module docstring)
FILTER_STATS = ("matrix", "global")
CENTERS = ("mean", "zero")
NORMALIZE = ("minmax", "rank", "none")


@dataclass(frozen=True)
class WaeaOptions:
    """Every interpretation of WAEA the paper leaves open, with its default.

    Defaults: ``reading="signed"`` because it is the paper's eq. (2) as written (the filter on
    the signed weights, "the minimum and maximum weights will be filtered out"), so the default
    reproduces the paper; ``"magnitude"`` is the other reading. ``normalize="rank"`` because it
    is the only scale under which α changes which weights go: on an LSTM 3×50 base (trained 20
    epochs on 4,000 strings) the sets pruned at 50 % with α = 0.3 and α = 0.9 overlap 64 % under
    rank, 98 % under min-max and 100 % without normalisation (min-max leaves the gradient term
    at a median of 2e-4).

    The drop scope (least active per matrix or over all selected matrices) is the protocol's
    ``scope`` option (default ``global``, as the thesis' magnitude threshold), stored with it.
    """

    alpha: float = 0.3  # weight of Filter(Q); 1 - alpha weights I. The paper's best: 0.3
    # "signed": Filter on Q with μ, σ of Q (eq. (2) as written; drops the largest |w| first);
    # "magnitude": Filter on |Q| with μ, σ of |Q| (drops the smallest and the largest |w|)
    reading: str = "signed"
    window_steps: int | None = None  # None: the last epoch of base training; N: N extra steps
    filter_stats: str = "matrix"  # μ, σ from each matrix's values ("global": all selected)
    center: str = "mean"  # "mean": μ as above; "zero": μ = 0 (filter favours small |w|)
    # "rank": Filter(Q) and I each replaced by their rank among the matrix's existing weights,
    # scaled to [0, 1], so α weighs two uniform terms; "minmax": each min-max scaled to [0, 1]
    # per matrix (gradient variances are so skewed that I stays near 0 and α barely matters);
    # "none": the raw terms (Filter ≈ 1 against I ≈ 1e-8: α does not matter)
    normalize: str = "rank"

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise RandRNNError(f"WAEA alpha must be in [0, 1], got {self.alpha}")
        if self.window_steps is not None and self.window_steps < 2:
            raise RandRNNError("WAEA window needs at least 2 steps (a variance of one is 0)")
        for name, known in (
            ("reading", READINGS),
            ("filter_stats", FILTER_STATS),
            ("center", CENTERS),
            ("normalize", NORMALIZE),
        ):
            check_name(f"WAEA {name}", getattr(self, name), known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Welford:
    """Running mean and population variance of a tensor stream (float64), one update per step."""

    def __init__(self, shape: torch.Size) -> None:
        self.n = 0
        self.mean = torch.zeros(shape, dtype=torch.float64)
        self.m2 = torch.zeros(shape, dtype=torch.float64)

    def update(self, x: torch.Tensor) -> None:
        x = x.detach().to(torch.float64)
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    @property
    def variance(self) -> torch.Tensor:
        """Population variance (denominator n), as the paper's I."""
        return self.m2 / max(self.n, 1)


class WaeaRecorder:
    """Training callback: online statistics of every recurrent weight matrix over a window.

    Records the steps ``first_step .. last_step`` (1-based, inclusive; ``None`` = no end).
    ``Q`` is the running mean of the weight, ``I`` the running variance of its gradient.
    As a `loop.fit` callback it reads the model's own tensors; `PackRecorders` feeds one per
    model from the packed tensors of `engine.train_many` (the same numbers).
    """

    def __init__(self, first_step: int = 1, last_step: int | None = None) -> None:
        self.first_step = first_step
        self.last_step = last_step
        self.weights: dict[str, Welford] = {}
        self.grads: dict[str, Welford] = {}

    def wants(self, step: int) -> bool:
        """Whether ``step`` lies in the window."""
        return step >= self.first_step and (self.last_step is None or step <= self.last_step)

    def record(self, weights: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> None:
        """Add one step: each matrix (by `WeightRef` key) after the update, and its gradient."""
        for key, value in weights.items():
            if key not in self.weights:
                self.weights[key] = Welford(value.shape)
                self.grads[key] = Welford(value.shape)
            self.weights[key].update(value)
            self.grads[key].update(grads[key])

    def on_step(self, event: Step) -> None:
        """The ``"step"`` callback of `loop.fit`: record the model's matrices if in the window."""
        if not self.wants(event.step):
            return
        refs = select_weights(event.model, "both")
        weights = {ref.key: ref.param() for ref in refs}
        grads = {
            ref.key: ref.param().grad if ref.param().grad is not None else torch.zeros_like(w)
            for ref, w in zip(refs, weights.values())
        }
        self.record(weights, grads)

    @property
    def steps(self) -> int:
        return next(iter(self.weights.values())).n if self.weights else 0

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Plain tensors (saved with torch.save, loaded with weights_only=True)."""
        out = {"steps": torch.tensor(self.steps)}
        for key in self.weights:
            out[f"{key}.Q"] = self.weights[key].mean
            out[f"{key}.I"] = self.grads[key].variance
        return out


class PackRecorders:
    """`engine.train_many` callback: a `WaeaRecorder` per model, fed from the packed tensors.

    ``on_step`` (the ``"step"`` callback) reads each model's matrices and their (clipped) gradients out of the
    pack (`PackedModels.matrices`), which are what the model trained alone with `loop.fit` holds
    at that step; so a base model trained in a pack gets the statistics it would get alone.
    """

    def __init__(self, models: list[nn.Module], first_step: int = 1, last_step: int | None = None):
        self.recorders = {id(model): WaeaRecorder(first_step, last_step) for model in models}

    def of(self, model: nn.Module) -> WaeaRecorder:
        """The recorder of one model."""
        return self.recorders[id(model)]

    def on_step(self, event: Step) -> None:
        pack = event.model
        for m, model in enumerate(pack.models):
            recorder = self.recorders.get(id(model))
            if recorder is not None and recorder.wants(event.step):
                recorder.record(pack.matrices(m), pack.matrices(m, grad=True))


def split_state(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(Q, I) per matrix key from a `WaeaRecorder.state_dict`."""
    q = {k[:-2]: v for k, v in state.items() if k.endswith(".Q")}
    i = {k[:-2]: v for k, v in state.items() if k.endswith(".I")}
    return q, i


def gaussian_filter(q: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    """The paper's Filter(Q) = exp(-(Q-μ)²/(2σ²)) / √(2πσ) (its √(2πσ), not σ√(2π))."""
    sigma = max(sigma, 1e-12)
    return torch.exp(-((q - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma)


def _minmax(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Scale the kept entries of x to [0, 1] (constant → 0)."""
    values = x[keep]
    if values.numel() == 0:
        return torch.zeros_like(x)
    low, high = values.min(), values.max()
    span = high - low
    return torch.zeros_like(x) if span <= 0 else (x - low) / span


def _rank(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Replace the kept entries of x by their rank scaled to [0, 1] (ties in index order)."""
    out = torch.zeros_like(x)
    values = x[keep]
    if values.numel() < 2:
        return out
    ranks = torch.empty_like(values)
    ranks[values.argsort(stable=True)] = torch.arange(values.numel(), dtype=x.dtype)
    out[keep] = ranks / (values.numel() - 1)
    return out


SCALERS = {"minmax": _minmax, "rank": _rank}


def activity(
    q: dict[str, torch.Tensor],
    i: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    options: WaeaOptions = WaeaOptions(),
) -> dict[str, dict[str, torch.Tensor]]:
    """The activity of every entry of each matrix in ``masks`` (keys as `WeightRef.key`).

    ``masks`` mark the existing connections; statistics (μ, σ, min, max) use only those.
    The filter reads Q (``reading="signed"``) or |Q| (``"magnitude"``). Returns ``{key: {"activity", "filter", "grad_var"}}`` (filter and activity after any
    normalisation; grad_var raw).
    """
    keep = {key: masks[key] > 0 for key in masks}
    read = {key: q[key].abs() if options.reading == "magnitude" else q[key] for key in masks}
    if options.filter_stats == "global":
        pooled = torch.cat([read[key][keep[key]] for key in masks])
        shared = (float(pooled.mean()), float(pooled.std(correction=0)))
    out = {}
    for key in masks:
        values = read[key][keep[key]]
        if options.filter_stats == "global":
            mu, sigma = shared
        else:
            mu, sigma = float(values.mean()), float(values.std(correction=0))
        if options.center == "zero":
            mu = 0.0
        filt = gaussian_filter(read[key], mu, sigma)
        grad_var = i[key]
        scale = SCALERS.get(options.normalize)
        if scale is not None:
            f_term, i_term = scale(filt, keep[key]), scale(grad_var, keep[key])
        else:
            f_term, i_term = filt, grad_var
        score = options.alpha * f_term + (1 - options.alpha) * i_term
        out[key] = {"activity": score.float(), "filter": f_term, "grad_var": grad_var}
    return out


def magnitude_correlation(
    q: dict[str, torch.Tensor],
    i: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    options: WaeaOptions = WaeaOptions(),
) -> float:
    """Spearman rank correlation between activity and |Q| over the existing weights of the
    matrices in ``masks``, pooled (what a global drop ranks); NaN if either is constant.

    Negative: WAEA drops large weights first (the ``signed`` reading); near 0: its ranking is
    unrelated to magnitude; positive: it drops small weights first, like magnitude pruning.
    """
    parts = activity(q, i, masks, options)
    keep = {key: masks[key] > 0 for key in masks}
    act = torch.cat([parts[key]["activity"][keep[key]].double() for key in masks]).numpy()
    size = torch.cat([q[key][keep[key]].abs().double() for key in masks]).numpy()
    if act.size < 2 or act.min() == act.max() or size.min() == size.max():
        return float("nan")
    return float(stats.spearmanr(act, size).statistic)


def gate_activity(
    parts: dict[str, dict[str, torch.Tensor]], masks: dict[str, torch.Tensor], cell: str
) -> dict[str, dict[str, dict[str, float]]]:
    """Mean activity, filter and gradient variance per weight set and gate, over all layers.

    ``{"activity": {"i2h": {"input": 0.41, ...}, "h2h": {...}}, "filter": ..., "grad_var": ...}``
    — the numbers behind the paper's claim that LSTM input-gate weights are the least active.
    """
    gates = GATES.get(cell, ("hidden",))
    sums: dict[str, dict[str, dict[str, list[float]]]] = {}
    for key, part in parts.items():
        kind = key.split(".", 1)[1]
        mask = masks[key] > 0
        rows = mask.shape[0] // len(gates)
        for quantity, values in part.items():
            for g, gate in enumerate(gates):
                block = slice(g * rows, (g + 1) * rows)
                chosen = values[block][mask[block]].double()
                acc = sums.setdefault(quantity, {}).setdefault(kind, {}).setdefault(gate, [0.0, 0])
                acc[0] += float(chosen.sum())
                acc[1] += chosen.numel()
    return {
        quantity: {
            kind: {g: (s / n if n else float("nan")) for g, (s, n) in d.items()}
            for kind, d in kinds.items()
        }
        for quantity, kinds in sums.items()
    }


def matrix_masks(weights: list[WeightRef]) -> dict[str, torch.Tensor]:
    """The current masks of some matrices by key (the connections that exist)."""
    return {w.key: w.mask().detach().clone() for w in weights}
