"""What a model must beat: the test accuracy of trivial rules and of a character n-gram model.

Each baseline is learned on the training split and scored on the test split:

- ``majority``: always the more frequent training label (a tie goes to 0, invalid);
- ``length_only``: the training majority label of strings of the same length;
- ``letter_set_only``: the training majority label of strings with the same set of letters;
- ``ngram``: logistic regression on the counts of every character 1-, 2- and 3-gram (scikit-learn
  ``CountVectorizer(analyzer="char", ngram_range=(1, 3))``, counts scaled by their largest value,
  L2 penalty C = 1). It sees which letters and short pieces occur and how often, not where.

The lookup rules predict the overall training majority for a length or letter set never seen in
training. A task defeats a baseline when the baseline stays near 0.5: then a model's accuracy
above it is accuracy the baseline's information cannot give.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

NGRAMS = (1, 3)  # the n-gram model's range of n
NGRAM_MAX_ITER = 2000


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


def ngram_accuracy(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Test accuracy of logistic regression on character 1-3-gram counts (module docstring)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MaxAbsScaler

    if train["valid"].nunique() < 2:  # one class: the model would predict it, as majority does
        return float((test["valid"] == int(train["valid"].iloc[0])).mean())
    model = make_pipeline(
        CountVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=False),
        MaxAbsScaler(),
        LogisticRegression(max_iter=NGRAM_MAX_ITER),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(list(train["string"]), train["valid"].to_numpy())
    pred = model.predict(list(test["string"]))
    return float(np.mean(pred == test["valid"].to_numpy()))


def baselines(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Test accuracies of the baselines learned on train: majority, length only, letter set
    only, character n-gram model."""
    return {
        "majority": float((test["valid"] == _majority(train["valid"])).mean()),
        "length_only": _lookup_accuracy(train, test, len),
        "letter_set_only": _lookup_accuracy(train, test, lambda s: "".join(sorted(set(s)))),
        "ngram": ngram_accuracy(train, test),
    }
