"""Tests of the Reber task through randrnn.reber (the names kept from before randrnn.tasks):
grammar, samplers, negatives, data sets, files, baselines, encoding."""

from __future__ import annotations

import math
import random
import re

import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from randrnn import reber
from randrnn.errors import RandRNNError
from randrnn.tasks import data as task_data

VALID_EXAMPLES = ["BTSXXTTTTVVE", "BPTVPXTTVVE", "BTXSE", "BPVVE"]
INVALID_EXAMPLES = ["BPSXXTTTVPSE", "BTTVPXTVPSE", "", "B", "BTXS", "BTXSEE", "TXSE", "BTXSE "]


def one_edit_neighbours(s: str, alphabet: str) -> set[str]:
    """Every string one substitution, insertion, deletion or adjacent swap away from `s`."""
    out = set()
    for i in range(len(s) + 1):
        for c in alphabet:
            out.add(s[:i] + c + s[i:])
            if i < len(s):
                out.add(s[:i] + c + s[i + 1 :])
        if i < len(s):
            out.add(s[:i] + s[i + 1 :])
        if i < len(s) - 1:
            out.add(s[:i] + s[i + 1] + s[i] + s[i + 2 :])
    return out


@pytest.fixture(scope="module")
def thesis_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return reber.make_dataset(split="shuffled")  # the thesis split, as shipped


@pytest.mark.parametrize("s", VALID_EXAMPLES)
def test_spec_valid_examples(s: str) -> None:
    """The valid examples of docs/method.md §2 are Reber strings."""
    assert reber.is_reber(s)


@pytest.mark.parametrize("s", INVALID_EXAMPLES)
def test_spec_invalid_examples(s: str) -> None:
    """The invalid examples of docs/method.md §2 and broken walks are not Reber strings."""
    assert not reber.is_reber(s)


def test_embedded_examples() -> None:
    """An embedded string needs the same T/P around a valid inner Reber string."""
    assert reber.is_embedded_reber("BTBTXSETE")
    assert reber.is_embedded_reber("BPBPVVEPE")
    assert not reber.is_embedded_reber("BTBTXSEPE")
    assert not reber.is_embedded_reber("BTBTXXETE")
    assert not reber.is_embedded_reber("BTXSE")


@pytest.mark.parametrize("grammar", ["reber", "embedded"])
def test_sampled_strings_are_valid(grammar: str) -> None:
    """Uniform walks and length-conditioned walks are accepted and have the asked length."""
    g = reber.GRAMMARS[grammar]
    rng = random.Random(1)
    assert all(g.accepts(reber.sample_valid(rng, grammar)) for _ in range(300))
    lengths = list(range(11, 54)) * 5
    strings = g.sample(lengths, rng)
    assert [len(s) for s in strings] == lengths
    assert all(g.accepts(s) for s in strings)


def test_sampler_uses_only_passed_randomness() -> None:
    """The same seed gives the same strings, whatever the global random state."""
    random.seed(123)
    a = [reber.sample_valid(random.Random(5)) for _ in range(3)]
    random.seed(456)
    b = [reber.sample_valid(5) for _ in range(3)]
    assert a == b


def test_uniform_walk_picks_symbols_uniformly() -> None:
    """From state 1 the plain walk picks T and P about equally often."""
    rng = random.Random(0)
    second = [reber.sample_valid(rng)[1] for _ in range(4000)]
    assert abs(second.count("T") / len(second) - 0.5) < 0.03


@pytest.mark.parametrize("negatives", sorted(reber.NEGATIVES))
@pytest.mark.parametrize("grammar", sorted(reber.GRAMMARS))
def test_negatives_are_invalid(negatives: str, grammar: str) -> None:
    """Every negative is rejected by its grammar."""
    g = reber.GRAMMARS[grammar]
    strings = reber.NEGATIVES[negatives](500, random.Random(2), g)
    assert len(strings) == 500
    assert not any(g.accepts(s) for s in strings)


