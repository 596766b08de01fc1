"""Many graph-RNNs as one wavefront recurrence with a hand-written backward pass.

Layer l of a model reads its source layers at the same time step, so a layered network is
usually run layer after layer, T steps each. Here all layers advance together: at global step
s, layer l processes time t = s − l. A unit in layer l then finds what it reads in the states of
earlier steps: its predecessor j (layer l_j) produced time t at step s − (l − l_j), and its own
layer's units produced time t − 1 at step s − 1. Each input is a *pair* (delay d, unit j), so a
step is one gather from the state history and one batched product (G, B, P) @ (G, P, g·N) for
G models at once — T + L − 1 steps instead of L·T. Units whose time has not started (s < l)
are held at zero, which is the initial state.

The recurrence is one autograd Function: the forward loop saves gates and inputs, the backward
loop runs the step equations in reverse (gradients reach the pairs' source states through an
index_add), and every weight gradient is then one product over all steps at once. Per-step
tensors are contiguous: states are stored step-major and gates along a leading dimension.

Packed tensors, for G models padded to N units (the last unit of every model is always zero;
padding pairs and readouts point at it):
  table (G, 128, g·N)  layer-0 input of each code plus input biases (embedding @ W0 + b)
  w     (G, P, g·N)    weights of every pair: input edges, and for RNN/LSTM also recurrence
  w_hh  (G, N, g·N)    GRU only: recurrence (its reset gate scales it, so it stays apart)
Columns are gate-major: gate k of unit i is column k·N + i.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.autograd.function import once_differentiable

from randrnn.models.cells import CELLS, Cell

Tensor = torch.Tensor


def _gates(a: Tensor, count: int) -> Tensor:
    """(G, B, count·N) gate-major columns → (count, G, B, N), contiguous."""
    g, b, k = a.shape
    return a.view(g, b, count, k // count).permute(2, 0, 1, 3).contiguous()


def _columns(x: Tensor) -> Tensor:
    """(count, G, B, N) → (G, B, count·N) gate-major columns, contiguous."""
    count, g, b, n = x.shape
    return x.permute(1, 2, 0, 3).reshape(g, b, count * n)


def _gated_derivative(act: Tensor) -> Tensor:
    """Sigmoid derivatives for every gate, tanh's for gate 2 (LSTM cell candidate, GRU new)."""
    der = act * (1 - act)
    der[2] = 1 - act[2] * act[2]
    return der


class Step:
    """The equations of one cell type, one time step forward and backward. What the registry
    says of the cell comes from its `Cell`: gate count, and whether the recurrence stays apart."""

    def __init__(self, cell: Cell):
        self.gates, self.recurrent_apart = cell.gates, cell.recurrent_apart


# Plain RNN nonlinearities (`Cell.nonlinearity`): the function and its derivative from its value.
ACTIVATIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "tanh": (torch.tanh, lambda act: 1 - act * act),
    "relu": (torch.relu, lambda act: (act > 0).to(act.dtype)),
}


class RnnStep(Step):
    """h = f(a): one gate."""

    def __init__(self, cell: Cell):
        super().__init__(cell)
        self.fn, self.derivative = ACTIVATIONS[cell.nonlinearity]

    def forward(self, pre, h_prev, c, active, w_hh, b_hh):
        act = self.fn(pre) * active
        return act[0], c, act, None

    def backward(self, dh, act, der, extra, extra_prev, h_prev, dc, active, w_hh_t):
        return dh * der, dc, None, None


class LstmStep(Step):
    """Gates input, forget, cell candidate, output (PyTorch's order); c carried along."""

    derivative = staticmethod(_gated_derivative)

    def forward(self, pre, h_prev, c, active, w_hh, b_hh):
        act = pre.sigmoid()
        act[2] = pre[2].tanh()
        c = (act[1] * c + act[0] * act[2]) * active
        return act[3] * c.tanh(), c, act, c

    def backward(self, dh, act, der, c, c_prev, h_prev, dc, active, w_hh_t):
        tc = c.tanh()
        dc = (dc + dh * act[3] * (1 - tc * tc)) * active
        out = torch.stack([dc * act[2], dc * c_prev, dc * act[0], dh * tc]).mul_(der)
        return out, dc * act[1], None, None


class GruStep(Step):
    """Gates reset, update, new; the reset gate scales the recurrent part of the new gate."""

    derivative = staticmethod(_gated_derivative)

    def forward(self, pre, h_prev, c, active, w_hh, b_hh):
        ah = _gates(torch.baddbmm(b_hh.unsqueeze(1), h_prev, w_hh), 3)
        act = pre
        act[:2] = (pre[:2] + ah[:2]).sigmoid()
        act[2] = (pre[2] + act[0] * ah[2]).tanh()
        h = (act[2] + act[1] * (h_prev - act[2])) * active
        return h, c, act, ah[2]

    def backward(self, dh, act, der, ah_n, _, h_prev, dc, active, w_hh_t):
        r, z, new = act
        dan = dh * (1 - z) * der[2]
        out = torch.stack([dan * ah_n * der[0], dh * (h_prev - new) * der[1], dan])
        d_ah = out.clone()
        d_ah[2].mul_(r)
        dh_prev = dh * z + torch.bmm(_columns(d_ah), w_hh_t)
        return out, dc, dh_prev, d_ah


