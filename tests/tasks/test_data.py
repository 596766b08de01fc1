"""Tests of randrnn.tasks.data: every task's data sets (balance, labels, seeds, lengths), the
files with dataset.json, and the data a run trains on."""

from __future__ import annotations

import pandas as pd
import pytest

from randrnn.errors import RandRNNError
from randrnn.tasks import TASKS, get_task
from randrnn.tasks import data as d

SPECS = [f"{name}:{kind}" for name, t in TASKS.items() for kind in t.negatives]


@pytest.mark.parametrize("task", SPECS)
def test_every_task_makes_a_balanced_labelled_set(task: str) -> None:
    """n = 2,000: exactly half valid, labels agree with the validator, lengths within bounds
    (test strings of the split 'length' from the longest training length + 1 to twice it),
    non-empty ASCII strings, both classes in both splits."""
    train, test = d.make_dataset(task, n=2000, seed=1)
    df = pd.concat([train, test])
    t = get_task(task.split(":")[0])
    assert int(df["valid"].sum()) == 1000 and len(train) == 1500
    assert [int(t.accepts(s)) for s in df["string"]] == df["valid"].tolist()
    lengths, tested = train["string"].str.len(), test["string"].str.len()
    assert lengths.min() >= 1 and lengths.max() <= t.max_length
    low, high = (t.max_length + 1, 2 * t.max_length) if t.split == "length" else (1, t.max_length)
    assert tested.min() >= low and tested.max() <= high
    assert all(s.isascii() and "\x00" not in s for s in df["string"])
    assert train["valid"].nunique() == test["valid"].nunique() == 2


@pytest.mark.parametrize("task", ["tomita-3", "dyck-2:edit", "anbn", "embedded-reber"])
def test_same_seed_same_files(task: str, tmp_path) -> None:
    """Two sets made from one seed write byte-identical files; another seed differs."""
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        d.write_dataset(*d.make_dataset(task, n=600, seed=seed), tmp_path / name)
    for split in ("train.csv", "test.csv"):
        a, b, c = ((tmp_path / n / split).read_bytes() for n in "abc")
        assert a == b and a != c


def test_max_length_is_respected() -> None:
    """--max-length 12 caps every string at 12 letters, for a Reber and a Dyck task."""
    for task in ("reber", "dyck-1"):  # reber has too few strings of 11-12 letters for 'disjoint'
        train, test = d.make_dataset(task, n=400, max_length=12, split="shuffled")
        assert pd.concat([train, test])["string"].str.len().max() <= 12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"task": "nope"}, "unknown task 'nope'"),
     ({"task": "dyck-1", "negatives": "thesis"}, "unknown negatives 'thesis' for task dyck-1"),
     ({"task": "dyck-1", "max_length": 1}, "needs --max-length of at least 2"),
     ({"task": "tomita-7", "max_length": 3}, "needs --max-length of at least 4"),
     ({"task": "tomita-4", "n": 1}, "too small"),
     ({"task": "tomita-4", "n": 3}, "too small for a balanced split")],
)  # fmt: skip
def test_bad_requests_are_one_line(kwargs: dict, message: str) -> None:
    """Unknown names, impossible lengths and sets too small to hold both classes per split."""
    with pytest.raises(RandRNNError, match=message) as err:
        d.make_dataset(**kwargs)
    assert "\n" not in str(err.value)


def test_dataset_json_round_trip(tmp_path) -> None:
    """write_dataset with info writes dataset.json; read_info reads it; task_data takes the
    task from it and hashes the files as folder_key does."""
    info = d.dataset_info("reber", "hard", 400, 2, 0.25, None)
    assert info == {"task": "reber:hard", "negatives": "hard", "n": 400, "seed": 2,
                    "test_fraction": 0.25, "max_length": 53, "split": "disjoint",
                    "test_lengths": None, "version": d.DATA_VERSION}  # fmt: skip
    d.write_dataset(*d.make_dataset("reber:hard", n=400, seed=2), tmp_path, info)
    assert d.read_info(tmp_path) == info
    got = d.task_data(data_dir=tmp_path)
    assert got.task == "reber:hard" and got.source == str(tmp_path)
    assert got.key == d.folder_key(tmp_path)
    assert d.task_data("reber", "hard", tmp_path).task == "reber:hard"


