"""Can accuracy be predicted from graph properties? Regressors scored two ways (docs/method.md §7).

``cv`` (default): repeated K-fold cross-validation of scikit-learn pipelines (MinMax scaling
inside the pipeline, so no fold sees another's scale), reporting R² mean ± sd over the folds, MAE,
and Spearman / Kendall between out-of-fold predictions and the truth.

``thesis``: exactly the thesis' protocol, for comparison with its table: MinMax scaling fitted on
all rows, one ``train_test_split(test_size=0.10, random_state=7)``, scikit-learn defaults, R² on
the (about 20) test rows.

A table with several rows per graph (one per seed replicate, ``--per-run``) is split by graph in
both protocols, so no graph's runs are on both sides. With replicates, ``add_ceiling`` puts each
R² beside the noise ceiling of its target (`randrnn.analysis.noise`): R² / ceiling is the share
of the variance that graph structure could explain at all which the regressor does explain.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import AdaBoostRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold, RepeatedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from randrnn.analysis import table, thesis
from randrnn.analysis.config import PredictConfig
from randrnn.errors import RandRNNError, check_name, parse_names
from randrnn.graphs.properties import EXTRAS, FEATURES

# name → (label, factory(seed)). scikit-learn defaults throughout, as in the thesis.
REGRESSORS: dict[str, tuple[str, Callable[[int], RegressorMixin]]] = {
    "bayesian_ridge": ("BayesianRidge", lambda seed: BayesianRidge()),
    "random_forest": ("RandomForest", lambda seed: RandomForestRegressor(random_state=seed)),
    "adaboost": ("AdaBoost", lambda seed: AdaBoostRegressor(random_state=seed)),
    "gradient_boosting": (
        "GradientBoosting",
        lambda seed: GradientBoostingRegressor(random_state=seed),
    ),
    "dummy": ("Dummy (mean)", lambda seed: DummyRegressor()),
}
THESIS_REGRESSORS = ("bayesian_ridge", "random_forest", "adaboost")

_SIZE = ["nodes", "edges", "source_nodes", "sink_nodes"]
FEATURE_SETS: dict[str, list[str]] = {
    "all": list(FEATURES),  # the thesis' 23
    "extended": [*FEATURES, *EXTRAS],
    "nodes-edges": _SIZE,
    "no-nodes-edges": [f for f in FEATURES if f not in _SIZE],
    "variances": [f for f in FEATURES if f.endswith("_var")],
}
PROTOCOLS = ("cv", "thesis")
# Columns of an `evaluate` result, in order.
RESULT_COLUMNS = ["cell", "regressor", "protocol", "feature_set", "n", "n_features", "folds",
                  "r2", "r2_sd", "r2_pooled", "mae", "spearman", "kendall", "n_test",
                  "thesis_r2"]  # fmt: skip
MAX_FOLDS = 10  # folds when not given: min(MAX_FOLDS, graphs // 2), at least two per test fold
GRAPH = "graph_id"  # rows sharing it are runs of one graph: folds keep them together
THESIS_TEST_SIZE = 0.10
THESIS_RANDOM_STATE = 7


def parse_regressors(text: str | Sequence[str]) -> list[str]:
    """'all' or 'random_forest,dummy' (or a list) → validated regressor names."""
    return parse_names(text, REGRESSORS, "regressor", everything="all")


def make_pipeline(regressor: str, seed: int = 0, scale: bool = True) -> Pipeline:
    """MinMax scaling then the regressor (``scale=False``: the regressor alone, in a pipeline)."""
    check_name("regressor", regressor, REGRESSORS)
    steps = [("scale", MinMaxScaler())] if scale else []
    return Pipeline([*steps, ("model", REGRESSORS[regressor][1](seed))])


def select_features(
    df: pd.DataFrame,
    target: str = table.DEFAULT_TARGET,
    feature_set: str = "all",
    features: Sequence[str] | str | None = None,
) -> list[str]:
    """The feature columns to use: an explicit list, else the named set's columns present."""
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    if features:
        return table.check_features(df, features, target)
    check_name("feature set", feature_set, FEATURE_SETS)
    present = [f for f in FEATURE_SETS[feature_set] if f in df.columns]
    if not present and feature_set == "all":
        present = table.default_features(df, target)
    if not present:
        raise RandRNNError(
            f"{df.attrs.get('source', 'table')} has none of the '{feature_set}' features "
            f"({', '.join(FEATURE_SETS[feature_set])}); pick columns with --features"
        )
    return table.check_features(df, present, target)


