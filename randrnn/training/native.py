"""The native recurrence: `native.cpp` compiled on first use, called with raw tensor pointers.

A pack of G models, padded to N units, runs time step by time step and unit by unit in
topological order, one edge at a time: each edge and gate is one multiply-add over the batch
(`native.cpp`). Nothing is spent on padding pairs, inactive units or warm-up steps, which is
where the wavefront's dense products went (`randrnn.training.wavefront`).

The library is built with the system C++ compiler (``g++ -O3 -march=native``) into
``~/.cache/randrnn/native/<hash>/`` — the hash covers the source, the flags, the compiler and
the CPU — atomically, so concurrent workers build it at most once each and never load half a
file. Without a compiler the engine falls back to the wavefront (`available()` says which).

Float32 runs tanh and sigmoid as a rational function (within 3e-7 of tanh in double; one
division, no exp, so the loops vectorize); float64 the C library's, for gradcheck. Training
steps go through `NativeLoss`: one call does each model's forward, readout, loss and backward
in turn, so a model's stored states are read back from cache, not memory.

Tensors, for G models padded to N units, batch B, T steps (see `NativePlan` for the edges):
  table (G, 128, K)         K = gates·N, gate-major columns: layer-0 inputs of each code + bias
  w (G, P, K), w_hh (G, N, K), b_hh (G, K)   as in the wavefront (w_hh, b_hh: GRU only)
  h (G, T, N, B)            every unit's output at every step; the readout reads from it
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor

SOURCE = Path(__file__).with_name("native.cpp")
FLAGS = ["-O3", "-march=native", "-std=c++17", "-fPIC", "-shared", "-fno-math-errno",
         "-fno-trapping-math", "-fassociative-math", "-fno-signed-zeros"]  # fmt: skip
_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}


class NativeUnavailable(RuntimeError):
    """The native library could not be built here (no compiler, or it failed)."""


def _compiler() -> str:
    found = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not found:
        raise NativeUnavailable("no C++ compiler (g++ or c++) on PATH")
    return found


def _cpu() -> str:
    """What -march=native depends on: the CPU's model and flags (Linux), else the platform."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    fields = ("model name", "flags", "Features", "CPU implementer", "CPU part")  # x86, ARM
    keep = [line for line in text.splitlines() if line.startswith(fields)]
    return "\n".join([platform.machine(), *sorted(set(keep))])


def cache_dir() -> Path:
    from randrnn.cache import cache_dir as root

    return root() / "native"


