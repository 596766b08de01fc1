"""The sparse engine: a pack's recurrence over every model's own edges, for CPU or GPU.

The wavefront again (`randrnn.training.wavefront`: at global step s, layer l processes time
t = s − l), but with no padding and no dense product. The units of all models are laid out in
one flat row of U units, sorted by layer (then model), so that at step s < depth the units that
have started are a prefix of the row and later ones are never touched. A pack's weights become
an edge list: one entry per live weight (pair (delay d, unit j) → gate k of unit i), read off
the masks, so pruned weights are gone. A step is then

- three ops for the products: gather the E source states of the step's window of the state
  history (rows s … s + D − 1), scale them by their weights, add them into the gate rows;
- the cell's gate arithmetic, one op per gate block (GRU: sigmoid of r and z, ``addcmul`` and
  ``tanh`` for n, ``lerp`` for h = n + z·(h − n): 4; its recurrent part enters the edge list
  as gate rows of their own, so the GRU's two products are one).

The backward is hand-written: every derivative that does not depend on the incoming gradient
is computed for all steps at once before the loop, so that a step's gate gradients are one
product (dh times the step's coefficients; LSTM: and one ``addcmul`` for its cell) and the
same three ops carry them to the sources (GRU: its direct path h_prev → h is an edge of weight
1). Weight gradients are gathered over chunks of steps after the loop. GRU: 7 ops forward and
4 backward per step; LSTM 9 and 5; RNN 4 and 4. Everything is on the pack's device, and
nothing is read back to the host (the step prefixes are plain integers of the plan).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor

# Gate rows of each layer kind: the packed gate k of unit i goes to block BLOCKS[kind][k];
# GRU's recurrent gates (kept apart) to HH_BLOCKS. LSTM's gates are reordered i, f, o, g so
# that its three sigmoids are one block range.
BLOCKS = {"RNN": (0,), "LSTM": (0, 1, 3, 2), "GRU": (0, 1, 2)}
HH_BLOCKS = (0, 1, 3)
ROWS = {"RNN": 1, "LSTM": 4, "GRU": 4}  # gate blocks of the step's pre-activations
GRAD_ROWS = {"RNN": 1, "LSTM": 5, "GRU": 5}  # … of its gradient (LSTM: + cell, GRU: + h_prev)
CHUNK = 16  # steps per gather when the weight gradients are summed


@dataclass(frozen=True)
class SparsePlan:
    """A pack as flat units and edge lists, on the pack's device."""

    kind: str  # the layer kind: RNN, LSTM, GRU
    activation: str  # RNN: tanh or relu
    units: int  # U: real units of all models; row U of the states is always zero
    delay: int  # D: the largest delay; a step reads rows s … s + D − 1 of the states
    depth: int
    prefix: tuple[int, ...]  # units started at step s (s < depth), sorted by layer first
    layer: Tensor  # (U,) layer of each unit
    src: Tensor  # (E,) window row each edge reads: (D − d)·(U + 1) + unit
    tgt: Tensor  # (E,) gate row it adds to: block·U + unit
    back_src: Tensor  # (E + direct,) the same, with GRU's direct h_prev paths appended
    back_tgt: Tensor
    from_w: Tensor  # (E_w,) flat index into the pack's w of each edge's weight
    from_w_hh: Tensor  # (E − E_w,) … into w_hh (GRU)
    col: Tensor  # (ROWS·U,) row of the transposed code table each gate row reads
    read_layer: Tensor  # (G, R) layer of each readout unit
    read_unit: Tensor  # (G, R) its flat unit (U: the zero row)


