"""One predictor scored on a design's folds (docs/method.md §7).

Pooled R² leads: one R² over every out-of-fold prediction of every repeat at once (scikit-learn's
``r2_score`` of the concatenated held-out targets and predictions). The fold mean R² and its sd
are kept beside it; a test fold whose targets are all equal has no R² (scikit-learn would
substitute 0), so it is left out of the fold mean and counted in ``constant_folds``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from sklearn.metrics import mean_absolute_error, r2_score

from randrnn.analysis.design import Design
from randrnn.analysis.predictors import PREDICTORS


def rank_corr(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Spearman and Kendall τ-b between predictions and truth (NaN if either is constant)."""
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, math.nan
    return float(stats.spearmanr(a, b).statistic), float(stats.kendalltau(a, b).statistic)


def fold_r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R² of one test fold; NaN when its targets are all equal (R² is undefined there)."""
    return math.nan if np.ptp(y) == 0 else float(r2_score(y, pred))


def _mean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if not np.isnan(values).all() else math.nan


def cross_validate(design: Design, name: str, new: object = None) -> dict:
    """Scores of predictor ``name`` on ``design``'s folds (`Design.splits`).

    Returns ``scores`` (R² of each fold, NaN for a constant fold), ``r2``/``r2_sd`` (mean and
    sample sd of the defined ones), ``constant_folds`` (how many were left out), ``r2_pooled``
    (R² of all out-of-fold predictions at once), ``mae`` (mean over folds),
    ``spearman``/``kendall`` (out-of-fold predictions of a repeat vs truth, averaged over
    repeats), ``oof`` (the predictions, shape (repeats, rows)) and, with ``new`` (inputs in the
    predictor's form), ``new``: each fold model's predictions for them, shape (folds, len(new)).
    """
    predictor = PREDICTORS[name]
    y = design.y
    scores, maes, truth, held, fresh = [], [], [], [], []
    oof = np.empty((design.repeats, len(y)))
    for i, (train, test) in enumerate(design.splits()):
        model = predictor.make(design.seed).fit(
            design.inputs(predictor.reads, train),
            y[train],
            **design.fit_args(predictor.reads, train),
        )
        pred = np.asarray(model.predict(design.inputs(predictor.reads, test)), dtype=float)
        oof[i // design.folds, test] = pred
        scores.append(fold_r2(y[test], pred))
        maes.append(mean_absolute_error(y[test], pred))
        truth.append(y[test])
        held.append(pred)
        if new is not None:
            fresh.append(np.asarray(model.predict(new), dtype=float))
    scores = np.array(scores)
    defined = scores[~np.isnan(scores)]
    truth, held = np.concatenate(truth), np.concatenate(held)
    ranks = np.array([rank_corr(o, y) for o in oof])
    out = {
        "scores": scores.tolist(),
        "r2": float(defined.mean()) if len(defined) else math.nan,
        "r2_sd": float(defined.std(ddof=1)) if len(defined) > 1 else math.nan,
        "constant_folds": int(np.isnan(scores).sum()),
        "r2_pooled": float(r2_score(truth, held)),
        "mae": float(np.mean(maes)),
        "spearman": _mean(ranks[:, 0]),
        "kendall": _mean(ranks[:, 1]),
        "oof": oof,
    }
    if new is not None:
        out["new"] = np.array(fresh)
    return out