# The step type of each layer kind (`Cell.layer`); every cell of the registry gets its step.
STEP_TYPES: dict[str, type[Step]] = {"RNN": RnnStep, "LSTM": LstmStep, "GRU": GruStep}
STEPS: dict[str, Step] = {name: STEP_TYPES[cell.layer](cell) for name, cell in CELLS.items()}


class Wavefront(torch.autograd.Function):
    """States (D + S, G, B, N) of all units at all steps; the D leading rows are the zero past."""

    @staticmethod
    def forward(ctx, step, layout, keep, table, codes, w, w_hh, b_hh):
        g, n, depth, dd = layout.g, layout.n, layout.depth, layout.max_delay
        b, steps = codes.shape[0], layout.steps(codes.shape[1])
        gates, k = step.gates, table.shape[-1]
        states = table.new_zeros(dd + steps, g, b, n)
        flat = states.view(-1)
        index = layout.pair_index(b)  # (G, B, P) flat offsets of each pair at step 0
        stride = g * b * n  # one step further in the flat states
        # Row of the code table each (step, model, string) reads; steps past the end read code 0.
        padded = codes.new_zeros(b, steps)
        padded[:, : codes.shape[1]] = codes
        rows = (padded.t().unsqueeze(1) + 128 * torch.arange(g).view(1, g, 1)).reshape(steps, -1)
        codes_table = table.reshape(g * 128, k)
        inputs = table.new_empty(steps, *index.shape) if keep else None
        acts = table.new_empty(steps, gates, g, b, n) if keep else None
        extra = table.new_empty(steps, g, b, n) if keep and gates > 1 else None
        c = table.new_zeros(g, b, n)
        for s in range(steps):
            u = torch.take(flat, index + s * stride)
            x = codes_table.index_select(0, rows[s]).view(g, b, k)
            pre = _gates(torch.baddbmm(x, u, w), gates)
            active = layout.active[min(s, depth)]
            h, c, act, saved = step.forward(pre, states[dd + s - 1], c, active, w_hh, b_hh)
            states[dd + s] = h
            if keep:
                inputs[s] = u
                acts[s] = act
                if extra is not None:
                    extra[s] = saved
        if keep:
            ctx.save_for_backward(
                table,
                w,
                w_hh,
                b_hh,
                states,
                inputs,
                acts,
                extra if extra is not None else table.new_empty(0),
                rows,
                index,
            )
            ctx.step, ctx.layout = step, layout
        return states

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_states):
        table, w, w_hh, _, states, inputs, acts, extra, rows, index = ctx.saved_tensors
        step, layout = ctx.step, ctx.layout
        g, n, depth, dd = layout.g, layout.n, layout.depth, layout.max_delay
        steps, b = acts.shape[0], acts.shape[3]
        k = table.shape[-1]
        index = index.view(-1)
        stride = g * b * n
        acc = grad_states.clone()
        flat = acc.view(-1)
        d_a = torch.empty_like(acts)
        d_ah = torch.empty_like(acts) if step.recurrent_apart else None
        w_t = w.transpose(1, 2).contiguous()
        w_hh_t = w_hh.transpose(1, 2).contiguous() if step.recurrent_apart else None
        dc = torch.zeros(g, b, n, dtype=acts.dtype)
        zeros = torch.zeros(g, b, n, dtype=acts.dtype)
        deriv = step.derivative(acts.transpose(0, 1)).transpose(0, 1)  # all steps at once
        for s in reversed(range(steps)):
            active = layout.active[min(s, depth)]
            dh = acc[dd + s] * active
            saved = extra[s] if extra.numel() else None
            before = (extra[s - 1] if s > 0 else zeros) if extra.numel() else None
            out, dc, dh_prev, dah = step.backward(
                dh, acts[s], deriv[s], saved, before, states[dd + s - 1], dc, active, w_hh_t
            )
            d_a[s] = out
            if dah is not None:
                d_ah[s] = dah
                acc[dd + s - 1] += dh_prev
            flat.index_add_(0, index + s * stride, torch.bmm(_columns(out), w_t).view(-1))
        # Weight gradients over all steps at once: (G, P, S·B) @ (G, S·B, K).
        by_step = d_a.permute(0, 2, 3, 1, 4).reshape(steps, g, b, k)  # gate-major columns
        by_model = by_step.transpose(0, 1).reshape(g, steps * b, k)
        grad_w = torch.bmm(inputs.transpose(0, 1).reshape(g, steps * b, -1).transpose(1, 2),
                           by_model)  # fmt: skip
        grad_table = torch.zeros(g * 128, k, dtype=acts.dtype)
        grad_table.index_add_(0, rows.reshape(-1), by_step.reshape(-1, k))
        grad_w_hh = grad_b_hh = None
        if step.recurrent_apart:
            prev = states[dd - 1 : dd - 1 + steps].transpose(0, 1).reshape(g, steps * b, n)
            ah = d_ah.permute(2, 0, 3, 1, 4).reshape(g, steps * b, k)
            grad_w_hh = torch.bmm(prev.transpose(1, 2), ah)
            grad_b_hh = ah.sum(1)
        return None, None, None, grad_table.view(g, 128, k), None, grad_w, grad_w_hh, grad_b_hh
