"""Can accuracy be predicted from a graph? Predictors scored two ways (docs/method.md §7).

``cv`` (default): repeated K-fold cross-validation on the design of each cell
(`randrnn.analysis.design`: X, y, groups and the fold plan, built once), every predictor on the
same folds. The property regressors are scikit-learn pipelines (MinMax scaling inside, so no
fold sees another's scale); the graph-reading ones (`randrnn.analysis.predictors`) read the DAG.
Reported: pooled R² (one R² over all out-of-fold predictions) first, the fold mean R² ± sd
(constant folds left out and counted), MAE, and Spearman / Kendall between out-of-fold
predictions and the truth.

``thesis``: exactly the thesis' protocol, for comparison with its table: MinMax scaling fitted on
all rows, one ``train_test_split(test_size=0.10, random_state=7)``, scikit-learn defaults, R² on
the (about 20) test rows. Property regressors only.

A table with several rows per graph (one per seed replicate, ``--per-run``) is split by graph in
both protocols, so no graph's runs are on both sides. With replicates, ``add_ceiling`` puts each
R² beside the noise ceiling of its target (`randrnn.analysis.noise`): R² / ceiling is the share
of the variance that graph structure could explain at all which the regressor does explain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import MinMaxScaler

from randrnn.analysis import design, predictors, scores, table, thesis
from randrnn.analysis.config import PredictConfig
from randrnn.analysis.design import (  # noqa: F401 (public names kept here for their callers)
    FEATURE_SETS,
    GRAPH,
    MAX_FOLDS,
    Design,
    choose_folds,
    graph_count,
    graph_groups,
    select_features,
    splits,
    xy,
)
from randrnn.analysis.predictors import (  # noqa: F401
    GRAPH_PREDICTORS,
    PREDICTORS,
    REGRESSORS,
    THESIS_REGRESSORS,
    label,
    make_pipeline,
)
from randrnn.analysis.request import PROTOCOLS, Request, parse  # noqa: F401 (PROTOCOLS: kept)
from randrnn.errors import RandRNNError

# Columns of an `evaluate` result, in order.
RESULT_COLUMNS = ["cell", "regressor", "protocol", "feature_set", "n", "n_features", "folds",
                  "repeats", "r2_pooled", "r2", "r2_sd", "constant_folds", "mae", "spearman", "kendall",
                  "n_test", "thesis_r2"]  # fmt: skip
THESIS_TEST_SIZE = 0.10
THESIS_RANDOM_STATE = 7


def parse_regressors(text: str | Sequence[str]) -> list[str]:
    """'all' (the property regressors), 'random_forest,gin' (or a list) → validated names
    (`predictors.parse`: a graph predictor whose extra is missing is one error line)."""
    return predictors.parse(text)


def designs(
    df: pd.DataFrame,
    request: Request,
    cell: str | None = None,
    graphs: Mapping[int, nx.Graph] | None = None,
) -> list[Design]:
    """Each cell's design for ``request`` (target, features, protocol, cv, repeats, seed),
    with the graphs encoded when one of its predictors reads them (from ``graphs``, else from
    the study). The thesis protocol needs 20 graphs a cell."""
    need = {}
    if request.protocol == "thesis":
        need = {"why": "the thesis' 90/10 split", "need": 20, "fix": "use --protocol cv"}
    built = design.build(
        df, target=request.target, features=request.features, cell=cell, cv=request.cv,
        repeats=request.repeats, seed=request.seed, **need,
    )  # fmt: skip
    if request.readers:
        built = design.with_graphs(built, df, ", ".join(request.readers), graphs)
    return built


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
    """Repeated K-fold scores of one property regressor on ``X``, ``y`` (folds over ``groups``
    when given): `scores.cross_validate` on the design of these arrays."""
    plan = Design(table.ALL, X, y, (), None, groups, cv, repeats, seed)
    return scores.cross_validate(plan, regressor, X_new)


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
    spearman, kendall = scores.rank_corr(pred, y_te)
    return {
        "r2": float(r2_score(y_te, pred)),
        "mae": float(mean_absolute_error(y_te, pred)),
        "spearman": spearman,
        "kendall": kendall,
        "n_test": len(y_te),
        "test_index": i_te,
    }


def score(plans: Sequence[Design], request: Request) -> pd.DataFrame:
    """One row per (cell, predictor of ``request``) of the designs: `RESULT_COLUMNS`. Every
    predictor of a cell is scored on that cell's folds; the request's ``feature_set`` names the
    features (for the table and the thesis' published R², ``thesis_r2``, NaN where it published
    none)."""
    protocol, feature_set, regressors = request.protocol, request.feature_set, request.names
    records = []
    for plan in plans:
        for name in regressors:
            if protocol == "cv":
                res = scores.cross_validate(plan, name)
                n_test = math.nan
            else:
                res = thesis_split(plan.X, plan.y, name, plan.seed, plan.groups)
                res.update(r2_sd=math.nan, constant_folds=0, r2_pooled=res["r2"])
                n_test = res["n_test"]  # one split: nothing to pool
            records.append({
                "cell": plan.cell,
                "regressor": name,
                "protocol": protocol,
                "feature_set": feature_set,
                "n": len(plan.y),
                "n_features": len(plan.features),
                "folds": plan.folds if protocol == "cv" else math.nan,
                "repeats": plan.repeats if protocol == "cv" else math.nan,
                **{k: res[k] for k in ("r2_pooled", "r2", "r2_sd", "constant_folds", "mae",
                                       "spearman", "kendall")},
                "n_test": n_test,
                "thesis_r2": thesis.regression_r2(plan.cell, name, feature_set),
            })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)


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
    graphs: Mapping[int, nx.Graph] | None = None,
) -> pd.DataFrame:
    """One row per (cell, predictor): n, folds, pooled R², fold R² (mean, sd, constant folds
    left out), MAE, Spearman, Kendall (`score` on `designs` of the `parse`d options).

    ``cv=None`` chooses the folds per cell from its graphs (`choose_folds`). ``graphs`` (graph
    id → graph) feeds the graph-reading predictors; without it they read the table's study.
    """
    regressors = regressors if isinstance(regressors, str) else ",".join(regressors)
    options = PredictConfig(target=target, regressor=regressors, protocol=protocol, cv=cv,
                            repeats=repeats, feature_set=feature_set, features=_text(features),
                            seed=seed)  # fmt: skip
    request = parse(options, df)
    return score(designs(df, request, cell, graphs), request)


def _text(features: Sequence[str] | str | None) -> str | None:
    return features if features is None or isinstance(features, str) else ",".join(features)


def importances(
    df: pd.DataFrame,
    request: Request,
    regressor: str = "random_forest",
    cell: str | None = None,
    n_repeats: int = 5,
) -> pd.DataFrame:
    """Feature importances of property regressor ``regressor`` per cell, most important first.

    ``impurity``: the fitted model's ``feature_importances_`` on all rows (tree models only,
    NaN otherwise). ``permutation`` / ``permutation_sd``: drop in R² when a feature is shuffled,
    measured on held-out folds of a K-fold split (``request.cv`` folds, ``n_repeats``
    shuffles each). ``request``: target, features and seed (its predictors are not read).
    """
    seed = request.seed
    parts = []
    plans = design.build(
        df, target=request.target, features=request.features, cell=cell, cv=request.cv,
        repeats=1, seed=seed, why="{k}-fold permutation importance",
    )  # fmt: skip
    for plan in plans:
        X, y, groups, k, cols = plan.X, plan.y, plan.groups, plan.folds, list(plan.features)
        full = make_pipeline(regressor, seed).fit(X, y)
        impurity = getattr(full.named_steps["model"], "feature_importances_", None)
        drops = []
        folds = (
            KFold(k, shuffle=True, random_state=seed).split(X) if groups is None else plan.splits()
        )
        for train, test in folds:
            model = make_pipeline(regressor, seed).fit(X[train], y[train])
            perm = permutation_importance(
                model, X[test], y[test], n_repeats=n_repeats, random_state=seed, scoring="r2"
            )
            drops.append(perm.importances)
        drops = np.concatenate(drops, axis=1)
        part = pd.DataFrame({
            "cell": plan.cell,
            "regressor": regressor,
            "n": len(y),
            "folds": k,
            "feature": cols,
            "impurity": np.full(len(cols), np.nan) if impurity is None else impurity,
            "permutation": drops.mean(axis=1),
            "permutation_sd": drops.std(axis=1, ddof=1),
            "thesis_impurity": [
                thesis.IMPORTANCE.get(plan.cell, {}).get(f, math.nan)
                if regressor == "random_forest" else math.nan
                for f in cols
            ],
        })  # fmt: skip
        parts.append(part.sort_values("permutation", ascending=False, ignore_index=True))
    return pd.concat(parts, ignore_index=True)


def predict_graph(
    df: pd.DataFrame,
    props: Mapping[str, float],
    request: Request,
    regressor: str = "random_forest",
    cell: str | None = None,
    graph: nx.Graph | None = None,
    plans: Sequence[Design] | None = None,
) -> pd.DataFrame:
    """Predict the target of an untrained graph (its ``props``; ``graph`` itself for the
    graph-reading predictors) per cell, with the spread.

    ``prediction`` comes from the model fitted on all rows; ``fold_sd``/``fold_lo``/``fold_hi``
    are the sd and 2.5–97.5% range of the cv × repeats fold models' predictions; ``tree_sd`` the
    sd across a forest's trees (forests only); ``cv_r2_pooled`` and ``cv_r2`` say how far to
    trust it; ``outside`` lists features where the graph lies outside the training range
    (extrapolation). ``request``: target, features, cv, repeats and seed (its predictors are
    not read: ``regressor`` is one of them); ``plans``: the designs, when already built
    (`designs`).
    """
    predictor = PREDICTORS[regressor]
    if plans is None:
        plans = designs(df, replace(request, names=(regressor,), protocol="cv"), cell)
    cols = list(plans[0].features) if plans else []
    unknown = [c for c in cols if c not in props]
    if unknown:
        raise RandRNNError(f"feature(s) {', '.join(unknown)} cannot be computed from a graph file")
    x_new = np.array([[float(props[c]) for c in cols]])
    new = x_new
    if predictor.reads != "properties":
        if graph is None:
            raise RandRNNError(f"{regressor} predicts from the graph itself: give the graph")
        from randrnn.analysis.graph_input import encode

        encoded = [encode(graph)]
        new = encoded if predictor.reads == "graph" else (x_new, encoded)
    records = []
    for plan in plans:
        X, y = plan.X, plan.y
        res = scores.cross_validate(plan, regressor, new)
        full = predictor.make(plan.seed).fit(
            plan.inputs(predictor.reads), y, **plan.fit_args(predictor.reads)
        )
        model = full.named_steps["model"] if predictor.reads == "properties" else full
        tree_sd = math.nan
        if isinstance(model, RandomForestRegressor):
            scaled = full.named_steps["scale"].transform(x_new)
            tree_sd = float(np.std([t.predict(scaled)[0] for t in model.estimators_], ddof=1))
        fold = res["new"][:, 0]
        outside = [
            c for j, c in enumerate(cols) if not X[:, j].min() <= x_new[0, j] <= X[:, j].max()
        ]
        records.append({
            "cell": plan.cell,
            "regressor": regressor,
            "n": len(y),
            "folds": plan.folds,
            "prediction": float(np.asarray(full.predict(new))[0]),
            "fold_sd": float(np.std(fold, ddof=1)),
            "fold_lo": float(np.percentile(fold, 2.5)),
            "fold_hi": float(np.percentile(fold, 97.5)),
            "tree_sd": tree_sd,
            "cv_r2_pooled": res["r2_pooled"],
            "cv_r2": res["r2"],
            "cv_r2_sd": res["r2_sd"],
            "observed_mean": float(y.mean()),
            "outside": ", ".join(outside),
        })  # fmt: skip
    return pd.DataFrame.from_records(records)


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


R2_LEGEND = (
    "pooled R²: one R² over every out-of-fold prediction (all folds and repeats at once); "
    "fold R² (--wide): the mean ± sd of each test fold's own R², a fold whose targets are all "
    "equal left out (its R² is undefined)."
)


def constant_note(result: pd.DataFrame) -> str:
    """A line per cell whose test folds include some with all-equal targets ('' if none)."""
    if "constant_folds" not in result.columns:
        return ""
    lines = []
    for cell_name, rows in result.groupby("cell", sort=False):
        left, first = int(rows["constant_folds"].max()), rows.iloc[0]
        if left and first["protocol"] == "cv":
            total = int(first["folds"]) * int(first["repeats"])
            lines.append(
                f"{table.cell_label(str(cell_name))}: {left} of {total} test folds have all-equal "
                "targets, left out of the fold R²."
            )
    return "\n".join(lines)


def display(result: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Readable text tables of an ``evaluate`` result, one per cell: (title, frame of strings).

    Pooled R² first, then the fold R² (mean ± sd) and how many constant folds it left out (the
    thesis protocol's one split: its R² alone). With ``add_ceiling`` columns, the title names the cell's noise ceiling and each R² has its R² /
    ceiling beside it.
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
        one_split = first["protocol"] == "thesis"  # one test set: its R² is the only one
        frame = pd.DataFrame({
            "regressor": [label(r) for r in rows["regressor"]],
            "R²" if one_split else "pooled R²": [table.fmt(v) for v in rows["r2_pooled"]],
            "fold R²": [
                table.fmt(r) + ("" if math.isnan(sd) else f" ± {table.fmt(sd)}")
                for r, sd in zip(rows["r2"], rows["r2_sd"])
            ],
            "left out": [str(int(v)) for v in rows["constant_folds"].fillna(0)],
            "MAE": [table.fmt(v, 4) for v in rows["mae"]],
            "Spearman": [table.fmt(v) for v in rows["spearman"]],
            "Kendall τ": [table.fmt(v) for v in rows["kendall"]],
            "thesis R²": [table.fmt(v) for v in rows["thesis_r2"]],
        })  # fmt: skip
        if ceiling:
            frame.insert(
                2,
                "R²/ceiling" if one_split else "pooled/ceiling",
                [table.fmt(v, 2) for v in rows["r2_pooled_of_ceiling"]],
            )
            frame.insert(4, "fold/ceiling", [table.fmt(v, 2) for v in rows["r2_of_ceiling"]])
        if one_split:
            frame = frame.drop(columns=["fold R²", "fold/ceiling", "left out"], errors="ignore")
        out.append((f"{table.cell_label(str(cell_name))} ({how})", frame))
    return out
