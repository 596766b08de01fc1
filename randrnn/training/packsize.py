"""How many models a CUDA pack holds: free GPU memory over a measured per-model cost.

The cost of one model is measured, not guessed (`engine.probe_bytes`): a probe pack of the
largest models takes one training step on the longest strings of the data, and its peak memory
over the models is the cost of one (a pack is padded to its largest model, and the models are
sorted by size, so the largest ones bound every pack). A requested ``--pack-size`` that does
not fit is split into packs that do, with one warning line; a model that alone does not fit is
an error.
"""

from __future__ import annotations

import warnings

import torch

from randrnn.errors import RandRNNError

SHARE = 0.8  # of the free memory a pack may take (the allocator and evaluation need the rest)
GIB = 2**30


def fitting_pack(requested: int | None, per_model: float, free: float) -> int:
    """Models per pack: ``requested`` if ``SHARE`` of ``free`` bytes holds it, else as many as
    it holds (with one warning line); None asks for as many as it holds."""
    holds = int(SHARE * free // max(per_model, 1.0))
    if holds < 1:
        raise RandRNNError(
            f"one model needs {per_model / GIB:.2f} GiB of GPU memory, {free / GIB:.2f} GiB are"
            " free: use --device cpu or a smaller --batch-size"
        )
    if requested is None:
        return holds
    if requested > holds:
        warnings.warn(
            f"--pack-size {requested} does not fit in {free / GIB:.1f} GiB free GPU memory "
            f"({per_model / 2**20:.0f} MiB per model): packs of {holds}",
            RuntimeWarning,
            stacklevel=3,
        )
        return holds
    return requested


def cuda_pack_size(per_model: float, requested: int | None, models: int) -> int:
    """Models per CUDA pack: ``fitting_pack`` with this GPU's free memory, at most ``models``
    (``per_model``: bytes one model needs, measured by `engine.probe_bytes`)."""
    free, _ = torch.cuda.mem_get_info()
    return min(fitting_pack(requested, per_model, free), models)
