"""Tests of randrnn.tasks.baselines: the n-gram model against a hand-built second pipeline, and
what each baseline can and cannot see."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from randrnn.tasks import baselines as b
from randrnn.tasks.data import make_dataset


def _frame(strings: list[str], labels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"string": strings, "valid": labels})


def _ngram_features(strings: list[str], vocabulary: list[str]) -> np.ndarray:
    """Counts of each n-gram of ``vocabulary`` in each string (overlapping occurrences)."""
    counts = np.array(
        [[sum(s[i : i + len(g)] == g for i in range(len(s) - len(g) + 1)) for g in vocabulary]
         for s in strings], dtype=float,
    )  # fmt: skip
    return counts


def test_ngram_matches_a_hand_built_pipeline() -> None:
    """The n-gram baseline equals logistic regression on n-gram counts computed by hand and
    scaled by the training maximum, on a tomita-3 sample."""
    train, test = make_dataset("tomita-3", n=800, seed=3, max_length=12)
    grams = sorted({s[i : i + n] for s in train["string"] for n in (1, 2, 3)
                    for i in range(len(s) - n + 1)})  # fmt: skip
    x_train = _ngram_features(list(train["string"]), grams)
    scale = np.abs(x_train).max(axis=0)
    model = LogisticRegression(max_iter=2000).fit(x_train / scale, train["valid"])
    pred = model.predict(_ngram_features(list(test["string"]), grams) / scale)
    expected = float(np.mean(pred == test["valid"].to_numpy()))
    assert b.ngram_accuracy(train, test) == pytest.approx(expected)


def test_ngram_sees_a_forbidden_piece() -> None:
    """Whether '000' occurs decides the label: the n-gram model is near perfect (its L2 penalty
    keeps it from exactly 1), the lookup rules are not."""
    rng = random.Random(0)
    strings = ["".join(rng.choice("01") for _ in range(rng.randint(4, 12))) for _ in range(1200)]
    labels = [int("000" not in s) for s in strings]
    train, test = _frame(strings[:900], labels[:900]), _frame(strings[900:], labels[900:])
    got = b.baselines(train, test)
    assert got["ngram"] > 0.97
    assert max(got["length_only"], got["letter_set_only"], got["majority"]) < 0.7


def test_ngram_cannot_count_parity() -> None:
    """Parity of the number of 1s, at fixed length 20, is out of a linear model's reach."""
    rng = random.Random(1)
    strings = ["".join(rng.choice("01") for _ in range(20)) for _ in range(3000)]
    labels = [s.count("1") % 2 for s in strings]
    train, test = _frame(strings[:2000], labels[:2000]), _frame(strings[2000:], labels[2000:])
    assert abs(b.ngram_accuracy(train, test) - 0.5) < 0.06


def test_lookup_rules_are_learned_on_train() -> None:
    """length_only and letter_set_only predict the train majority of their key; unseen keys get
    the overall train majority (a tie goes to invalid)."""
    train = _frame(["ab", "ab", "aab", "ba", "bbb"], [1, 1, 0, 0, 0])
    test = _frame(["ab", "aab", "xyzw", "bba"], [1, 1, 0, 0])
    got = b.baselines(train, test)
    # length 2 → labels 1,1,0 → 1; length 3 → 0,0 → 0; length 4 unseen → train majority 0:
    # predictions 1, 0, 0, 0 against 1, 1, 0, 0
    assert got["length_only"] == 0.75
    # letters {a,b} → 1,1,0,0, a tie → 0; predictions 0, 0, 0 (unseen), 0
    assert got["letter_set_only"] == 0.5
    assert got["majority"] == 0.5


def test_embedded_reber_defeats_every_baseline_but_counts() -> None:
    """On embedded Reber with mismatch negatives every baseline stays near chance except the
    letter counts: a parity of counts gives the label away (docs/method.md §9.3)."""
    got = b.baselines(*make_dataset("embedded-reber", n=4000, seed=0))
    assert got.pop("counts") > 0.95
    assert all(abs(v - 0.5) < 0.06 for v in got.values()), got


def test_single_class_training_split() -> None:
    """With one class in training, the n-gram model predicts it, like the majority rule."""
    train, test = _frame(["ab", "ba"], [1, 1]), _frame(["ab", "aa"], [1, 0])
    assert b.ngram_accuracy(train, test) == 0.5


