"""The dense engine: a pack's recurrence as masked dense batched products, for CPU or GPU.

The wavefront (`randrnn.training.wavefront`) again: at global step s, layer l processes time
t = s − l, and a unit finds its inputs in the states of earlier steps. Instead of gathering each
unit's input pairs, every model's pairs are laid out as a dense matrix over (delay, unit): row
i·N + j of ``dense`` holds pair (d_i, j) of the delays the pack uses, zero where the model has no
such pair. A step is then one concatenation of the D states the pack reads and one batched
product (G, B, D·N) @ (G, D·N, g·N) for all G models, followed by the cell's gate arithmetic;
autograd runs the backward. Few, large kernels and no index arithmetic inside the loop: the
shape a GPU wants (the native engine, which skips every absent edge, is the CPU's).

Everything is made on the device of the pack's tensors, and nothing is read back to the host.
Counted by `bench --profile` (`randrnn.training.profiling`), it does far more work than the
graphs need (every delay × every unit of the widest model, for every model): the sparse engine
(`randrnn.training.sparse`) does the graphs' own work and is CUDA's default; this one stays as
the reference it was measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import torch

from randrnn.models.cells import Cell
from randrnn.training.wavefront import ACTIVATIONS

Tensor = torch.Tensor


@dataclass(frozen=True)
class DensePlan:
    """Where every model's pairs sit in the dense (delay, unit) rows, on the pack's device."""

    delays: tuple[int, ...]  # the pair delays the pack uses, in row-block order (1 first)
    rows: Tensor  # (G, D·N) index into the pack's pair rows, P (a zero row) where none
    depth: int
    active: tuple[Tensor, ...]  # per step s < depth, then for all later steps: (G, 1, N) 0/1
    read_layer: Tensor  # (G, R) layer of each readout unit
    read_unit: Tensor  # (G, R) each readout unit


def plan(layout, pair_counts: Sequence[int], device: torch.device | str) -> DensePlan:
    """The dense rows of a pack's layout (`engine.Layout`); ``pair_counts``: each model's real
    pairs (the rest of its P pair rows are padding)."""
    g, n = layout.g, layout.n
    width = layout.unit.shape[2]
    real = torch.arange(width).view(1, width) < torch.tensor(pair_counts).view(g, 1)
    delay, unit = layout.delay[:, 0], layout.unit[:, 0]
    delays = tuple(sorted(set(delay[real].tolist()))) or (1,)
    block = torch.zeros(max(delays) + 1, dtype=torch.long)
    block[list(delays)] = torch.arange(len(delays))
    rows = torch.full((g, len(delays) * n), width, dtype=torch.long)
    m, p = real.nonzero().unbind(1)
    rows[m, block[delay[m, p]] * n + unit[m, p]] = p
    return DensePlan(
        delays=delays,
        rows=rows.to(device),
        depth=layout.depth,
        active=tuple(a.to(device) for a in layout.active),
        read_layer=layout.read_layer[:, 0].to(device),
        read_unit=layout.read_unit[:, 0].to(device),
    )


def dense_weights(w: Tensor, rows: Tensor) -> Tensor:
    """(G, P, K) pair weights → (G, D·N, K) dense rows (zero where a model has no pair)."""
    g, _, k = w.shape
    padded = torch.cat([w, w.new_zeros(g, 1, k)], dim=1)
    return padded.gather(1, rows.unsqueeze(2).expand(g, rows.shape[1], k))


# The gate arithmetic of one step per layer kind (`Cell.layer`), autograd-friendly:
# (pre (G, B, gates·N), h_prev, c, active (G, 1, N), ah (GRU's recurrent part, else None))
# → (h, c). Columns are gate-major: gate k of unit i is column k·N + i.
StepFn = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor]]


def _gates(x: Tensor, count: int) -> tuple[Tensor, ...]:
    g, b, k = x.shape
    return x.view(g, b, count, k // count).unbind(2)


def _rnn(fn: Callable[[Tensor], Tensor]) -> StepFn:
    def step(pre, h_prev, c, active, ah):
        return fn(pre) * active, c

    return step


def _lstm(pre, h_prev, c, active, ah):
    i, f, g, o = _gates(pre, 4)
    c = (f.sigmoid() * c + i.sigmoid() * g.tanh()) * active
    return o.sigmoid() * c.tanh(), c


def _gru(pre, h_prev, c, active, ah):
    r_x, z_x, n_x = _gates(pre, 3)
    r_h, z_h, n_h = _gates(ah, 3)
    r, z = (r_x + r_h).sigmoid(), (z_x + z_h).sigmoid()
    new = (n_x + r * n_h).tanh()
    return (new + z * (h_prev - new)) * active, c


@cache
def step_fn(cell: Cell) -> StepFn:
    """The cell's step (plain PyTorch: ``RANDRNN_DENSE_COMPILE`` is gone, as torch.compile
    recompiled it for every pack shape and gave up after two)."""
    kinds: dict[str, StepFn] = {"LSTM": _lstm, "GRU": _gru}
    return kinds.get(cell.layer) or _rnn(ACTIVATIONS[cell.nonlinearity][0])


def features(
    cell: Cell,
    dense: DensePlan,
    table: Tensor,
    codes: Tensor,
    lengths: Tensor,
    w: Tensor,
    w_hh: Tensor | None,
    b_hh: Tensor | None,
) -> Tensor:
    """(G, B, R) readout features: each readout unit's output at each string's true last step.

    ``table`` (G, 128, K): layer-0 input of each code plus biases; ``w`` (G, P, K) masked pair
    weights; ``w_hh`` (G, N, K), ``b_hh`` (G, K): a recurrence kept apart (GRU), else None.
    """
    g, n = dense.rows.shape[0], dense.rows.shape[1] // len(dense.delays)
    b, length = codes.shape
    steps = length + dense.depth - 1
    weights = dense_weights(w, dense.rows)
    padded = codes.new_zeros(b, steps)  # steps past the end read code 0, as the wavefront
    padded[:, :length] = codes
    step = step_fn(cell)
    zero = table.new_zeros(g, b, n)
    history = [zero] * max(dense.delays)  # the zero past
    c = zero
    for s in range(steps):
        past = [history[-d] for d in dense.delays]
        reads = past[0] if len(past) == 1 else torch.cat(past, dim=2)
        x = table.index_select(1, padded[:, s])
        pre = torch.baddbmm(x, reads, weights)
        ah = None if w_hh is None else torch.baddbmm(b_hh.unsqueeze(1), history[-1], w_hh)
        h, c = step(pre, history[-1], c, dense.active[min(s, dense.depth)], ah)
        history.append(h)
    states = torch.stack(history[max(dense.delays) :])  # (S, G, B, N)
    at = lengths.view(1, b, 1) - 1 + dense.read_layer.unsqueeze(1)  # (G, B, R) step read
    model = torch.arange(g, device=codes.device).view(g, 1, 1)
    string = torch.arange(b, device=codes.device).view(1, b, 1)
    return states[at, model, string, dense.read_unit.unsqueeze(1)]
