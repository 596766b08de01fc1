"""The sparse engine: a pack's recurrence over every model's own edges, for CPU or GPU.

The wavefront again (`randrnn.training.wavefront`: at global step s, layer l processes time
t = s − l), but with no padding and no dense product. The units of all models are laid out in
one flat row of U units, sorted by layer (then model), so that at step s < depth the units that
have started are a prefix of the row and later ones are never touched. A pack's weights become
one sparse (CSR) matrix, one entry per live weight (pair (delay d, unit j) → gate k of unit i),
read off the masks, so pruned weights are gone. A step is then

- one sparse product for all models, written once: the gate rows (ROWS·U, B) = edges @ the
  step's window of the state history (rows s … s + D − 1 of the states, D·W rows). A state row
  holds the U units, a zero, a one and the next step's input values, so each gate row's bias is
  an entry (from the one) and an input unit's code-table value another (weight 1, from its
  input row, which the batch's one gather fills); GRU's recurrent part enters as gate rows of
  their own, so the GRU's two products are one;
- the cell's gate arithmetic, one op per gate block (GRU: sigmoid of r and z, ``addcmul`` and
  ``tanh`` for n, ``lerp`` for h = n + z·(h − n)).

The backward is hand-written: every derivative that does not depend on the incoming gradient is
computed for all steps at once before the loop, in place of the stored gates, so that a step is
one sparse product that pulls each started unit's state gradient from the gate gradients of the
steps that read it (GRU: its direct path h_prev → h is an entry of weight 1; the readout's
gradients are rows of their own, entries of weight 1 too), the gate gradients (dh times the
step's factors; LSTM: three ops, for o, the cell's gradient and the rest) and one sampled
product (`torch.sparse.sampled_addmm`) for the step's weight and bias gradients at the entries
only. Ops per step, forward + backward: GRU 5 + 3, LSTM 7 + 5, RNN 2 + 3. Everything is on the
pack's device, and nothing is read back to the host (the step prefixes are plain integers of
the plan).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor

# Gate rows of each layer kind: the packed gate k of unit i goes to block BLOCKS[kind][k];
# GRU's recurrent gates (kept apart) to HH_BLOCKS. LSTM's gates are reordered o, i, f, g so
# that its three sigmoids are one block range, and the gates its cell's gradient reaches (i, f,
# g, then the cell) one range of the gradient rows.
BLOCKS = {"RNN": (0,), "LSTM": (1, 2, 3, 0), "GRU": (0, 1, 2)}
HH_BLOCKS = (0, 1, 3)
ROWS = {"RNN": 1, "LSTM": 4, "GRU": 4}  # gate blocks of the step's pre-activations
GRAD_ROWS = {"RNN": 1, "LSTM": 5, "GRU": 5}  # … of its gradient (LSTM: + cell, GRU: + h_prev)


@dataclass(frozen=True)
class SparsePlan:
    """A pack as flat units and CSR edge matrices, on the pack's device."""

    kind: str  # the layer kind: RNN, LSTM, GRU
    activation: str  # RNN: tanh or relu
    units: int  # U: real units of all models; row U of the states is always zero, U + 1 one
    delay: int  # D: the largest delay; a step reads rows s … s + D − 1 of the states
    wide: int  # W: a state row's length, U + 2 + ROWS·inputs (the next step's input values)
    depth: int
    prefix: tuple[int, ...]  # units started at step s (s < depth), sorted by layer first
    layer: Tensor  # (U,) layer of each unit
    crow: Tensor  # the edges as a CSR matrix (ROWS·U, D·W): gate row block·U + unit
    col: Tensor  # … ← window row (D − d)·W + unit (biases and inputs: rows of slot D − 1)
    weight_from: Tensor  # (E,) flat index into cat(w, w_hh, bias rows, 1) of each entry's weight
    seeds: int  # readout units (+ 1 for the zero row): gradient rows that seed the states'
    pull_crow: Tensor  # the backward's CSR matrix (U, D·V), V = GRAD_ROWS·U + seeds, GRU's
    pull_col: Tensor  # direct paths too: unit j ← gradient row r of the step d later (column
    pull_from: Tensor  # (d − 1)·V + r), of weight cat(entry weights, 1)[pull_from]
    pull_end: tuple[int, ...]  # entries of the first prefix[s] rows
    inputs: int  # units whose gate rows read the input code (layer 0): a prefix of each block
    input_index: tuple[Tensor, Tensor]  # (1, ROWS, 1, 1) blocks and (1, 1, inputs, 1) units
    one: Tensor  # a 0-dim 1
    table_col: Tensor  # (ROWS·U,) row of the transposed code table each gate row reads
    read_layer: Tensor  # (G, R) layer of each readout unit
    read_unit: Tensor  # (G, R) its flat unit (U: the zero row)
    read_seed: Tensor  # (G, R) its seed row (seeds − 1: the zero row's, which nothing reads)


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
    # Only layer 0 has input weights (w0's columns), so the other units' gate rows read the
    # same table entry (their bias) whatever the code; should any other unit have one, all read.
    read = pack.w0_mask.detach().cpu().ne(0).any(1).view(g, gates, n).any(1)  # (G, N)
    inputs = prefix[0] if bool((flat[read] < prefix[0]).all()) else units
    rows, grad_rows = ROWS[kind] * units, GRAD_ROWS[kind] * units
    delay = max(1, lay.max_delay)
    wide = units + 2 + ROWS[kind] * inputs  # a state row: units, zero, one, next step's inputs
    window, last = delay * wide, (delay - 1) * wide
    w_mask = pack.w_mask.detach().cpu()
    m, p, c = w_mask.ne(0).nonzero().unbind(1)
    d, j = lay.delay[m, 0, p], lay.unit[m, 0, p]
    blocks = torch.tensor(BLOCKS[kind])
    src = (delay - d) * wide + flat[m, j]
    tgt = blocks[c // n] * units + flat[m, c % n]
    weight_from = (m * w_mask.shape[1] + p) * k + c
    weights = w_mask.numel()  # the entries' weights: cat(w, w_hh, bias rows, 1)
    if kind == "GRU":
        hm, hj, hc = pack.w_hh_mask.detach().cpu().ne(0).nonzero().unbind(1)
        src = torch.cat([src, last + flat[hm, hj]])
        tgt = torch.cat([tgt, torch.tensor(HH_BLOCKS)[hc // n] * units + flat[hm, hc % n]])
        weight_from = torch.cat([weight_from, weights + (hm * n + hj) * k + hc])
        weights += pack.w_hh_mask.numel()
    # A gate row's bias is an entry from the state's row of ones; an input unit's gate row reads
    # its own row, where the step before writes the table's value at the step's code (weight 1).
    gate_row = torch.arange(rows).view(ROWS[kind], units)
    biased, fed = gate_row[:, inputs:].reshape(-1), gate_row[:, :inputs].reshape(-1)
    src = torch.cat([src, torch.full_like(biased, last + units + 1),
                     last + units + 2 + torch.arange(len(fed))])  # fmt: skip
    tgt = torch.cat([tgt, biased, fed])
    edges = len(weight_from)  # entries between units
    weight_from = torch.cat([weight_from, weights + biased,
                             torch.full_like(fed, weights + rows)])  # fmt: skip
    ordered = torch.argsort(tgt * window + src)  # CSR order: by gate row, then window row
    crow, col = _compressed(tgt[ordered], src[ordered], rows)
    # The backward pulls: unit j's state gradient at step s gathers the gradient rows of the
    # steps s + d that read it (the window rows s + 1 … s + D of the (S + D, GRAD_ROWS, U, B)
    # gradients), so that a step writes U rows, not the D·(U + 1) rows of a state window.
    position = torch.empty_like(ordered)  # where each entry sits in CSR order
    position[ordered] = torch.arange(len(ordered))
    back_src, back_tgt, back_from = src[:edges], tgt[:edges], position[:edges]
    if kind == "GRU":  # h_prev → h: an entry of weight 1 (the value after the entries')
        every = torch.arange(units)
        back_src = torch.cat([back_src, last + every])
        back_tgt = torch.cat([back_tgt, 4 * units + every])
        back_from = torch.cat([back_from, torch.full_like(every, len(ordered))])
    # A readout unit's state gradient at step s is seeded by the readout's (seed row r of
    # step s + 1, weight 1): so a step's state gradients are written once, by the product.
    read_unit = flat[torch.arange(g).view(g, 1), lay.read_unit[:, 0]]
    reads, read_seed = torch.unique(read_unit, return_inverse=True)
    reads = reads[reads < units]
    read_seed = torch.where(read_unit < units, read_seed, len(reads))
    seeds = len(reads) + 1
    back_src = torch.cat([back_src, last + reads])
    back_tgt = torch.cat([back_tgt, grad_rows + torch.arange(len(reads))])
    back_from = torch.cat([back_from, torch.full_like(reads, len(ordered))])
    pull_row = back_src % wide
    pull_col = (delay - 1 - back_src // wide) * (grad_rows + seeds) + back_tgt
    real = (pull_row < units).nonzero().squeeze(1)  # edges from the zero row carry nothing
    pull_order = real[torch.argsort(pull_row[real] * (delay * (grad_rows + seeds))
                                    + pull_col[real])]  # fmt: skip
    pull_crow, pull_col = _compressed(pull_row[pull_order], pull_col[pull_order], units)
    pull_from = back_from[pull_order]
    # Gate row b·U + u reads column (model, gate, unit) of the (G·K', 128) transposed table.
    table_col = torch.zeros(rows, dtype=torch.long)
    width = k + (n if kind == "GRU" else 0)  # GRU's table gets a block for its h_n bias
    rank = torch.arange(units)
    model = torch.tensor([mm for _, mm, _ in order], dtype=torch.long)
    unit = torch.tensor([u for _, _, u in order], dtype=torch.long)
    for gate in range(gates + (1 if kind == "GRU" else 0)):
        block = HH_BLOCKS[2] if gate == gates else BLOCKS[kind][gate]
        table_col[block * units + rank] = model * width + gate * n + unit
    put = lambda t: t.to(device)
    pull_end = tuple(int(pull_crow[a]) for a in prefix)
    index = (torch.arange(ROWS[kind]).view(1, -1, 1, 1), torch.arange(inputs).view(1, 1, -1, 1))
    return SparsePlan(kind, cell.nonlinearity, units, delay, wide, lay.depth, prefix,
                      put(layer), put(crow), put(col), put(weight_from[ordered]), seeds,
                      put(pull_crow), put(pull_col), put(pull_from), pull_end, inputs,
                      (put(index[0]), put(index[1])), put(torch.ones(())), put(table_col),
                      put(lay.read_layer[:, 0]), put(read_unit), put(read_seed))  # fmt: skip


def _compressed(row: Tensor, col: Tensor, rows: int) -> tuple[Tensor, Tensor]:
    """CSR row pointers and columns of entries sorted by row."""
    crow = torch.zeros(rows + 1, dtype=torch.long)
    crow[1:] = torch.bincount(row, minlength=rows).cumsum(0)
    return crow, col.contiguous()


def _csr(crow: Tensor, col: Tensor, values: Tensor, size: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)


def _product_into(out: Tensor, matrix: Tensor, dense: Tensor) -> None:
    """``out`` = ``matrix`` @ ``dense`` (a CSR matrix): addmm with beta 0 and ``out`` as its own
    input writes ``out`` once, where ``mm(out=)`` first copies a ``zeros_like(out)`` into it."""
    torch.addmm(out, matrix, dense, beta=0, out=out)


def _add_at(target: Tensor, index: list[Tensor], values: Tensor) -> None:
    """``target[index] += values``, repeated indices summed, without the range check that on
    CUDA reads every index tensor's min and max back to the host (the plan's indices are in
    range by construction)."""
    torch.ops.aten._index_put_impl_(target, index, values, True, True)


def _forward_step(plan: SparsePlan, s: int, a: int, pre: Tensor, hist: Tensor, acts, cells):
    """The gate arithmetic of step s; writes row D + s of ``hist`` for the first ``a`` units.
    GRU's gates (``acts``: r, ·, n, ·, z) are computed for every unit, so that all are finite."""
    d = plan.delay
    h = hist[d + s, :a]
    if plan.kind == "GRU":
        torch.sigmoid(pre[0:2], out=acts[0::4])
        new = acts[2]
        torch.addcmul(pre[2], acts[0], pre[3], out=new)
        new.tanh_()
        torch.lerp(new[:a], hist[d + s - 1, :a], acts[4, :a], out=h)
    elif plan.kind == "LSTM":  # acts: o, i, f, g
        torch.sigmoid(pre[0:3, :a], out=acts[0:3, :a])
        torch.tanh(pre[3, :a], out=acts[3, :a])
        c_prev, c, tc = cells
        torch.mul(acts[2, :a], c_prev[:a], out=c[:a])
        c[:a].addcmul_(acts[1, :a], acts[3, :a])
        torch.tanh(c[:a], out=tc[:a])
        torch.mul(acts[0, :a], tc[:a], out=h)
    elif plan.activation == "relu":
        torch.clamp(pre[0, :a], min=0, out=h)
    else:
        torch.tanh(pre[0, :a], out=h)


def _coefficients(plan: SparsePlan, pre, hist, acts, cells) -> Tensor:
    """(S, ·, U, B) factors of a step's gate gradients, in place of the gates where it can. A
    unit not yet started has no state gradient (the pull skips it), and LSTM's gates and cell
    are zero there, so its factors are zero too: nothing needs masking.

    - RNN, GRU: P, (S, GRAD_ROWS, U, B), such that the gate gradients are dh·P[s];
    - LSTM: rows tc·o(1 − o) (dh's factor for o); the factors of the cell's gradient e for i,
      f, g and c_prev (g·i(1 − i), c_prev·f(1 − f), i(1 − g²), f); o(1 − tc²), dh's factor
      in e = dc + dh·o(1 − tc²), dc the cell's gradient from the step after."""
    d, u, steps = plan.delay, plan.units, pre.shape[0]
    h = hist[d : d + steps, :u]
    if plan.kind == "RNN":
        if plan.activation == "relu":
            return (h > 0).to(h.dtype).unsqueeze(1)
        return torch.addcmul(plan.one, h, h, value=-1).unsqueeze(1)
    if plan.kind == "GRU":  # in place of the gates: rows r, ·, n, ·, z become P's five rows
        r, c1, n, c3, z = acts.unbind(1)
        torch.sub(plan.one, z, out=c3)  # 1 − z
        torch.sub(h, n, out=c1).mul_(c3)  # (h − n)(1 − z)
        torch.addcmul(plan.one, n, n, value=-1, out=n).mul_(c3)  # (1 − n²)(1 − z)
        torch.mul(n, r, out=c3)  # … · r
        torch.addcmul(c3, c3, r, value=-1, out=r).mul_(pre[:, 3])  # … · r(1 − r)·h_n
        return acts
    o, i, f, g, cell, ca = acts.unbind(1)  # rows 4, 5: free
    c_prev, tc = cells[0][:-1], cells[1]
    cell.copy_(f)
    torch.mul(c_prev, f, out=ca)
    torch.addcmul(ca, ca, f, value=-1, out=f)  # c_prev·f(1 − f)
    torch.mul(i, g, out=ca)
    torch.addcmul(i, ca, g, value=-1, out=g)  # i(1 − g²)
    torch.addcmul(ca, ca, i, value=-1, out=i)  # g·i(1 − i)
    torch.addcmul(o, h, tc, value=-1, out=ca)  # o(1 − tc²), h = o·tc
    torch.addcmul(h, h, o, value=-1, out=o)  # tc·o(1 − o)
    return acts


class Recurrence(torch.autograd.Function):
    """Readout features (G, B, R) of a batch: the pre-activations are the entries' weights
    ``w_e`` (E,, the plan's CSR order; biases and inputs' weight 1 included) times the states,
    the input units' read from the code table (``first`` (ROWS, inputs, 128), at ``codes``
    (S, B)); ``at`` (time, unit, string) says where the features are read."""

    @staticmethod
    def forward(ctx, plan: SparsePlan, keep: bool, first: Tensor, w_e: Tensor, codes: Tensor,
                at: tuple[Tensor, Tensor, Tensor]):  # fmt: skip
        (steps, b), rows = codes.shape, ROWS[plan.kind]
        d, u, like = plan.delay, plan.units, {"dtype": w_e.dtype, "device": w_e.device}
        pre = torch.empty(steps, rows * u, b, **like)
        # The states: zero before the start and for units not yet started, then each step's.
        hist = torch.empty(d + steps, plan.wide, b, **like)
        start = d + plan.depth - 1
        torch.zeros(start, plan.wide, b, out=hist[:start])
        hist[start:, u].zero_()
        hist[-1, u + 2 :].zero_()
        hist[:, u + 1].fill_(1)
        blocks, units = plan.input_index
        fed = hist[d - 1 : d - 1 + steps, u + 2 :].view(steps, rows, plan.inputs, b)
        torch.ops.aten.index.Tensor_out(first, [blocks, units, codes.view(steps, 1, 1, b)],
                                        out=fed)  # fmt: skip
        gates = {"RNN": 0, "LSTM": 6, "GRU": 5}[plan.kind]  # LSTM: o, i, f, g and 2 free
        acts = torch.empty(steps if keep else 1, gates, u, b, **like)
        cells = None
        if plan.kind == "LSTM":  # zero where no step writes (GRU's gates: every unit's)
            cells = (torch.empty(steps + 1, u, b, **like), torch.empty(steps, u, b, **like))
            for part, start in zip((acts, *cells), (plan.depth - 1, plan.depth, plan.depth - 1)):
                start = min(start, part.shape[0])
                torch.zeros(start, *part.shape[1:], **like, out=part[:start])
        gate_rows = pre.view(steps, -1, u, b)
        edges = _csr(plan.crow, plan.col, w_e, (rows * u, d * plan.wide))
        for s in range(steps):
            _product_into(pre[s], edges, hist[s : s + d].view(-1, b))
            a = plan.prefix[min(s, plan.depth - 1)]
            state = None if cells is None else (cells[0][s], cells[0][s + 1], cells[1][s])
            _forward_step(plan, s, a, gate_rows[s], hist, acts[s if keep else 0], state)
        if keep:
            ctx.plan, ctx.codes = plan, first.shape[2]
            ctx.save_for_backward(w_e, codes, at[0], at[2], pre, hist, acts, *(cells or ()))
        return hist[at]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_features):
        plan = ctx.plan
        w_e, codes, time, string, pre, hist, acts, *cells = ctx.saved_tensors
        steps, width, b = pre.shape
        d, u, like = plan.delay, plan.units, {"dtype": pre.dtype, "device": pre.device}
        rows, inputs = GRAD_ROWS[plan.kind], plan.inputs
        p = _coefficients(plan, pre.view(steps, -1, u, b), hist, acts, cells)
        # The gate rows' gradients (S + D, V, B): GRAD_ROWS·U rows and the readout's seeds;
        # rows S …: steps past the end. dh[s]: the states' gradients of step s.
        wide = rows * u + plan.seeds
        dpre = torch.empty(steps + d, wide, b, **like)
        torch.zeros(d, wide, b, out=dpre[steps:])
        dpre[:steps, rows * u :].zero_()
        _add_at(dpre, [time - d + 1, plan.read_seed.unsqueeze(1).expand_as(time) + rows * u,
                       string], grad_features)  # fmt: skip
        grads = dpre[:, : rows * u].view(steps + d, rows, u, b)
        dh = torch.empty(steps, u, b, **like)
        cell = torch.empty(u, b, **like)  # LSTM: the cell's gradient of the step
        torch.zeros(plan.depth - 1, u, b, out=dh[: plan.depth - 1])  # units not yet started
        values = torch.cat([w_e, plan.one.view(1)]).index_select(0, plan.pull_from)
        sums = _csr(plan.crow, plan.col, torch.zeros_like(w_e), (width, d * plan.wide))
        for s in reversed(range(steps)):
            a = min(s, plan.depth - 1)
            a, end = plan.prefix[a], plan.pull_end[a]  # units started; their entries
            pull = _csr(plan.pull_crow[: a + 1], plan.pull_col[:end], values[:end],
                        (a, d * wide))  # fmt: skip
            _product_into(dh[s, :a], pull, dpre[s + 1 : s + 1 + d].view(-1, b))
            if plan.kind == "LSTM":
                torch.mul(dh[s], p[s, 0], out=grads[s, 0])
                torch.addcmul(grads[s + 1, 4], dh[s], p[s, 5], out=cell)
                torch.mul(cell, p[s, 1:5], out=grads[s, 1:])
            else:
                torch.mul(dh[s], p[s], out=grads[s])
            sums = torch.sparse.sampled_addmm(sums, dpre[s, :width],
                                              hist[s : s + d].view(-1, b).t())  # fmt: skip
        grad_first = torch.zeros(ROWS[plan.kind], inputs, ctx.codes, **like)
        blocks, units = plan.input_index
        _add_at(grad_first, [blocks, units, codes.view(steps, 1, 1, b)],
                grads[:steps, : ROWS[plan.kind], :inputs])  # fmt: skip
        return None, None, grad_first, sums.values(), None, None


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
    padded = codes.new_zeros(steps, b)  # steps past the end read code 0, as the wavefront
    padded[:length] = codes.t()
    w = w.reshape(-1)
    if plan.kind == "GRU":
        n = k // 3
        bias = b_hh.unsqueeze(1)
        table = torch.cat([table[..., : 2 * n] + bias[..., : 2 * n], table[..., 2 * n :],
                           bias[..., 2 * n :].expand(g, table.shape[1], n)], dim=2)  # fmt: skip
        w = torch.cat([w, w_hh.reshape(-1)])
    by_row = table.transpose(1, 2).reshape(-1, table.shape[1]).index_select(0, plan.table_col)
    by_row = by_row.view(ROWS[plan.kind], plan.units, -1)
    # Each gate row's bias (code 0's value: every code's but the input units'), and a 1.
    w = torch.cat([w, by_row[..., 0].reshape(-1), plan.one.view(1)])
    weights = w.index_select(0, plan.weight_from)
    keep = torch.is_grad_enabled() and (by_row.requires_grad or weights.requires_grad)
    time = lengths.view(1, b, 1) - 1 + plan.delay + plan.read_layer.unsqueeze(1)  # (G, B, R)
    string = torch.arange(b, device=codes.device).view(1, b, 1)
    at = (time, plan.read_unit.unsqueeze(1).expand_as(time), string.expand_as(time))
    return Recurrence.apply(plan, keep, by_row[:, : plan.inputs], weights, padded, at)
