"""Tests of randrnn.tasks.split and the splits of make_dataset: test strings never in train,
length generalisation, and randrnn 0.1's sets rebuilt byte for byte."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from randrnn.errors import RandRNNError
from randrnn.tasks import TASKS, get_task
from randrnn.tasks import baselines as b
from randrnn.tasks import data as d
from randrnn.tasks.split import fill_test, parse_lengths

# sha256 of csv_text(train) + csv_text(test) of make_dataset(task, negatives=kind, n=n,
# seed=seed) as randrnn 0.1 made them: computed with the code of main at commit 2f71074 (before
# the split and Dyck's 'swap' existed), PYTHONPATH pointing at that checkout, by
#   for each registered (task, kind): hashlib.sha256((csv_text(train) + csv_text(test))
#   .encode()).hexdigest()
# Today they are the sets of `--split shuffled` (the kind named, e.g. dyck-2:edit).
OLD_SETS = {
    (
        "reber",
        "thesis",
        2000,
        1,
    ): "75cd58b7edd40e6721a0464155542a945185bb19ae9e18fb7f5836023a8f06c1",
    ("reber", "hard", 2000, 1): "8b42c822cfbf0efdc3f2e6a45f5c493b7d7b306fdd28180264b66abf1e178f53",
    (
        "embedded-reber",
        "mismatch",
        2000,
        1,
    ): "49e1a34e9ca8af6800c8b2a4899dd6f53d5d55f1da9260fcfb8a140c25383bb5",
    (
        "embedded-reber",
        "thesis",
        2000,
        1,
    ): "bb1cc693af121c399c6bdd76ab6c68c9c8773a68dd77718eddbd4906e27d9ab2",
    (
        "embedded-reber",
        "hard",
        2000,
        1,
    ): "5be15667e6701e2ef3fb7d6adcd2249b90060669d46a11ab09819858cb583601",
    (
        "tomita-1",
        "complement",
        2000,
        1,
    ): "fdd49a098a63316d5ecb404973e17bdd83cc838816848ef1fa01f0431e4f7ffa",
    (
        "tomita-1",
        "edit",
        2000,
        1,
    ): "7b2d6395540e5ee7001c50cab9f94c598282e6f5369df60a786da36c1297225e",
    (
        "tomita-2",
        "complement",
        2000,
        1,
    ): "98bf499746e18f9b51146ee56210d0cca1045b2c66ccc6a433068e9e8a3d8525",
    (
        "tomita-2",
        "edit",
        2000,
        1,
    ): "ff44c0751b964a6e3b5948f6ee181c3502bc5c6a361429157008787c2d0b31dc",
    (
        "tomita-3",
        "complement",
        2000,
        1,
    ): "2b5d1bc85ffad076859e1b84c030dbd47e763735d0ea4c6e4ee4e6c8ce0f8c75",
    (
        "tomita-3",
        "edit",
        2000,
        1,
    ): "7ada88411dfea6283d8552cc912344b2d69e2e30e6dfcfa6ae7e2948a0722a8c",
    (
        "tomita-4",
        "complement",
        2000,
        1,
    ): "e63e08869a89d98dff884bcdb7f29be4a81c1c1eb0b316b4f7835728e8612f36",
    (
        "tomita-4",
        "edit",
        2000,
        1,
    ): "bd90fc284e19746fe7133f268a36578dc08f9a9524a381137ee0126190d76370",
    (
        "tomita-5",
        "complement",
        2000,
        1,
    ): "857b719b0f860a8d9db6318f5997ea9f19a904030f93b4f908ac909fc1dba791",
    (
        "tomita-5",
        "edit",
        2000,
        1,
    ): "bd8c5a093fc16fcc2e939a631fb225d3e04a14a11ecb9299ca098620e190be18",
    (
        "tomita-6",
        "complement",
        2000,
        1,
    ): "8075620d2d65a643cb55afc8424e8ee1815c631e0e213dc62e78c77635ff33a5",
    (
        "tomita-6",
        "edit",
        2000,
        1,
    ): "24964de83d973cfe87da6df4b120d62f2d61b97a277ffe8807e57d441f3ec68c",
    (
        "tomita-7",
        "complement",
        2000,
        1,
    ): "d61f457bcbf38540f316ae19e6582499cc02e9859ad097a20abe2a302314b417",
    (
        "tomita-7",
        "edit",
        2000,
        1,
    ): "97af682eb7aa0153c32712632f21fe26a1ec161da0616c23fd007b922214feac",
    ("dyck-1", "edit", 2000, 1): "3c38f963190754cd5b0e2cb3ba2585e8f2dfd38c021b3b9000f6de2130a059eb",
    ("dyck-2", "edit", 2000, 1): "0d8c92dce9505318d11193b1600897f242cfe9528fc90c041d73c080b4613b60",
    (
        "anbn",
        "matched",
        2000,
        1,
    ): "77129a517157c7161922d98e737367a8f34e4efe7b679e6b5619adcf1c4cca39",
    ("anbn", "near", 2000, 1): "8ac76db3161acb7a8e26f52d52b693cb53d730e758eccd3ec14fe3327344aaac",
}
OLD_FULL_SETS = {  # the same at the default size (n = 25,000, seed 0); the Dyck ones are tested
    (
        "reber",
        "thesis",
        25000,
        0,
    ): "c603ea0b447307c5bc782cad566738bf5cc6f8c2d29fbaead8925cc1c6181dd6",
    ("reber", "hard", 25000, 0): "094807e0d67db533d139ae07d382de0386843464b56aae3ae3310e0854e2c936",
    (
        "embedded-reber",
        "mismatch",
        25000,
        0,
    ): "97d765c7bee2e89e4bf6eb76b222ae45333a0a7f19c1efb46075fb496a73bc74",
    (
        "embedded-reber",
        "thesis",
        25000,
        0,
    ): "22912008de0efe0c496f2fd40ce8e17ad6d2da09954ce42d7ec6f504dda7d2b1",
    (
        "embedded-reber",
        "hard",
        25000,
        0,
    ): "320e10665a6ae5e4d60d643e660b8ae449acfc1f69cbdf25b5720a41fac21606",
    (
        "tomita-1",
        "complement",
        25000,
        0,
    ): "aceb0c7b45e5838dde51b57af5e9c4e40e6a51d5a0dd65a452aa36375492410b",
    (
        "tomita-1",
        "edit",
        25000,
        0,
    ): "9d0052981bcba76347fa4bcc1db430e895a9036eac7d444a3e717f67d0bb10fa",
    (
        "tomita-2",
        "complement",
        25000,
        0,
    ): "fdaef13d35068283ed9b25b9d3b9de1dfc353717849a26fdb44162bf1ac263b4",
    (
        "tomita-2",
        "edit",
        25000,
        0,
    ): "4921990666c5dd2bcaeb85d522deba1da8f7c86a8e2461bafc8e751cdea072ec",
    (
        "tomita-3",
        "complement",
        25000,
        0,
    ): "4e9e0d3dd2b04c1dfbdf5e5c07fb66ee65067cdb686b6376e8e5f61fbd82c451",
    (
        "tomita-3",
        "edit",
        25000,
        0,
    ): "7b0a093529ebd3cfa9d0d00eeb8da7cea5b642b842cc4b1d36ff4741d7ede1b0",
    (
        "tomita-4",
        "complement",
        25000,
        0,
    ): "3f83aaa0a72a2c3a36bf9bb80302d54581729e71f328d1d208d9ab28c0369dd3",
    (
        "tomita-4",
        "edit",
        25000,
        0,
    ): "00b64a77df873041f57299cb1b929da67d7a39297636d65ebee1b63916a7ea5e",
    (
        "tomita-5",
        "complement",
        25000,
        0,
    ): "77b57bcaec0851a94373528e37eb65fed05c7a7fd219a678dd53ca603e5394de",
    (
        "tomita-5",
        "edit",
        25000,
        0,
    ): "50c81efe77d7b859ae610db2e0252b96c799bfb42bd068c646558c42f74e4e88",
    (
        "tomita-6",
        "complement",
        25000,
        0,
    ): "70c2e5e295c09baa7ce481b7e514937f6c2feeff854f35122b6049a23480ee2d",
    (
        "tomita-6",
        "edit",
        25000,
        0,
    ): "dff163cd75b834a4e2df57d9909d70186ab24c2befe21866f6785cd5a36b4d69",
    (
        "tomita-7",
        "complement",
        25000,
        0,
    ): "c14dedab1959cc1903800924afb8574eb6e63c56b21d80e9f2fd14235ed796c8",
    (
        "tomita-7",
        "edit",
        25000,
        0,
    ): "37c67b774739650b145fe4e0319158b50ae81efde38260a80c66eee66bc9361a",
    (
        "dyck-1",
        "edit",
        25000,
        0,
    ): "51acb6419cb506573cf8b5eb5a4234a96cd284a28343a1625f863c860fd7586d",
    (
        "dyck-2",
        "edit",
        25000,
        0,
    ): "9c940bcdad606607198f7b10cb244da4c9eb9570f6e60b9a64f9c386a626d0f2",
    (
        "anbn",
        "matched",
        25000,
        0,
    ): "cae161105384ffa1985d5555c31781d8894bfd150a77281045e35efd8d8bbe31",
    ("anbn", "near", 25000, 0): "ae58944a63189077576433e20f4c50199255322740eb6b7f3d145933d9f5107c",
}


def _digest(train: pd.DataFrame, test: pd.DataFrame) -> str:
    return hashlib.sha256((d.csv_text(train) + d.csv_text(test)).encode()).hexdigest()


@pytest.mark.parametrize(("task", "kind", "n", "seed"), sorted(OLD_SETS))
def test_old_sets_build_byte_for_byte(task: str, kind: str, n: int, seed: int) -> None:
    """Every kind of negatives of randrnn 0.1, under its name with --split shuffled, gives the
    files it gave then."""
    train, test = d.make_dataset(task, negatives=kind, n=n, seed=seed, split="shuffled")
    assert _digest(train, test) == OLD_SETS[task, kind, n, seed]


@pytest.mark.parametrize("task", ["dyck-1", "dyck-2"])
def test_old_default_dyck_sets_build_byte_for_byte(task: str) -> None:
    """The Dyck default sets of randrnn 0.1 (25,000 strings, seed 0) are dyck-N:edit with
    --split shuffled."""
    train, test = d.make_dataset(f"{task}:edit", split="shuffled")
    assert _digest(train, test) == OLD_FULL_SETS[task, "edit", 25000, 0]


@pytest.fixture(scope="module")
def default_sets() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """The default set of every task (25,000 strings, seed 0, its default negatives and split),
    reber's generated one (not the shipped one)."""
    return {name: d.make_dataset(name) for name in TASKS}