def plan(pack, device: torch.device | str) -> SparsePlan:
    """The edge lists of a `PackedModels` (its masks, layout and wirings), on ``device``."""
    cell = pack.models[0].cell
    kind, lay = cell.layer, pack.layout
    g, n, gates = lay.g, lay.n, cell.gates
    k = gates * n
    order = sorted((layer, m, u) for m, w in enumerate(pack.wirings)
                   for u, layer in enumerate(w.layer_of))  # fmt: skip
    units = len(order)
    flat = torch.full((g, n), units, dtype=torch.long)  # padding units: the zero row
    for rank, (_, m, u) in enumerate(order):
        flat[m, u] = rank
    layer = torch.tensor([layer for layer, _, _ in order], dtype=torch.long)
    prefix = tuple(int((layer <= s).sum()) for s in range(lay.depth))
    delay = max(1, lay.max_delay)
    w_mask = pack.w_mask.detach().cpu()
    m, p, c = w_mask.ne(0).nonzero().unbind(1)
    d, j = lay.delay[m, 0, p], lay.unit[m, 0, p]
    blocks = torch.tensor(BLOCKS[kind])
    src = (delay - d) * (units + 1) + flat[m, j]
    tgt = blocks[c // n] * units + flat[m, c % n]
    from_w = (m * w_mask.shape[1] + p) * k + c
    from_w_hh = torch.zeros(0, dtype=torch.long)
    back_src, back_tgt = src, tgt
    if kind == "GRU":
        hm, hj, hc = pack.w_hh_mask.detach().cpu().ne(0).nonzero().unbind(1)
        src = torch.cat([src, (delay - 1) * (units + 1) + flat[hm, hj]])
        tgt = torch.cat([tgt, torch.tensor(HH_BLOCKS)[hc // n] * units + flat[hm, hc % n]])
        from_w_hh = (hm * n + hj) * k + hc
        every = torch.arange(units)
        back_src = torch.cat([src, (delay - 1) * (units + 1) + every])
        back_tgt = torch.cat([tgt, 4 * units + every])
    # Gate row b·U + u reads column (model, gate, unit) of the (G·K', 128) transposed table.
    rows = ROWS[kind]
    col = torch.zeros(rows * units, dtype=torch.long)
    width = k + (n if kind == "GRU" else 0)  # GRU's table gets a block for its h_n bias
    for gate in range(gates + (1 if kind == "GRU" else 0)):
        block = HH_BLOCKS[2] if gate == gates else BLOCKS[kind][gate]
        for rank, (_, mm, u) in enumerate(order):
            col[block * units + rank] = mm * width + gate * n + u
    read_unit = flat[torch.arange(g).view(g, 1), lay.read_unit[:, 0]]
    put = lambda t: t.to(device)  # noqa: E731
    return SparsePlan(kind, cell.nonlinearity, units, delay, lay.depth, prefix, put(layer),
                      put(src), put(tgt), put(back_src), put(back_tgt), put(from_w),
                      put(from_w_hh), put(col), put(lay.read_layer[:, 0]),
                      put(read_unit))  # fmt: skip


def _forward_step(plan: SparsePlan, s: int, a: int, pre: Tensor, hist: Tensor, acts, cells):
    """The gate arithmetic of step s on the first ``a`` units; writes row D + s of ``hist``."""
    d = plan.delay
    h = hist[d + s, :a]
    if plan.kind == "GRU":
        torch.sigmoid(pre[0:2, :a], out=acts[0:2, :a])
        new = acts[2, :a]
        torch.addcmul(pre[2, :a], acts[0, :a], pre[3, :a], out=new)
        new.tanh_()
        torch.lerp(new, hist[d + s - 1, :a], acts[1, :a], out=h)
    elif plan.kind == "LSTM":
        torch.sigmoid(pre[0:3, :a], out=acts[0:3, :a])
        torch.tanh(pre[3, :a], out=acts[3, :a])
        c_prev, c, tc = cells
        torch.mul(acts[1, :a], c_prev[:a], out=c[:a])
        c[:a].addcmul_(acts[0, :a], acts[3, :a])
        torch.tanh(c[:a], out=tc[:a])
        torch.mul(acts[2, :a], tc[:a], out=h)
    elif plan.activation == "relu":
        torch.clamp(pre[0, :a], min=0, out=h)
    else:
        torch.tanh(pre[0, :a], out=h)


def _coefficients(plan: SparsePlan, pre, hist, acts, cells, mask) -> tuple[Tensor, Tensor | None]:
    """(S, GRAD_ROWS, U, B) factors P (and Q, LSTM) such that a step's gate gradients are
    dh·P[s] (+ dc·Q[s]), zero for units not yet started (``mask`` (S, U, 1))."""
    d, u, steps = plan.delay, plan.units, pre.shape[0]
    if plan.kind == "RNN":
        h = hist[d : d + steps, :u]
        der = (h > 0).to(h.dtype) if plan.activation == "relu" else 1 - h * h
        return (der * mask).unsqueeze(1), None
    if plan.kind == "GRU":
        r, z, new = acts.unbind(1)
        coef = pre.new_empty(steps, 5, u, pre.shape[-1])
        dn = torch.mul((1 - z) * mask, 1 - new * new, out=coef[:, 2])
        torch.mul(dn, r, out=coef[:, 3])
        torch.mul(coef[:, 3] * (1 - r), pre[:, 3], out=coef[:, 0])
        torch.mul((hist[d - 1 : d - 1 + steps, :u] - new) * mask, z * (1 - z), out=coef[:, 1])
        torch.mul(z, mask, out=coef[:, 4])
        return coef, None
    i, f, o, g = acts.unbind(1)
    c_all, tc = cells
    c_prev = c_all[:-1]
    ca = o * (1 - tc * tc) * mask
    q = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), torch.zeros_like(g),
                     i * (1 - g * g), f]) * mask  # fmt: skip
    p = q * ca
    p[2] = tc * o * (1 - o) * mask
    return p.transpose(0, 1).contiguous(), q.transpose(0, 1).contiguous()


class Recurrence(torch.autograd.Function):
    """States (D + S, U + 1, B) of all units at all steps from the gate rows' inputs ``x``
    (S, ROWS·U, B) and the edges' weights ``w_e`` (E,)."""

    @staticmethod
    def forward(ctx, plan: SparsePlan, keep: bool, x: Tensor, w_e: Tensor):
        steps, _, b = x.shape
        d, u = plan.delay, plan.units
        pre = x.contiguous() if not x.is_contiguous() else x.clone()
        hist = x.new_zeros(d + steps, u + 1, b)
        gates = {"RNN": 0, "LSTM": 4, "GRU": 3}[plan.kind]
        acts = x.new_zeros(steps if keep else 1, gates, u, b)
        cells = None
        if plan.kind == "LSTM":
            cells = (x.new_zeros(steps + 1, u, b), x.new_zeros(steps, u, b))
        rows = pre.view(steps, -1, u, b)
        gathered = x.new_empty(plan.src.shape[0], b)
        weights = w_e.unsqueeze(1)
        for s in range(steps):
            window = hist[s : s + d].view(-1, b)
            torch.index_select(window, 0, plan.src, out=gathered)
            gathered.mul_(weights)
            pre[s].index_add_(0, plan.tgt, gathered)
            a = plan.prefix[min(s, plan.depth - 1)]
            state = None if cells is None else (cells[0][s], cells[0][s + 1], cells[1][s])
            _forward_step(plan, s, a, rows[s], hist, acts[s if keep else 0], state)
        if keep:
            ctx.plan = plan
            ctx.save_for_backward(w_e, pre, hist, acts, *(cells or ()))
        return hist

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_hist):
        plan = ctx.plan
        w_e, pre, hist, acts, *cells = ctx.saved_tensors
        steps, _, b = pre.shape
        d, u = plan.delay, plan.units
        rows = GRAD_ROWS[plan.kind]
        mask = (plan.layer.view(1, u) <= torch.arange(steps, device=pre.device).view(-1, 1))
        mask = mask.to(pre.dtype).unsqueeze(2)  # (S, U, 1): started units
        p, q = _coefficients(plan, pre.view(steps, -1, u, b), hist, acts, cells, mask)
        grad = grad_hist.clone(memory_format=torch.contiguous_format)
        dpre = pre.new_empty(steps, rows, u, b)
        extra = plan.back_src.shape[0] - plan.src.shape[0]  # GRU's direct paths: weight 1
        weights = torch.cat([w_e, w_e.new_ones(extra)]).unsqueeze(1)
        gathered = pre.new_empty(plan.back_src.shape[0], b)
        for s in reversed(range(steps)):
            torch.mul(grad[d + s, :u], p[s], out=dpre[s])
            if q is not None and s + 1 < steps:
                dpre[s].addcmul_(dpre[s + 1, 4], q[s])
            torch.index_select(dpre[s].view(-1, b), 0, plan.back_tgt, out=gathered)
            gathered.mul_(weights)
            grad[s : s + d].view(-1, b).index_add_(0, plan.back_src, gathered)
        grad_w = _weight_grads(plan, hist, dpre)
        grad_x = dpre[:, : ROWS[plan.kind]].reshape(steps, -1, b)
        return None, None, grad_x, grad_w