def test_task_data_refuses_a_contradicting_task(tmp_path) -> None:
    """A folder made for one task cannot be trained as another."""
    info = d.dataset_info("tomita-4", None, 200, 0, 0.25, None)
    d.write_dataset(*d.make_dataset("tomita-4", n=200), tmp_path, info)
    with pytest.raises(RandRNNError, match="holds task tomita-4 .* not dyck-1"):
        d.task_data("dyck-1", None, tmp_path)


def test_a_folder_without_dataset_json_is_reber_or_as_told(tmp_path) -> None:
    """User data without dataset.json is the task given (default reber)."""
    d.write_dataset(*d.make_dataset(n=200), tmp_path)
    assert d.task_data(data_dir=tmp_path).task == "reber"
    assert d.task_data("dyck-1", None, tmp_path).task == "dyck-1"


def test_default_data_of_each_kind(tmp_path) -> None:
    """Plain reber is the shipped set; another task's default set is made from seed 0 with the
    defaults, and its key is the hash its files would have on disk."""
    shipped = d.task_data()
    assert (shipped.task, shipped.key, shipped.source) == ("reber", "shipped", "shipped")
    made = d.task_data("anbn")
    train, test = d.make_dataset("anbn")
    assert made.train.equals(train) and made.test.equals(test) and made.source == "default"
    d.write_dataset(train, test, tmp_path)
    assert made.key == d.folder_key(tmp_path)
    assert d.task_data("reber", "hard").key != made.key


def test_describe_counts_foreign_letters_of_the_task() -> None:
    """describe's foreign share counts letters outside the given alphabet."""
    df = pd.DataFrame({"string": ["0101", "0120", "1a", "11"], "valid": [1, 0, 0, 0]})
    assert d.describe(df, "01")["invalid_foreign_share"] == pytest.approx(2 / 3)


def test_a_run_records_its_data_recipe(tmp_path) -> None:
    """train-all's record() stores each data key's recipe in the study meta: the default set's
    (its dataset_info), the shipped set's (the thesis' split) and a 0.1 folder's (read as 0.1
    made it); runs on the former Dyck default and the new one never share a config hash."""
    from randrnn.store import Study, config_hash
    from randrnn.training.config import TrainConfig

    new, shipped = d.task_data("dyck-2"), d.task_data()
    folder = tmp_path / "old"
    d.write_dataset(*d.make_dataset("dyck-2:edit", n=200, split="shuffled"), folder,
                    {"task": "dyck-2", "negatives": "edit", "n": 200, "seed": 0})  # fmt: skip
    old = d.task_data(data_dir=folder)
    with Study.create(tmp_path / "study") as st:
        for found in (new, shipped, old):
            found.record(st)
        recipes = st.get_meta("recipes")
    assert recipes[new.key] == d.dataset_info("dyck-2") and recipes[new.key]["negatives"] == "swap"
    assert recipes["shipped"]["split"] == "shuffled" and recipes["shipped"]["task"] == "reber"
    assert (recipes[old.key]["task"], recipes[old.key]["version"]) == ("dyck-2:edit", 1)
    configs = [TrainConfig(data=f.key, task=f.task).to_dict() for f in (new, old)]
    assert config_hash(configs[0]) != config_hash(configs[1])


def test_a_folder_of_randrnn_0_1_is_read_with_its_own_negatives(tmp_path) -> None:
    """A dataset.json written by randrnn 0.1 names the task bare ('dyck-1', then meaning the
    'edit' negatives): the folder is read as dyck-1:edit, and asking for that spec is accepted."""
    import json

    import pandas as pd

    from randrnn.tasks.data import task_data

    rows = pd.DataFrame({"string": ["()", ")("], "valid": [1, 0]})
    rows.to_csv(tmp_path / "train.csv", index=False)
    rows.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "dataset.json").write_text(json.dumps({"task": "dyck-1", "negatives": "edit"}))
    assert task_data(None, None, tmp_path).task == "dyck-1:edit"
    assert task_data("dyck-1:edit", None, tmp_path).task == "dyck-1:edit"
