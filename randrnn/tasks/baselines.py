"""What a model must beat: the test accuracy of trivial rules and of a character n-gram model.

Each baseline is learned on the training split and scored on the test split (the registry
`BASELINES`, in this order; `data-info`, the report and docs/method.md §9.3 list them all):

- ``majority``: always the more frequent training label (a tie goes to 0, invalid);
- ``length_only``: the training majority label of strings of the same length;
- ``letter_set_only``: the training majority label of strings with the same set of letters;
- ``ngram``: logistic regression on the counts of every character 1-, 2- and 3-gram (scikit-learn
  ``CountVectorizer(analyzer="char", ngram_range=(1, 3))``, counts scaled by their largest value,
  L2 penalty C = 1). It sees which letters and short pieces occur and how often, not where.
- ``counts``: logistic regression on the letter counts alone, each count of a letter and each
  difference of two letters' counts taken as a category (one-hot; a value never seen in
  training sets no feature), L2 penalty C = 1. A category per value lets a linear model say
  "#( = #)" (the category 0 of the difference), "an even number of 0s" or "#0 − #1 divisible by
  3", and "and" of two such rules: what counting letters, without their order, can tell.
- ``memorise``: the training majority label of the identical string, else the overall training
  majority: what storing the training strings gains. On a test split disjoint from train it is
  the majority baseline.

The lookup rules predict the overall training majority for a length, letter set or string never
seen in training. A task defeats a baseline when the baseline stays near 0.5: then a model's
accuracy above it is accuracy the baseline's information cannot give.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

NGRAMS = (1, 3)  # the n-gram model's range of n
NGRAM_MAX_ITER = 2000
Split = pd.DataFrame  # columns string, valid


def _majority(labels: Sequence[int] | pd.Series) -> int:
    """The more frequent label; a tie goes to 0 (invalid)."""
    c = Counter(int(v) for v in labels)
    return int(c[1] > c[0])


def _lookup_accuracy(
    train: pd.DataFrame, test: pd.DataFrame, key: Callable[[str], object]
) -> float:
    """Test accuracy of the rule: predict the train majority label of the string's key."""
    default = _majority(train["valid"])
    by_key: dict[object, Counter] = {}
    for s, v in zip(train["string"], train["valid"]):
        by_key.setdefault(key(s), Counter())[int(v)] += 1
    rule = {k: (1 if c[1] > c[0] else 0 if c[0] > c[1] else default) for k, c in by_key.items()}
    pred = [rule.get(key(s), default) for s in test["string"]]
    return float(np.mean(np.asarray(pred) == test["valid"].to_numpy()))


def ngram_accuracy(train: Split, test: Split) -> float:
    """Test accuracy of logistic regression on character 1-3-gram counts (module docstring)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MaxAbsScaler

    model = make_pipeline(
        CountVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=False),
        MaxAbsScaler(),
        LogisticRegression(max_iter=NGRAM_MAX_ITER),
    )
    pred = _fit_predict(model, list(train["string"]), train, list(test["string"]))
    return float(np.mean(pred == test["valid"].to_numpy()))


def _fit_predict(model, train_x, train: Split, test_x) -> np.ndarray:
    """Fit ``model`` on the training labels and predict (one training class: predict it, as
    the model would, and as majority does)."""
    if train["valid"].nunique() < 2:
        return np.full(len(test_x), int(train["valid"].iloc[0]))
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(train_x, train["valid"].to_numpy())
    return model.predict(test_x)


def count_features(strings: Sequence[str], letters: str) -> list[list[int]]:
    """Per string: the count of each of ``letters``, then each difference of two counts (first
    letter's minus second's, pairs in order)."""
    rows = []
    for s in strings:
        counts = [s.count(ch) for ch in letters]
        rows.append(counts + [a - b for a, b in itertools.combinations(counts, 2)])
    return rows


def counts_accuracy(train: Split, test: Split) -> float:
    """Test accuracy of logistic regression on one-hot letter counts and count differences
    (module docstring); the letters are those of the training strings."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    letters = "".join(sorted(set().union(*map(set, train["string"]))))
    model = make_pipeline(
        OneHotEncoder(handle_unknown="ignore"), LogisticRegression(max_iter=NGRAM_MAX_ITER)
    )
    pred = _fit_predict(
        model,
        count_features(list(train["string"]), letters),
        train,
        count_features(list(test["string"]), letters),
    )
    return float(np.mean(pred == test["valid"].to_numpy()))


def _majority_accuracy(train: Split, test: Split) -> float:
    return float((test["valid"] == _majority(train["valid"])).mean())


@dataclass(frozen=True)
class Baseline:
    """One baseline: ``score(train, test) -> test accuracy`` and a phrase naming its rule."""

    score: Callable[[Split, Split], float]
    rule: str


BASELINES: Mapping[str, Baseline] = MappingProxyType(
    {
        "majority": Baseline(_majority_accuracy, "the majority class"),
        "length_only": Baseline(
            lambda train, test: _lookup_accuracy(train, test, len), "the string's length alone"
        ),
        "letter_set_only": Baseline(
            lambda train, test: _lookup_accuracy(train, test, lambda s: "".join(sorted(set(s)))),
            "its set of letters alone",
        ),
        "ngram": Baseline(ngram_accuracy, "a logistic regression on its character 1-3-gram counts"),
        "counts": Baseline(
            counts_accuracy, "a logistic regression on its letter counts (each count a category)"
        ),
        "memorise": Baseline(
            lambda train, test: _lookup_accuracy(train, test, str),
            "the label of the identical training string (memorising them)",
        ),
    }
)


def rules() -> str:
    """The baselines' rules as one phrase, for a text that lists them."""
    phrases = [b.rule for b in BASELINES.values()]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def baselines(train: Split, test: Split) -> dict[str, float]:
    """Test accuracy of every baseline of `BASELINES` learned on train, by name."""
    return {name: b.score(train, test) for name, b in BASELINES.items()}
