"""Recurrence kernels for packed models: one Python step per time step, manual backward.

Each kernel runs the hidden-to-hidden recurrence of one layer slot of G packed models at once. The
input projection (`gi`, every gate's input term for every time step) is computed beforehand as one
big matrix product, so a step is only a small batched product (G, B, H) @ (G, H, gates·H) plus a
few elementwise operations. The backward pass is written by hand: every derivative factor that
does not depend on the incoming gradient is computed for all time steps at once, so a backward step
is two or three operations, and the weight gradient is one product over all steps.

Layouts: `gi` (T, G, B, gates·H) gate-major like PyTorch (GRU: r, z, n; LSTM: i, f, g, o);
`w_hh` (G, H, gates·H) so that ``h @ w_hh`` gives the recurrent term; outputs (T, G, B, H).
Padding units (all weights zero) stay exactly zero and receive exactly zero gradient.
"""

from __future__ import annotations

import torch


class RNNKernel(torch.autograd.Function):
    """Elman recurrence h_t = act(gi_t + h_{t-1} @ W); both biases are folded into gi."""

    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor, relu: bool) -> torch.Tensor:
        steps, g, b, h = gi.shape
        hs = gi.new_zeros(steps + 1, g, b, h)
        act = torch.relu_ if relu else torch.tanh_
        for t in range(steps):
            act(torch.baddbmm(gi[t], hs[t], w_hh, out=hs[t + 1]))
        ctx.relu = relu
        ctx.save_for_backward(hs, w_hh)
        return hs[1:]

    @staticmethod
    def backward(ctx, dout: torch.Tensor):
        hs, w_hh = ctx.saved_tensors
        out = hs[1:]
        deriv = (out > 0).to(out.dtype) if ctx.relu else 1 - out * out
        dpre = torch.empty_like(out)
        w_t = w_hh.transpose(1, 2).contiguous()
        carry = torch.zeros_like(hs[0])
        for t in range(out.shape[0] - 1, -1, -1):
            dh = dout[t] + carry
            torch.mul(dh, deriv[t], out=dpre[t])
            carry = torch.bmm(dpre[t], w_t)
        dw = torch.einsum("tgbi,tgbj->gij", hs[:-1], dpre)
        return dpre, dw, None


class GRUKernel(torch.autograd.Function):
    """PyTorch's GRU: b_hh enters through h @ W + b_hh because r multiplies the n-gate's part."""

    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        steps, g, b, h3 = gi.shape
        h = h3 // 3
        hs = gi.new_zeros(steps + 1, g, b, h)
        gh = gi.new_empty(steps, g, b, h3)
        rz = gi.new_empty(steps, g, b, 2 * h)
        n = gi.new_empty(steps, g, b, h)
        bias = b_hh.unsqueeze(1)
        for t in range(steps):
            torch.baddbmm(bias, hs[t], w_hh, out=gh[t])
            torch.sigmoid(gi[t, ..., : 2 * h] + gh[t, ..., : 2 * h], out=rz[t])
            torch.tanh(torch.addcmul(gi[t, ..., 2 * h :], rz[t, ..., :h], gh[t, ..., 2 * h :]),
                       out=n[t])  # fmt: skip
            torch.addcmul(n[t], rz[t, ..., h:], hs[t] - n[t], out=hs[t + 1])
        ctx.save_for_backward(hs, gh, rz, n, w_hh)
        return hs[1:]

    @staticmethod
    def backward(ctx, dout: torch.Tensor):
        hs, gh, rz, n, w_hh = ctx.saved_tensors
        steps, g, b, h = n.shape
        r, z = rz[..., :h], rz[..., h:]
        ghn = gh[..., 2 * h :]
        cn = (1 - z) * (1 - n * n)  # d pre_n / d h_t
        # Factors that turn dh_t into [d pre_r, d pre_z, d gh_n, d h_{t-1} (direct)].
        factors = torch.cat([cn * ghn * r * (1 - r), (hs[:-1] - n) * z * (1 - z), cn * r, z], -1)
        factors = factors.view(steps, g, b, 4, h)
        eye = torch.eye(h, dtype=w_hh.dtype).expand(g, h, h)
        w_t = torch.cat([w_hh.transpose(1, 2), eye], 1).contiguous()  # (G, 4H, H)
        dgh4 = torch.empty(steps, g, b, 4 * h, dtype=n.dtype)  # [d gh (3H), d h_{t-1} direct]
        dhs = torch.empty_like(n)
        carry = torch.zeros_like(hs[0])
        for t in range(steps - 1, -1, -1):
            torch.add(dout[t], carry, out=dhs[t])
            torch.mul(dhs[t].unsqueeze(-2), factors[t], out=dgh4[t].view(g, b, 4, h))
            carry = torch.bmm(dgh4[t], w_t)
        dgh = dgh4[..., : 3 * h]
        dw = torch.einsum("tgbi,tgbj->gij", hs[:-1], dgh)
        db = dgh.sum((0, 2))
        dgi = dgh.clone()
        torch.mul(dhs, cn, out=dgi[..., 2 * h :])
        return dgi, dw, db