def test_hard_negatives_are_one_edit_from_a_valid_string() -> None:
    """Each hard negative becomes valid by one substitution, insertion, deletion or swap."""
    for s in reber.hard_negatives(200, random.Random(3)):
        assert any(reber.is_reber(t) for t in one_edit_neighbours(s, "BEPSTVX")), s


def test_hard_negatives_use_reber_letters_and_matched_lengths() -> None:
    """Hard negatives use only BEPSTVX and their mean length is within 1 of the valid mean."""
    train, test = reber.make_dataset(n=6000, negatives="hard", seed=4)
    df = pd.concat([train, test])
    invalid = df.loc[df["valid"] == 0, "string"]
    valid = df.loc[df["valid"] == 1, "string"]
    assert all(set(s) <= reber.REBER_LETTERS for s in invalid)
    assert abs(invalid.str.len().mean() - valid.str.len().mean()) < 1


def test_thesis_negatives_foreign_share(thesis_data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """About 56% of the thesis negatives contain letters outside BEPSTVX."""
    stats = reber.describe(pd.concat(thesis_data))
    assert abs(stats["invalid_foreign_share"] - 0.56) < 0.01


def test_thesis_length_statistics(thesis_data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Lengths lie in 11..53; valid strings peak at 22-24, invalid ones at 17-19, overall ~22."""
    stats = reber.describe(pd.concat(thesis_data))
    assert stats["all_len_min"] >= 11 and stats["all_len_max"] <= 53
    assert 22 <= stats["valid_len_mode"] <= 24
    assert 17 <= stats["invalid_len_mode"] <= 19
    assert 21 <= stats["all_len_mode"] <= 23


def test_split_sizes(thesis_data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The default set splits 18,750 / 6,250 and is exactly half valid overall."""
    train, test = thesis_data
    assert (len(train), len(test)) == (18_750, 6_250)
    assert int(train["valid"].sum() + test["valid"].sum()) == 12_500
    assert list(train.columns) == ["string", "valid"]


def test_no_string_has_two_labels(thesis_data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A string that occurs more than once always carries the same label."""
    df = pd.concat(thesis_data)
    assert (df.groupby("string")["valid"].nunique() == 1).all()


def test_same_seed_same_data_different_seed_different() -> None:
    """make_dataset is a function of its seed."""
    a = reber.make_dataset(n=400, seed=7)
    b = reber.make_dataset(n=400, seed=7)
    c = reber.make_dataset(n=400, seed=8)
    assert all(x.equals(y) for x, y in zip(a, b))
    assert not a[0].equals(c[0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"negatives": "nope"},
        {"task": "nope"},
        {"n": 0},
        {"n": -5},
        {"n": 1},
        {"test_fraction": 1.5},
    ],
)
def test_make_dataset_rejects_bad_arguments(kwargs: dict) -> None:
    """Unknown names, n <= 0 and splits that leave a side empty raise RandRNNError."""
    with pytest.raises(RandRNNError):
        reber.make_dataset(**kwargs)


def test_unknown_negatives_lists_known_names() -> None:
    """The error for an unknown negatives name lists the registry."""
    with pytest.raises(RandRNNError, match="thesis, hard"):
        reber.make_dataset(n=100, negatives="easy")


def test_write_and_read_round_trip(tmp_path) -> None:
    """Written splits read back equal, and no temporary file is left behind."""
    train, test = reber.make_dataset(n=200, seed=1)
    reber.write_dataset(train, test, tmp_path / "d")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["test.csv", "train.csv"]
    got_train, got_test = reber.load_data(tmp_path / "d")
    assert got_train.equals(train) and got_test.equals(test)


def test_read_split_accepts_true_false(tmp_path) -> None:
    """`valid` may be written true/false as well as 1/0."""
    p = tmp_path / "s.csv"
    p.write_text("string,valid\nBTXSE,true\nBTXE,False\n")
    assert reber.read_split(p)["valid"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("string,label\nBTXSE,1\n", ":1: missing column"),
        ("string,valid\nBTXSE,1\nBTXE,2\n", ":3: valid must be"),
        ("string,valid\nBTXSE,1\n,0\n", ":3: empty string"),
        ("string,valid\nBTXSE,1\nBTXSE,1,9\n", ":3: expected 2 fields"),
        ("string,valid\n", "no data rows"),
    ],
)
def test_read_split_errors(tmp_path, content: str, message: str) -> None:
    """A defective split raises RandRNNError naming the file and the line."""
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(RandRNNError, match=message) as err:
        reber.read_split(p)
    assert "bad.csv" in str(err.value) and "\n" not in str(err.value)


def test_read_split_non_ascii_names_the_line(tmp_path) -> None:
    """A character outside ASCII is reported with its line number."""
    p = tmp_path / "bad.csv"
    p.write_text("string,valid\nBTXSE,1\nBTXSÉ,0\n", encoding="utf-8")
    with pytest.raises(RandRNNError, match=r"bad.csv:3: character outside ASCII"):
        reber.read_split(p)


def test_read_split_missing_file(tmp_path) -> None:
    """A missing file raises RandRNNError."""
    with pytest.raises(RandRNNError, match="no such file"):
        reber.read_split(tmp_path / "nope.csv")


def test_encode_pads_with_zeros() -> None:
    """encode gives ASCII codes padded with zeros and the true lengths (module docstring)."""
    codes, lengths = reber.encode(["BTXSE", "BTXSSPE"])
    assert codes.dtype == torch.long and lengths.dtype == torch.long
    assert codes.tolist() == [[66, 84, 88, 83, 69, 0, 0], [66, 84, 88, 83, 83, 80, 69]]
    assert lengths.tolist() == [5, 7]


def test_encode_rejects_non_ascii_naming_the_index() -> None:
    """A non-ASCII character raises RandRNNError naming the string's index."""
    with pytest.raises(RandRNNError, match="index 1"):
        reber.encode(["BTXSE", "BTXSÉ"])


def test_baselines_in_unit_interval(thesis_data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Baselines are accuracies in [0, 1]; on thesis data length alone beats the majority."""
    b = reber.baselines(*thesis_data)
    assert list(b) == ["majority", "length_only", "letter_set_only", "ngram", "counts", "memorise"]
    assert all(0 <= v <= 1 for v in b.values())
    assert b["length_only"] > b["majority"] + 0.1


def test_baselines_length_rule_is_learned_on_train() -> None:
    """length_only predicts each length's train majority; unseen lengths get the majority."""
    train = pd.DataFrame(
        {"string": ["BTXSE", "BTXSE", "AAAA", "AAAA", "AAAA"], "valid": [1, 1, 0, 0, 0]}
    )
    test = pd.DataFrame({"string": ["BPVVE", "CCCC", "XXXXXXX"], "valid": [1, 0, 0]})
    b = reber.baselines(train, test)
    lookups = {k: b[k] for k in ("majority", "length_only", "letter_set_only")}
    assert lookups == {"majority": 2 / 3, "length_only": 1.0, "letter_set_only": 2 / 3}


def test_describe_counts() -> None:
    """describe counts classes and reports per-class length extremes."""
    df = pd.DataFrame({"string": ["BTXSE", "BTXE", "BAAE"], "valid": [1, 0, 0]})
    d = reber.describe(df)
    assert (d["n"], d["valid"], d["invalid"]) == (3, 1, 2)
    assert (d["valid_len_min"], d["invalid_len_max"], d["invalid_foreign_share"]) == (5, 4, 0.5)


def test_cli_dataset_writes_files(tmp_path) -> None:
    """`randrnn dataset` writes train.csv and test.csv and prints the baselines."""
    from randrnn.cli import app  # imported here: the library tests need no command module

    out = tmp_path / "d"
    result = CliRunner().invoke(app, ["dataset", "--n", "200", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "length_only" in result.output
    train, test = reber.load_data(out)
    assert (len(train), len(test)) == (150, 50)


def test_cli_data_info(tmp_path) -> None:
    """`randrnn data-info --data DIR` describes a data set."""
    from randrnn.cli import app

    reber.write_dataset(*reber.make_dataset(n=100, seed=2), tmp_path)
    result = CliRunner().invoke(app, ["data-info", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "letter_set_only" in result.output


def test_shipped_data_is_reproducible(tmp_path, thesis_data) -> None:
    """Regenerating the default set from DEFAULT_SEED reproduces data/reber/ byte for byte."""
    if not reber.SHIPPED_DIR.is_dir():
        pytest.skip("no shipped data (non-editable install)")
    reber.write_dataset(*thesis_data, tmp_path)
    for name in ("train.csv", "test.csv"):
        assert (tmp_path / name).read_bytes() == (reber.SHIPPED_DIR / name).read_bytes()


def test_load_data_regenerates_when_not_shipped(tmp_path, monkeypatch) -> None:
    """Without the shipped folder, load_data() builds the default set into the cache."""
    shipped = reber.load_data()
    monkeypatch.setattr(task_data, "SHIPPED_DIR", tmp_path / "absent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RANDRNN_CACHE", raising=False)  # it would win over XDG_CACHE_HOME
    train, test = reber.load_data()
    assert (tmp_path / "cache" / "randrnn" / f"reber-{reber.DEFAULT_SEED}" / "train.csv").is_file()
    assert train.equals(shipped[0]) and test.equals(shipped[1])


def test_length_distributions_peak_where_documented() -> None:
    """The valid length pmf peaks at 23, the invalid one at 18, both on 11..53."""
    for dist, mode in ((reber.VALID_LENGTHS, 23), (reber.INVALID_LENGTHS, 18)):
        pmf = dist.pmf()
        assert max(pmf, key=pmf.get) == mode
        assert (min(pmf), max(pmf)) == (11, 53)
        assert math.isclose(sum(pmf.values()), 1.0)


# --------------------------------------------------------------------------- property: the grammar

# The Reber grammar written as a regular expression, by eliminating the automaton's states by
# hand (not from randrnn's table): from state 3 a string loops T*VPX back to 3 and leaves
# with T*V then V or PS; from state 2 it reads S*X, then S or X and the state-3 part.
FROM_3 = r"(?:T*VPX)*T*V(?:V|PS)"
REBER_REGEX = re.compile(rf"B(?:TS*X(?:S|X{FROM_3})|P{FROM_3})E")
LETTERS = "BTSXPVE"


@st.composite
def reber_like(draw: st.DrawFn) -> str:
    """A string over the Reber letters: random, a valid walk, or a valid walk with 1-2 edits."""
    kind = draw(st.sampled_from(["random", "valid", "edited"]))
    if kind == "random":
        return draw(st.text(LETTERS, max_size=30))
    s = reber.sample_valid(random.Random(draw(st.integers(0, 2**32 - 1))))
    for _ in range(draw(st.integers(1, 2)) if kind == "edited" else 0):
        i = draw(st.integers(0, len(s)))
        letter = draw(st.sampled_from(LETTERS))
        s = draw(st.sampled_from([s[:i] + letter + s[i:], s[:i] + s[i + 1 :],
                                  s[:i] + letter + s[i + 1 :]]))  # fmt: skip
    return s


@settings(max_examples=500, deadline=None)
@given(reber_like())
def test_is_reber_agrees_with_a_regex_of_the_grammar(s: str) -> None:
    """For random strings over B, T, S, X, P, V, E, is_reber is the regex's full match."""
    assert reber.is_reber(s) == bool(REBER_REGEX.fullmatch(s))


def test_the_regex_accepts_the_examples_and_rejects_the_counterexamples() -> None:
    """The regex itself is right on the docs/method.md §2 examples (so the property has teeth)."""
    assert all(REBER_REGEX.fullmatch(s) for s in VALID_EXAMPLES)
    assert not any(REBER_REGEX.fullmatch(s) for s in INVALID_EXAMPLES)