@pytest.mark.parametrize("task", list(TASKS))
def test_no_test_string_is_in_train(task: str, default_sets) -> None:
    """On the default set of every task the share of test strings found in train is 0."""
    train, test = default_sets[task]
    assert not set(test["string"]) & set(train["string"])
    assert len(test) == 6250 and test["valid"].sum() + train["valid"].sum() == 12500


@pytest.mark.parametrize("task", list(TASKS))
def test_counts_and_memorise_on_every_default_set(task: str) -> None:
    """The counts and memorise baselines are computed on every task's default recipe (4,000
    strings here for speed; the default sets' figures are in docs/method.md §9.3), and memorise
    is the majority baseline there, as no test string is in train."""
    train, test = d.make_dataset(task, n=4000)
    got = {
        name: b.BASELINES[name].score(train, test) for name in ("majority", "counts", "memorise")
    }
    assert 0 <= got["counts"] <= 1 and got["memorise"] == got["majority"]


@pytest.mark.parametrize("task", ["dyck-1", "dyck-2"])
def test_counts_cannot_tell_dyck_default_sets(task: str, default_sets) -> None:
    """On the default Dyck sets (25,000 strings) counting letters is no better than chance:
    the counts baseline scores at most 0.55; on the former default (edit) it scores above 0.8."""
    assert b.counts_accuracy(*default_sets[task]) <= 0.55
    old = d.make_dataset(f"{task}:edit", n=4000, split="shuffled")
    assert b.counts_accuracy(*old) > 0.8