def test_counts_recovers_equal_counts() -> None:
    """Half the strings have as many ( as ), half two more of one: the counts baseline finds
    '#( = #)' (the category 0 of the difference), which no lookup rule can express (every
    length is even, every string has both letters)."""
    rng = random.Random(2)
    strings, labels = [], []
    for i in range(3000):
        n = rng.randint(2, 10)
        opening = n + (0 if i % 2 else rng.choice((-1, 1)))
        chars = list("(" * opening + ")" * (2 * n - opening))
        rng.shuffle(chars)
        strings.append("".join(chars))
        labels.append(i % 2)
    train, test = _frame(strings[:2000], labels[:2000]), _frame(strings[2000:], labels[2000:])
    got = b.baselines(train, test)
    assert got["counts"] > 0.97
    assert max(got["length_only"], got["letter_set_only"], got["majority"]) < 0.6


def test_counts_recovers_parity_and_its_and() -> None:
    """An even number of 0s and an even number of 1s (tomita-5's rule) at random lengths: the
    counts baseline finds it (each count a category, the two rules added); the 1-3-gram model
    does not."""
    rng = random.Random(3)
    strings = ["".join(rng.choice("01") for _ in range(rng.randint(4, 16))) for _ in range(4000)]
    labels = [int(s.count("0") % 2 == 0 and s.count("1") % 2 == 0) for s in strings]
    train, test = _frame(strings[:3000], labels[:3000]), _frame(strings[3000:], labels[3000:])
    assert b.counts_accuracy(train, test) > 0.97
    assert b.ngram_accuracy(train, test) < 0.85


def test_counts_matches_a_hand_built_pipeline() -> None:
    """The counts baseline equals logistic regression on one-hot vectors of the letter counts
    and count differences built by hand (categories seen in train; unseen ones set nothing)."""
    train, test = make_dataset("dyck-2:edit", n=1200, seed=5, max_length=16, split="shuffled")
    letters = "()[]"

    def values(s: str) -> list[int]:
        c = [s.count(ch) for ch in letters]
        return c + [c[i] - c[j] for i in range(4) for j in range(i + 1, 4)]

    columns = [sorted({values(s)[k] for s in train["string"]}) for k in range(10)]
    index = {(k, v): i for i, (k, v) in enumerate((k, v) for k in range(10) for v in columns[k])}

    def onehot(strings) -> np.ndarray:
        x = np.zeros((len(strings), len(index)))
        for r, s in enumerate(strings):
            for k, v in enumerate(values(s)):
                if (k, v) in index:
                    x[r, index[k, v]] = 1
        return x

    model = LogisticRegression(max_iter=2000).fit(onehot(list(train["string"])), train["valid"])
    pred = model.predict(onehot(list(test["string"])))
    expected = float(np.mean(pred == test["valid"].to_numpy()))
    assert b.counts_accuracy(train, test) == pytest.approx(expected)


def test_memorise_scores_the_overlap_figure() -> None:
    """On a split where strings recur on both sides (dyck-2:edit, shuffled), memorise scores
    exactly: test rows whose string is in train and whose label is that string's training
    majority (a tie: the overall majority), plus the rest whose label is the overall majority."""
    train, test = make_dataset("dyck-2:edit", n=3000, seed=1, split="shuffled")
    overall = int(train["valid"].mean() > 0.5)
    votes = train.groupby("string")["valid"].agg(["sum", "count"])
    label = np.where(2 * votes["sum"] > votes["count"], 1,
                     np.where(2 * votes["sum"] < votes["count"], 0, overall))  # fmt: skip
    seen = test.merge(pd.DataFrame({"string": votes.index, "rule": label}), how="left")
    predicted = seen["rule"].fillna(overall).astype(int)
    expected = float((predicted == seen["valid"]).mean())
    assert test["string"].isin(set(train["string"])).mean() > 0.05  # there is overlap to use
    assert b.baselines(train, test)["memorise"] == expected


def test_memorise_is_majority_on_a_disjoint_split() -> None:
    """With no test string in train, memorise predicts the overall majority everywhere."""
    train, test = make_dataset("tomita-4", n=2000, seed=2)
    got = b.baselines(train, test)
    assert got["memorise"] == got["majority"]


def test_registry_lists_every_baseline_with_a_rule() -> None:
    """baselines() returns the registry's names in order; rules() names each rule once."""
    train, test = _frame(["ab", "ba", "aab"], [1, 0, 1]), _frame(["ab", "bb"], [1, 0])
    assert list(b.baselines(train, test)) == list(b.BASELINES)
    text = b.rules()
    assert all(text.count(x.rule) == 1 for x in b.BASELINES.values())