def _build(compiler: str, target: Path) -> None:
    """Compile into a temporary file beside the target, then rename it into place (atomic:
    other processes see all of it or nothing). Compilers that refuse ``-march=native`` (some
    ARM toolchains) get a second try without it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    portable = [f for f in FLAGS if not f.startswith("-march")]
    fd, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        for flags in (FLAGS, portable):
            done = subprocess.run([compiler, *flags, str(SOURCE), "-o", partial],
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if done.returncode == 0:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(partial, 0o755 & ~umask)  # mkstemp made it private; others may share
                os.replace(partial, target)
                return
        lines = done.stderr.strip().splitlines()
        first = next((x for x in lines if "error" in x), lines[0] if lines else "no message")
        raise NativeUnavailable(f"compiling {SOURCE.name} with {compiler} failed: {first}")
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


@cache
def library() -> ctypes.CDLL:
    """Build (once per source, compiler and CPU) and load the native library."""
    compiler = _compiler()
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                                 check=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as err:
        raise NativeUnavailable(f"{compiler} does not run: {err}") from err
    key = hashlib.sha256(
        "\0".join([SOURCE.read_text(), " ".join(FLAGS), version, _cpu()]).encode()
    ).hexdigest()[:16]
    target = cache_dir() / key / "librandrnn.so"
    if not target.exists():
        _build(compiler, target)
    lib = ctypes.CDLL(str(target))
    for suffix in _SUFFIX.values():
        for name in ("forward", "backward", "train"):
            getattr(lib, f"randrnn_{name}_{suffix}").restype = None
    return lib


@cache
def available() -> bool:
    """True if the native library builds and loads here; if not, says why once (a warning)."""
    try:
        library()
    except (NativeUnavailable, OSError) as err:
        warnings.warn(f"native engine unavailable ({err}); training with the wavefront engine "
                      "(slower)", RuntimeWarning, stacklevel=2)  # fmt: skip
        return False
    return True


@dataclass(frozen=True)
class NativePlan:
    """The edges of a pack: for model m and unit i, edges ptr[m, i] … ptr[m, i + 1] − 1.

    Edge q reads unit src[q] at step t − toff[q] (0: an earlier layer at the same step; 1: the
    unit's own layer at the previous step) with the gate-0 weight at flat offset woff[q] of w
    (of w_hh for GRU recurrence); gate k's weight is k·N entries further. Bit k of live[q] says
    that gate k's weight exists: the kernel does no work for the others (pruned weights).
    """

    cell: int  # `Cell.code`: the kernel's branch
    g: int
    n: int
    gates: int
    ptr: Tensor  # (G, N + 1) int32
    src: Tensor  # (E,) int32
    toff: Tensor  # (E,) int32
    woff: Tensor  # (E,) int64
    live: Tensor  # (E,) int32 bit mask of the gates whose weight exists
    units: Tensor  # (G,) int32 real units per model
    first: Tensor  # (G,) int32 layer-0 units per model

    def readout_index(self, t: int, lengths: Tensor, read_unit: Tensor) -> Tensor:
        """(G, B, R) offsets into h (G, T, N, B) of each readout unit at each true last step."""
        b = lengths.shape[0]
        model = torch.arange(self.g).view(-1, 1, 1) * (t * self.n * b)
        step = (lengths.view(1, b, 1) - 1) * (self.n * b)
        return model + step + read_unit * b + torch.arange(b).view(1, b, 1)


def step_widths(lengths: Tensor, steps: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """(steps,) int64: for a batch sorted by length, longest first, how many strings the kernel
    computes at each step — those still running, rounded up to the kernel's block of two
    vectors (16 floats, 8 doubles) and at most the batch. Never increasing, so a string computed
    at a step was computed at the step before."""
    block = 2 * 32 // torch.empty((), dtype=dtype).element_size()
    running = (lengths.view(1, -1) > torch.arange(steps).view(-1, 1)).sum(1)
    return torch.clamp((running + block - 1) // block * block, max=lengths.shape[0])


def _ptr(x: Tensor | None) -> ctypes.c_void_p:
    return ctypes.c_void_p(x.data_ptr() if x is not None and x.numel() else 0)


def _plan_args(plan: NativePlan) -> list[ctypes.c_void_p]:
    return [
        _ptr(x)
        for x in (plan.ptr, plan.src, plan.toff, plan.woff, plan.live, plan.units, plan.first)
    ]


class NativeRecurrence(torch.autograd.Function):
    """h (G, T, N, B) of a pack from the table, the codes and the weights (see module docs).

    Given the readout's offsets into h, it returns just those: the gradient of h is then built
    once in backward, where the kernel accumulates into it anyway.
    """

    @staticmethod
    def forward(ctx, plan: NativePlan, index, table, codes, w, w_hh, b_hh, width=None):
        """h (G, T, N, B), or with ``index`` (flat offsets into h) only those entries.

        ``width`` (T,) int64 (`step_widths`): the strings to compute at each step, for a batch
        sorted by length, longest first; entries of h past a string's end are then left
        unwritten (never read: the readout reads each string's last step). None: all of them.
        """
        lib = library()
        g, n = plan.g, plan.n
        b, t = codes.shape
        dtype = table.dtype
        table, w = table.contiguous(), w.contiguous()
        codes = codes.to(torch.int64).contiguous()
        if codes.numel() and not 0 <= int(codes.min()) <= int(codes.max()) < 128:
            raise ValueError("character codes must be ASCII (0–127)")  # the table has 128 rows
        if w_hh is not None:
            w_hh, b_hh = w_hh.contiguous(), b_hh.contiguous()
        if any(x is not None and x.dtype != dtype for x in (w, w_hh, b_hh)):
            raise TypeError("table and weights must have one dtype")
        if dtype not in _SUFFIX:
            raise TypeError(f"the native engine runs float32 and float64, not {dtype}")
        # Gates (and LSTM cells / GRU recurrent parts) of every step are kept for backward;
        # without gradients, a ring of two steps is enough.
        kept = t if any(ctx.needs_input_grad) else 2
        reads = index.numel() // g if index is not None else 0  # entries of h read, per model
        shape = torch.tensor([g, n, b, t, plan.cell, plan.gates, kept, reads])
        if width is not None:
            width = width.to(torch.int64).contiguous()
            if width.shape != (t,) or (t and int(width.max()) > b):
                raise ValueError("width must hold one count per step, each at most the batch")
        h = table.new_empty(g, t, n, b)  # the kernel writes all of it, padding units as zeros
        act = table.new_empty(g, kept, plan.gates, n, b)
        extra = table.new_empty(g, kept, n, b) if plan.gates > 1 else None
        getattr(lib, f"randrnn_forward_{_SUFFIX[dtype]}")(
            _ptr(shape), _ptr(width), *_plan_args(plan), _ptr(table), _ptr(codes), _ptr(w), _ptr(w_hh),
            _ptr(b_hh), _ptr(h), _ptr(act), _ptr(extra),
        )  # fmt: skip
        ctx.plan, ctx.has_index = plan, index is not None
        ctx.save_for_backward(shape, codes, w, w_hh, h, act, extra, index, width)
        return h if index is None else torch.take(h, index)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h):
        shape, codes, w, w_hh, h, act, extra, index, width = ctx.saved_tensors
        plan = ctx.plan
        # The kernel takes the readout's gradient as it is (entries of h and their offsets) and
        # keeps the state gradient itself, two steps at a time: no (G, T, N, B) tensor here.
        grad = grad_h.to(w.dtype).contiguous()
        index = index.contiguous() if ctx.has_index else None
        g_table = w.new_zeros(plan.g, 128, plan.gates * plan.n)
        g_w = torch.zeros_like(w)
        g_w_hh = torch.zeros_like(w_hh) if w_hh is not None else None
        g_b_hh = w.new_zeros(plan.g, plan.gates * plan.n) if w_hh is not None else None
        getattr(library(), f"randrnn_backward_{_SUFFIX[w.dtype]}")(
            _ptr(shape), _ptr(width), *_plan_args(plan), _ptr(codes), _ptr(w), _ptr(w_hh),
            _ptr(h), _ptr(act), _ptr(extra), _ptr(index), _ptr(grad), _ptr(g_table), _ptr(g_w),
            _ptr(g_w_hh), _ptr(g_b_hh),
        )  # fmt: skip
        return None, None, g_table, None, g_w, g_w_hh, g_b_hh, None


class NativeLoss(torch.autograd.Function):
    """A training step's losses, model by model: each model's mean cross-entropy (G,) on a
    batch and its logits (G, B, 2), from one kernel call that also computes every gradient —
    each model's forward, readout, loss and at once its backward, while its stored states are
    still in cache (`NativeRecurrence` keeps all models' states, and its backward reads them
    back from memory). The backward scales those gradients by each loss's incoming gradient;
    the logits carry none (they are for counting what is right).

    ``index`` (G, B, R): offsets into h (G, T, N, B) of the readout units at each string's last
    step (`NativePlan.readout_index`); ``w_out`` (G, R, 2), ``b_out`` (G, 2): the readout;
    ``labels`` (B,); the rest as `NativeRecurrence`, the batch sorted longest first where
    ``width`` is given.
    """

    @staticmethod
    def forward(ctx, plan, index, table, codes, w, w_hh, b_hh, width, w_out, b_out, labels):
        g, n = plan.g, plan.n
        b, t = codes.shape
        dtype = table.dtype
        if dtype not in _SUFFIX or any(x is not None and x.dtype != dtype
                                       for x in (w, w_hh, b_hh, w_out, b_out)):  # fmt: skip
            raise TypeError("table and weights must have one dtype, float32 or float64")
        codes = codes.to(torch.int64).contiguous()
        if codes.numel() and not 0 <= int(codes.min()) <= int(codes.max()) < 128:
            raise ValueError("character codes must be ASCII (0–127)")
        table, w, w_out, b_out = (x.contiguous() for x in (table, w, w_out, b_out))
        if w_hh is not None:
            w_hh, b_hh = w_hh.contiguous(), b_hh.contiguous()
        if width is not None:
            width = width.to(torch.int64).contiguous()
        model = torch.arange(g).view(-1, *[1] * (index.dim() - 1)) * (t * n * b)
        read = (index - model).to(torch.int64).contiguous()  # offsets into one model's h
        labels = labels.to(torch.int64).contiguous()
        shape = torch.tensor([g, n, b, t, plan.cell, plan.gates, t, read.numel() // g])
        losses, logits = table.new_empty(g), table.new_empty(g, b, 2)
        grads = [torch.zeros_like(table), torch.zeros_like(w),
                 None if w_hh is None else torch.zeros_like(w_hh),
                 None if b_hh is None else torch.zeros_like(b_hh),
                 torch.zeros_like(w_out), torch.zeros_like(b_out)]  # fmt: skip
        getattr(library(), f"randrnn_train_{_SUFFIX[dtype]}")(
            _ptr(shape), _ptr(width), *_plan_args(plan), _ptr(table), _ptr(codes), _ptr(w),
            _ptr(w_hh), _ptr(b_hh), _ptr(read), _ptr(w_out), _ptr(b_out), _ptr(labels),
            _ptr(losses), _ptr(logits), *map(_ptr, grads),
        )  # fmt: skip
        ctx.mark_non_differentiable(logits)
        ctx.grads = grads
        return losses, logits

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_losses, grad_logits):
        scale = grad_losses.reshape(-1)

        def scaled(x: Tensor | None) -> Tensor | None:
            return None if x is None else x * scale.view(-1, *[1] * (x.dim() - 1))

        g_table, g_w, g_w_hh, g_b_hh, g_w_out, g_b_out = map(scaled, ctx.grads)
        ctx.grads = None
        return (None, None, g_table, None, g_w, g_w_hh, g_b_hh, None, g_w_out, g_b_out, None)