def test_anbn_test_words_are_longer_than_every_training_word(default_sets) -> None:
    """aⁿbⁿ is tested as the field tests it: every default test word (valid or not) is longer
    than every training word; the valid test words are aⁿbⁿ for n 26..50."""
    train, test = default_sets["anbn"]
    assert test["string"].str.len().min() > train["string"].str.len().max() == 50
    valid = test.loc[test["valid"] == 1, "string"]
    assert sorted({len(s) // 2 for s in valid}) == list(range(26, 51))


def test_the_split_redraws_only_test_strings() -> None:
    """Whatever the split, train is the same; 'disjoint' keeps every drawn test string that is
    not in train where it was, and the labels of all test rows."""
    kwargs = {"n": 3000, "seed": 2}
    shuffled = d.make_dataset("dyck-2", split="shuffled", **kwargs)
    disjoint = d.make_dataset("dyck-2", split="disjoint", **kwargs)
    longer = d.make_dataset("dyck-2", split="length", test_lengths=(52, 60), **kwargs)
    assert shuffled[0].equals(disjoint[0]) and shuffled[0].equals(longer[0])
    seen = set(shuffled[0]["string"])
    kept = ~shuffled[1]["string"].isin(seen)
    assert 0.5 < kept.mean() < 1  # short Dyck strings recur, so some were redrawn
    assert disjoint[1][kept].equals(shuffled[1][kept])
    assert (disjoint[1]["valid"] == shuffled[1]["valid"]).all()
    assert (longer[1]["valid"] == shuffled[1]["valid"]).all()
    assert longer[1]["string"].str.len().between(52, 60).all()


@pytest.mark.parametrize("task", ["dyck-1", "dyck-2", "tomita-3", "tomita-7", "anbn:near"])
def test_length_split_draws_longer_test_strings(task: str) -> None:
    """--split length: training strings up to --max-length, test strings of test_lengths (both
    classes, labels checked), the default test lengths from max_length + 1 to twice it."""
    train, test = d.make_dataset(task, n=800, seed=3, max_length=20, split="length")
    assert train["string"].str.len().max() <= 20
    assert test["string"].str.len().between(21, 40).all()
    t = get_task(task.split(":")[0])
    assert [int(t.accepts(s)) for s in test["string"]] == test["valid"].tolist()
    info = d.dataset_info(task, None, 800, 3, 0.25, 20, "length")
    assert (info["split"], info["test_lengths"]) == ("length", [21, 40])


def test_fill_test_redraws_exactly_the_strings_seen() -> None:
    """fill_test replaces the slots whose string is in train (and no other) by fresh strings
    of the slot's label that are not in train, in the order drawn."""
    slots = [("a", 1), ("b", 0), ("c", 1), ("d", 0)]
    pools = {1: iter(["a", "x", "y"]), 0: iter(["b", "z"])}
    got = fill_test(slots, {"a", "b"}, lambda label, k: [next(pools[label])], False, "t")
    assert got == [("x", 1), ("z", 0), ("c", 1), ("d", 0)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"task": "anbn", "split": "disjoint"}, "only 0 of .* valid test strings could avoid"),
     ({"task": "reber", "split": "length"}, "task reber has no split 'length'"),
     ({"task": "dyck-1", "split": "length", "test_lengths": (40, 60)}, "must lie above"),
     ({"task": "dyck-1", "test_lengths": (60, 80)}, "need --split length"),
     ({"task": "dyck-1", "split": "halves"}, "unknown split 'halves'")],
)  # fmt: skip
def test_impossible_splits_are_one_line(kwargs: dict, message: str) -> None:
    """A split no test set can satisfy, or that does not fit the task, is one clear line."""
    with pytest.raises(RandRNNError, match=message) as err:
        d.make_dataset(n=400, **kwargs)
    assert "\n" not in str(err.value)


def test_parse_lengths() -> None:
    """'LOW-HIGH' and one length; anything else is one line."""
    assert parse_lengths("51-100") == (51, 100) and parse_lengths("60") == (60, 60)
    assert parse_lengths(None) is None
    with pytest.raises(RandRNNError, match="LOW-HIGH"):
        parse_lengths("long")