def xy(rows: pd.DataFrame, target: str, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and target of the rows with no missing value among them."""
    data = rows[[*features, target]].dropna()
    return data[list(features)].to_numpy(dtype=float), data[target].to_numpy(dtype=float)


def graph_groups(rows: pd.DataFrame, target: str, features: Sequence[str]) -> np.ndarray | None:
    """The graph id of each row ``xy`` keeps, when some graph has several rows (per-run tables).

    Folds then split graphs, so the runs of one graph never sit on both sides of a split (its
    other run would leak the answer). None when every row is its own graph.
    """
    if GRAPH not in rows.columns:
        return None
    ids = rows.loc[rows[[*features, target]].notna().all(axis=1), GRAPH].to_numpy()
    return ids if len(np.unique(ids)) < len(ids) else None


def _units(y: np.ndarray, groups: np.ndarray | None) -> int:
    """What the folds split: rows, or graphs when grouped."""
    return len(y) if groups is None else len(np.unique(groups))


def splits(
    n: int, cv: int, repeats: int, seed: int, groups: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of repeated K-fold; with ``groups``, K-fold over the groups."""
    if groups is None:
        yield from RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed).split(
            np.zeros(n)
        )
        return
    ids = np.unique(groups)
    folds = RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
    for _, test_ids in folds.split(ids):
        test = np.isin(groups, ids[test_ids])
        yield np.flatnonzero(~test), np.flatnonzero(test)


