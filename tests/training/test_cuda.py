"""On a CUDA GPU: the dense engine there gives the CPU's results, packs size themselves from
free memory, and trained weights come back to the models on the host. Skipped without a GPU
(`scripts/gpu-check.sh` runs them)."""

from __future__ import annotations

import pytest
import torch

from randrnn.models.cells import CELLS
from randrnn.training.devicecheck import TOLERANCE, compare_devices, host_syncs_per_batch

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"),
]


def test_cuda_gives_the_cpus_results_for_every_cell() -> None:
    """Three graphs × every cell, one epoch: weights within 1e-4 of the CPU engine's, the
    same test accuracy (float32 sums in another order on the GPU)."""
    rows = compare_devices("cuda", graphs=3, max_train=400, cells=list(CELLS))
    for row in rows:
        assert row["max_weight_diff"] < TOLERANCE, row
        assert row["same_test_acc"], row


def test_pack_size_from_memory_and_weights_back_on_the_host() -> None:
    """Without --pack-size the pack is sized from free memory; a requested pack far beyond
    it is split with one warning; the models end on the CPU with trained weights."""
    from randrnn.models.graph_rnn import build_model
    from randrnn.reber import make_dataset
    from randrnn.training.bench import sample_dags
    from randrnn.training.config import TrainConfig
    from randrnn.training.engine import probe_bytes, train_many
    from randrnn.training.loop import encode_split
    from randrnn.training.packsize import cuda_pack_size

    train, test = (encode_split(s) for s in make_dataset(n=300, seed=1, test_fraction=0.25))
    config = TrainConfig(epochs=1, batch_size=32)
    models = [build_model(d, "gru", seed=i) for i, d in enumerate(sample_dags(4, seed=0))]
    before = [m.readout.weight.clone() for m in models]
    per_model = probe_bytes(models, train, config, "dense")
    assert per_model > 0
    assert cuda_pack_size(per_model, None, len(models)) == len(models)
    train_many(models, train, test, config, device="cuda")
    assert all(m.readout.weight.device.type == "cpu" for m in models)
    assert all(not torch.equal(a, m.readout.weight) for a, m in zip(before, models))
    with pytest.warns(RuntimeWarning, match="does not fit"):
        assert cuda_pack_size(per_model, 10**9, 10**9) < 10**9


def test_sparse_engine_never_waits_for_the_gpu_inside_an_epoch() -> None:
    """torch's sync debug mode sees no host synchronisation per batch on the sparse engine
    (what a CUDA graph of a batch needs), also none inside kernels that `bench --profile`
    cannot see (an index_put_'s range check reads its indices back)."""
    assert host_syncs_per_batch("cuda", "sparse") == 0
