"""The sparse engine: a pack's recurrence over every model's own edges, for CPU or GPU.

The wavefront again (`randrnn.training.wavefront`: at global step s, layer l processes time
t = s − l), but with no padding and no dense product. The units of all models are laid out in
one flat row of U units, sorted by layer (then model), so that at step s < depth the units that
have started are a prefix of the row and later ones are never touched. A pack's weights become
one sparse (CSR) matrix, one entry per live weight (pair (delay d, unit j) → gate k of unit i),
read off the masks, so pruned weights are gone. A step is then

- one sparse product for all models: the gate rows (ROWS·U, B) += edges @ the step's window of
  the state history (rows s … s + D − 1 of the states, D·(U + 1) rows); GRU's recurrent part
  enters it as gate rows of their own, so the GRU's two products are one;
- the cell's gate arithmetic, one op per gate block (GRU: sigmoid of r and z, ``addcmul`` and
  ``tanh`` for n, ``lerp`` for h = n + z·(h − n)).

The backward is hand-written: every derivative that does not depend on the incoming gradient is
computed for all steps at once before the loop, so that a step's gate gradients are one product
(dh times the step's coefficients; LSTM: and one ``addcmul`` for its cell), one sparse product
with the transposed edges carries them to the sources (GRU: its direct path h_prev → h is an
entry of weight 1), and one sampled product (`torch.sparse.sampled_addmm`) adds the step's
weight gradients at the edges only. Ops per step, forward + backward: GRU 5 + 3, LSTM 7 + 4,
RNN 2 + 3. Everything is on the pack's device, and nothing is read back to the host (the step
prefixes are plain integers of the plan).
"""

from __future__ import annotations

import warnings
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


@dataclass(frozen=True)
class SparsePlan:
    """A pack as flat units and CSR edge matrices, on the pack's device."""

    kind: str  # the layer kind: RNN, LSTM, GRU
    activation: str  # RNN: tanh or relu
    units: int  # U: real units of all models; row U of the states is always zero
    delay: int  # D: the largest delay; a step reads rows s … s + D − 1 of the states
    depth: int
    prefix: tuple[int, ...]  # units started at step s (s < depth), sorted by layer first
    layer: Tensor  # (U,) layer of each unit
    crow: Tensor  # the edges as a CSR matrix (ROWS·U, D·(U + 1)): gate row block·U + unit
    col: Tensor  # … ← window row (D − d)·(U + 1) + unit
    weight_from: Tensor  # (E,) flat index into cat(w, w_hh) of each entry's weight
    back_crow: Tensor  # the transposed matrix (D·(U + 1), GRAD_ROWS·U), GRU's direct paths too
    back_col: Tensor
    back_from: Tensor  # (E + direct,) index into cat(entry weights, ones) of each entry
    table_col: Tensor  # (ROWS·U,) row of the transposed code table each gate row reads
    read_layer: Tensor  # (G, R) layer of each readout unit
    read_unit: Tensor  # (G, R) its flat unit (U: the zero row)