def _weight_grads(plan: SparsePlan, hist: Tensor, dpre: Tensor) -> Tensor:
    """(E,) Σ over steps and strings of each edge's source state times its gate gradient."""
    steps, rows, u, b = dpre.shape
    states, grads = hist.view(-1, b), dpre.view(-1, b)
    out = hist.new_zeros(plan.src.shape[0])
    for first in range(0, steps, CHUNK):
        at = torch.arange(first, min(steps, first + CHUNK), device=hist.device).view(-1, 1)
        source = states.index_select(0, (at * (u + 1) + plan.src).view(-1))
        target = grads.index_select(0, (at * (rows * u) + plan.tgt).view(-1))
        out += torch.linalg.vecdot(source, target).view(at.shape[0], -1).sum(0)
    return out


def features(
    cell, plan: SparsePlan, table: Tensor, codes: Tensor, lengths: Tensor, w: Tensor,
    w_hh: Tensor | None, b_hh: Tensor | None,
) -> Tensor:  # fmt: skip
    """(G, B, R) readout features, as `dense.features`: each readout unit's output at each
    string's true last step. ``table`` (G, 128, K): layer-0 input of each code plus biases;
    ``w`` (G, P, K) masked pair weights; ``w_hh`` (G, N, K), ``b_hh`` (G, K): GRU's recurrence."""
    g, _, k = table.shape
    b, length = codes.shape
    steps = length + plan.depth - 1
    padded = codes.new_zeros(b, steps)  # steps past the end read code 0, as the wavefront
    padded[:, :length] = codes
    weights = w.reshape(-1).index_select(0, plan.from_w)
    if plan.kind == "GRU":
        n = k // 3
        bias = b_hh.unsqueeze(1)
        table = torch.cat([table[..., : 2 * n] + bias[..., : 2 * n], table[..., 2 * n :],
                           bias[..., 2 * n :].expand(g, table.shape[1], n)], dim=2)  # fmt: skip
        weights = torch.cat([weights, w_hh.reshape(-1).index_select(0, plan.from_w_hh)])
    by_row = table.transpose(1, 2).reshape(-1, table.shape[1]).index_select(0, plan.col)
    x = by_row.index_select(1, padded.t().reshape(-1)).view(-1, steps, b).transpose(0, 1)
    keep = torch.is_grad_enabled() and (x.requires_grad or weights.requires_grad)
    hist = Recurrence.apply(plan, keep, x, weights)
    at = lengths.view(1, b, 1) - 1 + plan.delay + plan.read_layer.unsqueeze(1)  # (G, B, R)
    string = torch.arange(b, device=codes.device).view(1, b, 1)
    return hist[at, plan.read_unit.unsqueeze(1), string]
