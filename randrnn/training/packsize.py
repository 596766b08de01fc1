"""How many models a CUDA pack holds: free GPU memory over a measured per-model cost.

The cost of one model is measured, not guessed: a probe pack of the largest models takes one
training step on the longest strings of the data, and its peak memory over the models is the
cost of one (a pack is padded to its largest model, and the models are sorted by size, so the
largest ones bound every pack). A requested ``--pack-size`` that does not fit is split into
packs that do, with one warning line; a model that alone does not fit is an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from randrnn.errors import RandRNNError
from randrnn.models.graph_rnn import GraphRNN
from randrnn.training.batches import Encoded
from randrnn.training.config import TrainConfig

SHARE = 0.8  # of the free memory a pack may take (the allocator and evaluation need the rest)
PROBE = 4  # models in the probe pack
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


def measure_per_model(
    models: Sequence[GraphRNN], train: Encoded, config: TrainConfig, engine: str
) -> float:
    """Peak CUDA bytes per model of one training step of a probe pack of the largest models
    (copies: the models themselves are not touched)."""
    import copy

    from randrnn.training.engine import PackedModels, _losses

    probe = [copy.deepcopy(m) for m in models[-PROBE:]]
    longest = torch.argsort(train.lengths, descending=True)[: config.batch_size]
    codes, lengths, labels = train.to("cuda").batch(longest.numpy(), int(train.lengths.max()))
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    pack = PackedModels(probe, engine, "cuda")
    _losses(pack.forward(codes, lengths), labels).sum().backward()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before
    del pack
    torch.cuda.empty_cache()
    return peak / len(probe)


def cuda_pack_size(
    models: Sequence[GraphRNN],
    train: Encoded,
    config: TrainConfig,
    engine: str,
    requested: int | None,
) -> int:
    """Models per CUDA pack for ``models`` sorted by size (`engine.pack_order`)."""
    per_model = measure_per_model(models, train, config, engine)
    free, _ = torch.cuda.mem_get_info()
    return min(fitting_pack(requested, per_model, free), len(models))