def plan(pack, device: torch.device | str) -> SparsePlan:
    """The CSR edges of a `PackedModels` (its masks, layout and wirings), on ``device``."""
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
    window = delay * (units + 1)
    w_mask = pack.w_mask.detach().cpu()
    m, p, c = w_mask.ne(0).nonzero().unbind(1)
    d, j = lay.delay[m, 0, p], lay.unit[m, 0, p]
    blocks = torch.tensor(BLOCKS[kind])
    src = (delay - d) * (units + 1) + flat[m, j]
    tgt = blocks[c // n] * units + flat[m, c % n]
    weight_from = (m * w_mask.shape[1] + p) * k + c
    back_src, back_tgt = src, tgt
    if kind == "GRU":
        hm, hj, hc = pack.w_hh_mask.detach().cpu().ne(0).nonzero().unbind(1)
        src = torch.cat([src, (delay - 1) * (units + 1) + flat[hm, hj]])
        tgt = torch.cat([tgt, torch.tensor(HH_BLOCKS)[hc // n] * units + flat[hm, hc % n]])
        weight_from = torch.cat([weight_from, w_mask.numel() + (hm * n + hj) * k + hc])
        every = torch.arange(units)
        back_src = torch.cat([src, (delay - 1) * (units + 1) + every])
        back_tgt = torch.cat([tgt, 4 * units + every])
    rows, grad_rows = ROWS[kind] * units, GRAD_ROWS[kind] * units
    ordered = torch.argsort(tgt * window + src)  # CSR order: by gate row, then window row
    crow, col = _compressed(tgt[ordered], src[ordered], rows)
    back_order = torch.argsort(back_src * grad_rows + back_tgt)
    back_crow, back_col = _compressed(back_src[back_order], back_tgt[back_order], window)
    position = torch.empty_like(ordered)  # where each edge sits in CSR order
    position[ordered] = torch.arange(len(ordered))
    direct = torch.arange(len(ordered), len(back_src))
    back_from = torch.cat([position, direct])[back_order]
    # Gate row b·U + u reads column (model, gate, unit) of the (G·K', 128) transposed table.
    table_col = torch.zeros(rows, dtype=torch.long)
    width = k + (n if kind == "GRU" else 0)  # GRU's table gets a block for its h_n bias
    rank = torch.arange(units)
    model = torch.tensor([mm for _, mm, _ in order], dtype=torch.long)
    unit = torch.tensor([u for _, _, u in order], dtype=torch.long)
    for gate in range(gates + (1 if kind == "GRU" else 0)):
        block = HH_BLOCKS[2] if gate == gates else BLOCKS[kind][gate]
        table_col[block * units + rank] = model * width + gate * n + unit
    read_unit = flat[torch.arange(g).view(g, 1), lay.read_unit[:, 0]]
    put = lambda t: t.to(device)
    return SparsePlan(kind, cell.nonlinearity, units, delay, lay.depth, prefix, put(layer),
                      put(crow), put(col), put(weight_from[ordered]), put(back_crow),
                      put(back_col), put(back_from), put(table_col), put(lay.read_layer[:, 0]),
                      put(read_unit))  # fmt: skip


def _compressed(row: Tensor, col: Tensor, rows: int) -> tuple[Tensor, Tensor]:
    """CSR row pointers and columns of entries sorted by row."""
    crow = torch.zeros(rows + 1, dtype=torch.long)
    crow[1:] = torch.bincount(row, minlength=rows).cumsum(0)
    return crow, col.contiguous()


def _csr(crow: Tensor, col: Tensor, values: Tensor, size: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)


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
    (S, ROWS·U, B) and the entries' weights ``w_e`` (E,), in the plan's CSR order."""

    @staticmethod
    def forward(ctx, plan: SparsePlan, keep: bool, x: Tensor, w_e: Tensor):
        steps, width, b = x.shape
        d, u = plan.delay, plan.units
        pre = x.contiguous() if not x.is_contiguous() else x.clone()
        hist = x.new_zeros(d + steps, u + 1, b)
        gates = {"RNN": 0, "LSTM": 4, "GRU": 3}[plan.kind]
        acts = x.new_zeros(steps if keep else 1, gates, u, b)
        cells = None
        if plan.kind == "LSTM":
            cells = (x.new_zeros(steps + 1, u, b), x.new_zeros(steps, u, b))
        rows = pre.view(steps, -1, u, b)
        edges = _csr(plan.crow, plan.col, w_e, (width, d * (u + 1)))
        for s in range(steps):
            pre[s].addmm_(edges, hist[s : s + d].view(-1, b))
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
        steps, width, b = pre.shape
        d, u = plan.delay, plan.units
        rows = GRAD_ROWS[plan.kind]
        mask = plan.layer.view(1, u) <= torch.arange(steps, device=pre.device).view(-1, 1)
        mask = mask.to(pre.dtype).unsqueeze(2)  # (S, U, 1): started units
        p, q = _coefficients(plan, pre.view(steps, -1, u, b), hist, acts, cells, mask)
        grad = grad_hist.clone(memory_format=torch.contiguous_format)
        dpre = pre.new_empty(steps, rows, u, b)
        extra = plan.back_col.shape[0] - w_e.shape[0]  # GRU's direct paths h_prev → h: 1
        values = torch.cat([w_e, w_e.new_ones(extra)]).index_select(0, plan.back_from)
        back = _csr(plan.back_crow, plan.back_col, values, (d * (u + 1), rows * u))
        sums = _csr(plan.crow, plan.col, w_e.new_zeros(w_e.shape), (width, d * (u + 1)))
        for s in reversed(range(steps)):
            torch.mul(grad[d + s, :u], p[s], out=dpre[s])
            if q is not None and s + 1 < steps:
                dpre[s].addcmul_(dpre[s + 1, 4], q[s])
            grad[s : s + d].view(-1, b).addmm_(back, dpre[s].view(-1, b))
            sums = torch.sparse.sampled_addmm(sums, dpre[s].view(-1, b)[:width],
                                              hist[s : s + d].view(-1, b).t())  # fmt: skip
        grad_x = dpre[:, : ROWS[plan.kind]].reshape(steps, -1, b)
        return None, None, grad_x, sums.values()


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
    if plan.kind == "GRU":
        n = k // 3
        bias = b_hh.unsqueeze(1)
        table = torch.cat([table[..., : 2 * n] + bias[..., : 2 * n], table[..., 2 * n :],
                           bias[..., 2 * n :].expand(g, table.shape[1], n)], dim=2)  # fmt: skip
        w = torch.cat([w.reshape(-1), w_hh.reshape(-1)])
    weights = w.reshape(-1).index_select(0, plan.weight_from)
    by_row = table.transpose(1, 2).reshape(-1, table.shape[1]).index_select(0, plan.table_col)
    x = by_row.index_select(1, padded.t().reshape(-1)).view(-1, steps, b).transpose(0, 1)
    keep = torch.is_grad_enabled() and (x.requires_grad or weights.requires_grad)
    hist = Recurrence.apply(plan, keep, x, weights)
    at = lengths.view(1, b, 1) - 1 + plan.delay + plan.read_layer.unsqueeze(1)  # (G, B, R)
    string = torch.arange(b, device=codes.device).view(1, b, 1)
    return hist[at, plan.read_unit.unsqueeze(1), string]
