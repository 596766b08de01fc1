"""Batching as an explicit choice: bucket (similar lengths) or shuffle (random), recorded in the
config and its hash, readable from configs stored before the choice existed."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randrnn import studyfile
from randrnn.cli import main
from randrnn.cli.study import VALIDATORS, commands
from randrnn.errors import RandRNNError
from randrnn.store import config_hash
from randrnn.training.batches import BATCHINGS, train_batches
from randrnn.training.config import TrainConfig
from randrnn.training.loop import prepare_data

DATA = Path(__file__).resolve().parents[2] / "data" / "reber"


def numpy_shuffled_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The documented shuffled order, computed directly: one seeded permutation of the rows cut
    into batches, then the batches in a seeded random order."""
    rng = np.random.default_rng([seed, epoch])
    rows = rng.permutation(n)
    cuts = [rows[i : i + batch_size] for i in range(0, n, batch_size)]
    return [cuts[i] for i in rng.permutation(len(cuts))]


@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=300),
    st.integers(1, 70),
    st.integers(0, 2**31),
    st.integers(0, 20),
    st.sampled_from(BATCHINGS),
)
@settings(max_examples=60, deadline=None)
def test_every_row_once_per_epoch(lengths, batch_size, seed, epoch, batching) -> None:
    """Either way, an epoch's batches hold every row exactly once, all full but at most one."""
    batches = train_batches(np.array(lengths), batch_size, seed, epoch, batching)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert sum(len(b) != batch_size for b in batches) <= 1


@pytest.mark.parametrize("epoch", [0, 3])
def test_shuffle_is_the_seeded_permutation(epoch: int) -> None:
    """shuffle: exactly the seeded permutation computed independently with numpy."""
    lengths = np.random.default_rng(7).integers(5, 50, size=1000)
    ours = train_batches(lengths, 64, seed=11, epoch=epoch, batching="shuffle")
    theirs = numpy_shuffled_batches(1000, 64, seed=11, epoch=epoch)
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


def test_shuffle_batches_are_not_length_sorted_but_bucket_batches_are() -> None:
    """Within-batch length spread: shuffle keeps that of the whole set, bucket leaves almost
    none; bucket batches cover disjoint length ranges and are sorted inside, in random order."""
    lengths = np.random.default_rng(3).integers(5, 50, size=2000)
    shuffled = train_batches(lengths, 100, 0, 0, "shuffle")
    bucketed = train_batches(lengths, 100, 0, 0, "bucket")
    spread = np.mean([lengths[b].std() for b in shuffled])
    assert abs(spread - lengths.std()) < 0.1 * lengths.std()
    assert np.mean([lengths[b].std() for b in bucketed]) < 0.1 * lengths.std()
    for b in bucketed:
        assert np.all(np.diff(lengths[b]) >= 0)
    ranges = sorted((lengths[b].min(), lengths[b].max()) for b in bucketed)
    assert all(hi <= next_lo for (_, hi), (next_lo, _) in itertools.pairwise(ranges))
    firsts = [lengths[b].min() for b in bucketed]
    assert firsts != sorted(firsts)  # the batch order itself is shuffled


def test_batching_is_part_of_the_config_hash() -> None:
    """Configs that differ only in batching are different runs."""
    bucket, shuffle = TrainConfig(batching="bucket"), TrainConfig(batching="shuffle")
    assert TrainConfig().batching == "shuffle"  # the default, chosen by measurement
    assert bucket.to_dict()["batching"] == "bucket"
    assert config_hash(bucket.to_dict()) != config_hash(shuffle.to_dict())


@pytest.mark.parametrize(("bucket", "batching"), [(True, "bucket"), (False, "shuffle")])
def test_configs_stored_with_bucket_stay_readable(bucket: bool, batching: str) -> None:
    """A config stored by an older study ({..., 'bucket': bool}) reads as the same training."""
    stored = {**TrainConfig(epochs=3).to_dict(), "bucket": bucket}
    del stored["batching"]
    config = TrainConfig.from_dict(stored)
    assert config == TrainConfig(epochs=3, batching=batching)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_unknown_batching_is_one_line() -> None:
    """An unknown batching raises one line listing the known ones, in the config and in
    the batch maker."""
    with pytest.raises(RandRNNError, match="unknown batching 'sorted'; known: shuffle, bucket"):
        TrainConfig(batching="sorted")
    with pytest.raises(RandRNNError, match="unknown batching 'sorted'"):
        train_batches(np.arange(5), 2, 0, 0, "sorted")


@pytest.mark.parametrize(
    "args",
    [
        ["train-all", "--batching", "sorted"],
        ["prune", "--batching", "sorted"],
        ["bench", "--batching", "sorted"],
    ],
    ids=["train-all", "prune", "bench"],
)
def test_cli_unknown_batching_exits_1_with_the_message(
    args: list[str], tmp_path: Path, monkeypatch, capsys
) -> None:
    """train-all, prune and bench reject an unknown --batching in one line, exit code 1,
    before creating a study."""
    monkeypatch.setattr(sys, "argv", ["randrnn", *args, "--study", str(tmp_path / "s")])
    with pytest.raises(SystemExit) as info:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 1
    assert "unknown batching 'sorted'; known: shuffle, bucket" in err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("stage", ["train-all", "prune"])
def test_study_file_passes_batching(stage: str, tmp_path: Path) -> None:
    """A study file's batching key reaches the command's --batching option."""
    path = tmp_path / "s.toml"
    path.write_text(f'[{stage}]\nbatching = "shuffle"\n')
    step = studyfile.load(path, commands(), None, VALIDATORS).steps[0]
    assert step.args[step.args.index("--batching") + 1] == "shuffle"


def one_class_share(batches: list[np.ndarray], labels: np.ndarray) -> float:
    """Share of batches in which more than 90 % of the strings have one label."""
    majority = [max(labels[b].mean(), 1 - labels[b].mean()) for b in batches]
    return float(np.mean(np.array(majority) > 0.9))


def test_on_the_shipped_data_bucketed_batches_can_be_one_class() -> None:
    """Shipped training set, batch 128, epoch 0, seed 0: some bucketed batches (about 8 %) are
    more than 90 % one class, since length predicts the label; no shuffled batch is."""
    frame = pd.read_csv(DATA / "train.csv", keep_default_na=False)
    lengths = frame["string"].str.len().to_numpy()
    labels = frame["valid"].to_numpy()
    train, _ = prepare_data(frame, frame.head(1), TrainConfig())
    assert np.array_equal(train.lengths.numpy(), lengths)
    assert np.array_equal(train.labels.numpy(), labels)
    bucket = one_class_share(train_batches(lengths, 128, 0, 0, "bucket"), labels)
    shuffle = one_class_share(train_batches(lengths, 128, 0, 0, "shuffle"), labels)
    assert 0.05 < bucket < 0.12
    assert shuffle == 0.0