def choose_folds(units: int, cv: int | None, most: int = MAX_FOLDS) -> int:
    """``cv`` if given, else min(``most``, units // 2): every test fold holds two graphs at
    least (the K-fold a pilot study can afford, instead of an error)."""
    return cv if cv is not None else max(2, min(most, units // 2))


def _need_rows(
    n: int, need: int, why: str, cell: str, source: str, fix: str, grouped: bool = False
) -> None:
    """Too few rows for a method: say how many there are, how many it needs, and what to do."""
    if n >= need:
        return
    if source.startswith("study"):
        what = f"only {n} graphs with finished {table.cell_label(cell)} runs in {source}"
        todo = "generate more graphs and run randrnn train-all"
    else:
        unit = "graphs" if grouped else "rows"
        what = f"only {n} {unit}" + ("" if cell == table.ALL else f" for {cell}") + f" in {source}"
        todo = "add rows"
    raise RandRNNError(f"{what}; {why} needs at least {need}: {todo} (or {fix})")


@dataclass(frozen=True)
class CellData:
    """One cell's rows ready to fit: features, target, the graph of each row when a graph has
    several rows (else None, `graph_groups`) and the folds to split them into."""

    cell: str
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray | None
    folds: int


def cell_data(
    df: pd.DataFrame, target: str, cols: Sequence[str], cell: str | None, cv: int | None, *,
    why: str = "{k}-fold CV", need: int | None = None, fix: str = "lower --cv",
) -> Iterator[CellData]:  # fmt: skip
    """Per cell (every cell, or ``cell``) its data with ``choose_folds(graphs, cv)`` folds,
    after checking it has the graphs ``why`` needs (``need``, default two per fold); else
    one error line (`_need_rows`)."""
    source = df.attrs.get("source", "table")
    for (name, _), rows in table.groups(df, cell=cell):
        X, y = xy(rows, target, cols)
        groups = graph_groups(rows, target, cols)
        units = _units(y, groups)
        k = choose_folds(units, cv)
        _need_rows(units, need or 2 * k, why.format(k=k), name, source, fix, groups is not None)
        yield CellData(name, X, y, groups, k)


def _rank_corr(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Spearman and Kendall between predictions and truth (NaN if either is constant)."""
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, math.nan
    return float(stats.spearmanr(a, b).statistic), float(stats.kendalltau(a, b).statistic)


def cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    regressor: str,
    cv: int = 10,
    repeats: int = 5,
    seed: int = 0,
    X_new: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> dict:
    """Repeated K-fold scores of one regressor (folds over ``groups`` when given).

    Returns ``scores`` (R² of each of the cv × repeats folds), ``r2``/``r2_sd`` (their mean and
    sample sd), ``r2_pooled`` (R² of all out-of-fold predictions of a repeat at once, averaged
    over repeats: stays meaningful when a small fold's targets are nearly constant, where a
    fold's own R² explodes), ``mae`` (mean over folds), ``spearman``/``kendall`` (out-of-fold
    predictions vs truth, averaged over repeats) and, if ``X_new`` is given, ``new`` (each fold model's
    predictions for its rows, shape (folds, len(X_new))).
    """
    if cv < 2 or repeats < 1:
        raise RandRNNError(
            f"--cv must be at least 2 and --repeats at least 1 (got {cv}, {repeats})"
        )
    scores, maes, new = [], [], []
    oof = np.empty((repeats, len(y)))
    for i, (train, test) in enumerate(splits(len(y), cv, repeats, seed, groups)):
        model = make_pipeline(regressor, seed).fit(X[train], y[train])
        pred = model.predict(X[test])
        oof[i // cv, test] = pred
        scores.append(r2_score(y[test], pred))
        maes.append(mean_absolute_error(y[test], pred))
        if X_new is not None:
            new.append(model.predict(X_new))
    ranks = np.array([_rank_corr(o, y) for o in oof])
    out = {
        "scores": scores,
        "r2": float(np.mean(scores)),
        "r2_sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else math.nan,
        "r2_pooled": float(np.mean([r2_score(y, o) for o in oof])),
        "mae": float(np.mean(maes)),
        "spearman": float(np.nanmean(ranks[:, 0])) if not np.isnan(ranks[:, 0]).all() else math.nan,
        "kendall": float(np.nanmean(ranks[:, 1])) if not np.isnan(ranks[:, 1]).all() else math.nan,
    }
    if X_new is not None:
        out["new"] = np.array(new)
    return out


def thesis_split(
    X: np.ndarray, y: np.ndarray, regressor: str, seed: int = 0, groups: np.ndarray | None = None
) -> dict:
    """The thesis protocol: MinMax on all rows, one 90/10 split (random_state 7), R² on the test.

    With ``groups`` (per-run rows) the split is drawn over the graphs and their rows follow.
    Returns ``r2``, ``mae``, ``spearman``, ``kendall`` on the test rows, ``n_test`` and
    ``test_index`` (row positions of the test split).
    """
    scaled = MinMaxScaler().fit_transform(X)
    index = np.arange(len(y))
    if groups is None:
        x_tr, x_te, y_tr, y_te, _, i_te = train_test_split(
            scaled, y, index, test_size=THESIS_TEST_SIZE, random_state=THESIS_RANDOM_STATE
        )
    else:
        _, test_ids = train_test_split(
            np.unique(groups), test_size=THESIS_TEST_SIZE, random_state=THESIS_RANDOM_STATE
        )
        test = np.isin(groups, test_ids)
        x_tr, x_te, y_tr, y_te, i_te = scaled[~test], scaled[test], y[~test], y[test], index[test]
    model = make_pipeline(regressor, seed, scale=False).fit(x_tr, y_tr)
    pred = model.predict(x_te)
    spearman, kendall = _rank_corr(pred, y_te)
    return {
        "r2": float(r2_score(y_te, pred)),
        "mae": float(mean_absolute_error(y_te, pred)),
        "spearman": spearman,
        "kendall": kendall,
        "n_test": len(y_te),
        "test_index": i_te,
    }


def evaluate(
    df: pd.DataFrame,
    target: str = table.DEFAULT_TARGET,
    regressors: Sequence[str] | str = "all",
    protocol: str = "cv",
    feature_set: str = "all",
    features: Sequence[str] | str | None = None,
    cell: str | None = None,
    cv: int | None = 10,
    repeats: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (cell, regressor): n, folds, R² (mean, sd over folds), MAE, Spearman, Kendall.

    ``cv=None`` chooses the folds per cell from its graphs (`choose_folds`). Also
    ``thesis_r2``: the thesis' published R² for that cell, regressor and feature set (NaN where
    it published none).
    """
    check_name("protocol", protocol, PROTOCOLS)
    regressors = parse_regressors(regressors)
    table.check_target(df, target)
    cols = select_features(df, target, feature_set, features)
    set_name = "custom" if features else feature_set
    need = {} if protocol == "cv" else {"why": "the thesis' 90/10 split", "need": 20,
                                        "fix": "use --protocol cv"}  # fmt: skip
    records = []
    for data in cell_data(df, target, cols, cell, cv, **need):
        cell_name, X, y, groups, k = data.cell, data.X, data.y, data.groups, data.folds
        for name in regressors:
            if protocol == "cv":
                res = cross_validate(X, y, name, k, repeats, seed, groups=groups)
                n_test = math.nan
            else:
                res = thesis_split(X, y, name, seed, groups)
                res["r2_sd"], n_test = math.nan, res["n_test"]
                res["r2_pooled"] = res["r2"]  # one split: nothing to pool
            records.append({
                "cell": cell_name,
                "regressor": name,
                "protocol": protocol,
                "feature_set": set_name,
                "n": len(y),
                "n_features": len(cols),
                "folds": k if protocol == "cv" else math.nan,
                "r2": res["r2"],
                "r2_sd": res["r2_sd"],
                "r2_pooled": res["r2_pooled"],
                "mae": res["mae"],
                "spearman": res["spearman"],
                "kendall": res["kendall"],
                "n_test": n_test,
                "thesis_r2": thesis.regression_r2(cell_name, name, set_name),
            })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)


def importances(
    df: pd.DataFrame,
    options: PredictConfig,
    regressor: str = "random_forest",
    cell: str | None = None,
    n_repeats: int = 5,
) -> pd.DataFrame:
    """Feature importances per cell, most important first.

    ``impurity``: the fitted model's ``feature_importances_`` on all rows (tree models only,
    NaN otherwise). ``permutation`` / ``permutation_sd``: drop in R² when a feature is shuffled,
    measured on held-out folds of a K-fold split (``options.cv`` folds, ``n_repeats``
    shuffles each). ``options``: target, features and seed (its regressor is not read).
    """
    (regressor,) = parse_regressors(regressor)
    target, seed = options.target, options.seed
    cols = _columns(df, options)
    parts = []
    for data in cell_data(df, target, cols, cell, options.cv,
                          why="{k}-fold permutation importance"):  # fmt: skip
        cell_name, X, y, groups, k = data.cell, data.X, data.y, data.groups, data.folds
        full = make_pipeline(regressor, seed).fit(X, y)
        impurity = getattr(full.named_steps["model"], "feature_importances_", None)
        drops = []
        folds = (
            KFold(k, shuffle=True, random_state=seed).split(X)
            if groups is None
            else splits(len(y), k, 1, seed, groups)
        )
        for train, test in folds:
            model = make_pipeline(regressor, seed).fit(X[train], y[train])
            perm = permutation_importance(
                model, X[test], y[test], n_repeats=n_repeats, random_state=seed, scoring="r2"
            )
            drops.append(perm.importances)
        drops = np.concatenate(drops, axis=1)
        part = pd.DataFrame({
            "cell": cell_name,
            "regressor": regressor,
            "n": len(y),
            "folds": k,
            "feature": cols,
            "impurity": np.full(len(cols), np.nan) if impurity is None else impurity,
            "permutation": drops.mean(axis=1),
            "permutation_sd": drops.std(axis=1, ddof=1),
            "thesis_impurity": [
                thesis.IMPORTANCE.get(cell_name, {}).get(f, math.nan)
                if regressor == "random_forest" else math.nan
                for f in cols
            ],
        })  # fmt: skip
        parts.append(part.sort_values("permutation", ascending=False, ignore_index=True))
    return pd.concat(parts, ignore_index=True)


def _columns(df: pd.DataFrame, options: PredictConfig) -> list[str]:
    """The checked target's feature columns ``options`` choose."""
    table.check_target(df, options.target)
    return select_features(df, options.target, options.feature_set, options.features)


def predict_graph(
    df: pd.DataFrame,
    props: Mapping[str, float],
    options: PredictConfig,
    regressor: str = "random_forest",
    cell: str | None = None,
) -> pd.DataFrame:
    """Predict the target of an untrained graph (its ``props``) per cell, with the spread.

    ``prediction`` comes from the model fitted on all rows; ``fold_sd``/``fold_lo``/``fold_hi``
    are the sd and 2.5–97.5% range of the cv × repeats fold models' predictions; ``tree_sd`` the
    sd across a forest's trees (forests only); ``cv_r2`` says how far to trust it; ``outside``
    lists features where the graph lies outside the training range (extrapolation).
    ``options``: target, features, cv, repeats and seed (its regressor is not read).
    """
    (regressor,) = parse_regressors(regressor)
    cols = _columns(df, options)
    unknown = [c for c in cols if c not in props]
    if unknown:
        raise RandRNNError(f"feature(s) {', '.join(unknown)} cannot be computed from a graph file")
    x_new = np.array([[float(props[c]) for c in cols]])
    seed = options.seed
    records = []
    for data in cell_data(df, options.target, cols, cell, options.cv):
        cell_name, X, y, groups, k = data.cell, data.X, data.y, data.groups, data.folds
        res = cross_validate(X, y, regressor, k, options.repeats, seed, X_new=x_new,
                             groups=groups)  # fmt: skip
        full = make_pipeline(regressor, seed).fit(X, y)
        model = full.named_steps["model"]
        tree_sd = math.nan
        if hasattr(model, "estimators_") and isinstance(model, RandomForestRegressor):
            scaled = full.named_steps["scale"].transform(x_new)
            tree_sd = float(np.std([t.predict(scaled)[0] for t in model.estimators_], ddof=1))
        fold = res["new"][:, 0]
        outside = [
            c for j, c in enumerate(cols) if not X[:, j].min() <= x_new[0, j] <= X[:, j].max()
        ]
        records.append({
            "cell": cell_name,
            "regressor": regressor,
            "n": len(y),
            "folds": k,
            "prediction": float(full.predict(x_new)[0]),
            "fold_sd": float(np.std(fold, ddof=1)),
            "fold_lo": float(np.percentile(fold, 2.5)),
            "fold_hi": float(np.percentile(fold, 97.5)),
            "tree_sd": tree_sd,
            "cv_r2": res["r2"],
            "cv_r2_sd": res["r2_sd"],
            "observed_mean": float(y.mean()),
            "outside": ", ".join(outside),
        })  # fmt: skip
    return pd.DataFrame.from_records(records)


def graph_count(rows: pd.DataFrame) -> int:
    """What prediction folds split: graphs (a per-run table has several rows per graph)."""
    return rows[GRAPH].nunique() if GRAPH in rows.columns else len(rows)


def score_cells(
    df: pd.DataFrame, target: str, *, cv: int, repeats: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Every regressor scored per cell both ways: (CV results with min(cv, graphs // 2) folds,
    thesis-protocol results, notes). A cell the CV or the thesis' split cannot score is left
    out and gets a one-line note saying why."""
    cv_parts, thesis_parts, notes = [], [], []
    for (cell, _), rows in table.groups(df):
        one = None if cell == table.ALL else cell
        label = table.cell_label(cell)
        units = graph_count(rows)
        k = choose_folds(units, None, most=cv)
        if units < 4:
            notes.append(f"{label}: not predicted: {units} graphs, cross-validation needs 4.")
            continue
        if k < cv:
            notes.append(f"{label}: {k}-fold CV instead of {cv}-fold, as it has {units} graphs.")
        cv_parts.append(
            evaluate(df, target, "all", "cv", cell=one, cv=k, repeats=repeats, seed=seed)
        )
        if units < 20:
            notes.append(
                f"{label}: the thesis protocol (one 90/10 split) needs 20 graphs, it has "
                f"{units}: not scored."
            )
            continue
        thesis_parts.append(evaluate(df, target, "all", "thesis", cell=one, seed=seed))
    return concat(cv_parts), concat(thesis_parts), notes


def concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """`evaluate` results as one frame (an empty one with `RESULT_COLUMNS` if there are none)."""
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)


CEILING_COLUMNS = ["ceiling", "ceiling_of", "r2_of_ceiling", "r2_pooled_of_ceiling"]
CEILING_NOTE = (
    "noise ceiling: the largest R² any predictor from graph structure can reach, because "
    "retraining the same graph with another seed changes its accuracy (the target's reliability "
    "across seed replicates, ICC(1)); R²/ceiling: the share of that explainable variance the regressor explains."
)


def add_ceiling(result: pd.DataFrame, ceilings: Mapping[str, tuple[float, str]]) -> pd.DataFrame:
    """A copy of an ``evaluate`` result with the cell's noise ceiling and R² / ceiling.

    ``ceilings`` maps a cell to (ceiling of the predicted target, what it is the ceiling of,
    e.g. 'mean of 2 runs'), as `noise.ceilings` gives. Adds ``ceiling``, ``ceiling_of``,
    ``r2_of_ceiling`` and ``r2_pooled_of_ceiling``; NaN where a cell has no ceiling or one of 0.
    """
    out = result.copy()
    out["ceiling"] = [float(ceilings.get(c, (math.nan, ""))[0]) for c in out["cell"]]
    out["ceiling_of"] = [ceilings.get(c, (math.nan, ""))[1] for c in out["cell"]]
    usable = out["ceiling"].where(out["ceiling"] > 0)
    out["r2_of_ceiling"] = out["r2"] / usable
    out["r2_pooled_of_ceiling"] = out["r2_pooled"] / usable
    return out


def display(result: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Readable text tables of an ``evaluate`` result, one per cell: (title, frame of strings).

    With ``add_ceiling`` columns, the title names the cell's noise ceiling and each R² has its
    R² / ceiling beside it.
    """
    out = []
    for cell_name, rows in result.groupby("cell", sort=False):
        first = rows.iloc[0]
        folds = first.get("folds", math.nan)
        how = (
            f"{first['protocol']} on n={first['n']}"
            + (f", {int(folds)}-fold" if first["protocol"] == "cv" and not pd.isna(folds) else "")
            + (f", {int(first['n_test'])} test rows" if first["protocol"] == "thesis" else "")
            + f", features: {first['feature_set']} ({first['n_features']})"
        )
        ceiling = "ceiling" in rows and not math.isnan(first["ceiling"])
        if ceiling:
            how += f"; noise ceiling {table.fmt(first['ceiling'])} ({first['ceiling_of']})"
        frame = pd.DataFrame({
            "regressor": [REGRESSORS[r][0] for r in rows["regressor"]],
            "R²": [
                table.fmt(r) + ("" if math.isnan(sd) else f" ± {table.fmt(sd)}")
                for r, sd in zip(rows["r2"], rows["r2_sd"])
            ],
            "pooled R²": [table.fmt(v) for v in rows["r2_pooled"]],
            "MAE": [table.fmt(v, 4) for v in rows["mae"]],
            "Spearman": [table.fmt(v) for v in rows["spearman"]],
            "Kendall τ": [table.fmt(v) for v in rows["kendall"]],
            "thesis R²": [table.fmt(v) for v in rows["thesis_r2"]],
        })  # fmt: skip
        if ceiling:
            frame.insert(2, "R²/ceiling", [table.fmt(v, 2) for v in rows["r2_of_ceiling"]])
            frame.insert(
                4, "pooled/ceiling", [table.fmt(v, 2) for v in rows["r2_pooled_of_ceiling"]]
            )
        out.append((f"{table.cell_label(str(cell_name))} ({how})", frame))
    return out