class LSTMKernel(torch.autograd.Function):
    """PyTorch's LSTM with zero initial h and c; both biases are folded into gi."""

    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
        steps, g, b, h4 = gi.shape
        h = h4 // 4
        hs = gi.new_zeros(steps + 1, g, b, h)
        cs = gi.new_zeros(steps + 1, g, b, h)
        act = gi.new_empty(steps, g, b, h4)
        tc = gi.new_empty(steps, g, b, h)
        for t in range(steps):
            a = act[t]
            torch.baddbmm(gi[t], hs[t], w_hh, out=a)
            torch.tanh(a[..., 2 * h : 3 * h], out=a[..., 2 * h : 3 * h])
            torch.sigmoid(a[..., : 2 * h], out=a[..., : 2 * h])
            torch.sigmoid(a[..., 3 * h :], out=a[..., 3 * h :])
            torch.addcmul(a[..., h : 2 * h] * cs[t], a[..., :h], a[..., 2 * h : 3 * h],
                          out=cs[t + 1])  # fmt: skip
            torch.tanh(cs[t + 1], out=tc[t])
            torch.mul(a[..., 3 * h :], tc[t], out=hs[t + 1])
        ctx.save_for_backward(hs, cs, act, tc, w_hh)
        return hs[1:]

    @staticmethod
    def backward(ctx, dout: torch.Tensor):
        hs, cs, act, tc, w_hh = ctx.saved_tensors
        steps, g, b, h = tc.shape
        i, f, gg, o = act.split(h, dim=-1)
        to_c = o * (1 - tc * tc)  # d c_t / d h_t
        # Factors that turn dc_t into [d pre_i, d pre_f, d pre_g, d c_{t-1}].
        c_factors = torch.cat([gg * i * (1 - i), cs[:-1] * f * (1 - f), i * (1 - gg * gg), f], -1)
        c_factors = c_factors.view(steps, g, b, 4, h)
        o_factor = tc * o * (1 - o)
        w_t = w_hh.transpose(1, 2).contiguous()
        dpre = torch.empty(steps, g, b, 4 * h, dtype=tc.dtype)
        work = torch.empty(g, b, 4, h, dtype=tc.dtype)
        carry_h = torch.zeros_like(hs[0])
        carry_c = torch.zeros_like(hs[0])
        for t in range(steps - 1, -1, -1):
            dh = dout[t] + carry_h
            dc = torch.addcmul(carry_c, dh, to_c[t])
            torch.mul(dc.unsqueeze(-2), c_factors[t], out=work)
            d = dpre[t].view(g, b, 4, h)
            d[:, :, :3].copy_(work[:, :, :3])
            torch.mul(dh, o_factor[t], out=d[:, :, 3])
            carry_c = work[:, :, 3].clone()
            carry_h = torch.bmm(dpre[t], w_t)
        dw = torch.einsum("tgbi,tgbj->gij", hs[:-1], dpre)
        return dpre, dw


def run_kernel(cell: str, gi: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """The outputs (T, G, B, H) of one layer slot; b_hh is used by the GRU only (folded otherwise)."""
    return _KERNELS[cell](gi, w_hh, b_hh)


_KERNELS = {
    "rnn_tanh": lambda gi, w, b: RNNKernel.apply(gi, w, False),
    "rnn_relu": lambda gi, w, b: RNNKernel.apply(gi, w, True),
    "gru": lambda gi, w, b: GRUKernel.apply(gi, w, b),
    "lstm": lambda gi, w, b: LSTMKernel.apply(gi, w),
}
