"""A new graph's accuracy predicted from an atlas, with no training (docs/method.md §7).

For one (task, cell) of an atlas (or of any study), every property regressor of the registry is
scored by pooled out-of-fold R² on the atlas' graphs (graph means over replicates, the thesis'
23 properties, repeated K-fold: `randrnn.analysis.scores`); the best one is the atlas'
predictor. It is fitted on every graph and predicts with three spreads: ``rmse``, the
out-of-fold error of a graph mean (how far a prediction is typically off), ``tree_sd``, the sd
across a forest's trees (forests only, per graph), and ``seed_sd``, how much one training run
of a graph differs from another (the within-graph sd over replicates).

The cross-validation is the slow part (about a minute for 500 graphs); its outcome is cached as
JSON under ``cache_dir()/atlas-models/<checksum>/<task>--<cell>.json``: the chosen regressor,
every regressor's R², the spreads and the design (X, y) itself. Loading reads JSON and fits the
chosen regressor again on the stored rows with its stored seed, which takes under a second and
gives the same model: nothing that is loaded executes code (no pickle).

Coverage: a graph whose node count or density lies outside the atlas' range, whose property
vector is farther from its nearest atlas graph than 99 % of the atlas' graphs are from theirs
(MinMax-scaled properties), or whose generator family the atlas lacks, is named in one warning
line: the prediction there is an extrapolation.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from randrnn.analysis import design, scores, table
from randrnn.analysis.predictors import REGRESSORS, label, make_pipeline
from randrnn.errors import RandRNNError
from randrnn.tasks.registry import DEFAULT_TASK

MODEL_VERSION = 1  # of the cached JSON: a file of another version is fitted again
CV, REPEATS = 10, 2  # the selection's K-fold (fewer folds for fewer than 20 graphs)
NN_QUANTILE = 99.0  # percentile of the atlas' own nearest-neighbour distances: the coverage edge
RANGE_FEATURES = ("nodes", "density")  # checked against the atlas' [min, max] by name


@dataclass(frozen=True, eq=False)
class AtlasModel:
    """The predictor of one (task, cell): the chosen ``regressor`` and the design it was chosen
    on (``X`` rows of ``features``, ``y`` the graph means, ``generators`` of the rows), every
    regressor's pooled out-of-fold R² (``r2``), the chosen one's out-of-fold error ``rmse``,
    the seed noise ``seed_sd`` (NaN without replicates) and the coverage edge ``nn_limit``."""

    task: str
    cell: str
    regressor: str
    features: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    generators: tuple[str, ...]
    r2: dict[str, float]
    rmse: float
    seed_sd: float
    replicates: float
    nn_limit: float
    seed: int = 0
    settings: dict = field(default_factory=dict)

    @property
    def cv_r2(self) -> float:
        """The chosen regressor's pooled out-of-fold R²."""
        return self.r2[self.regressor]

    @cached_property
    def fitted(self) -> object:
        """The chosen regressor fitted on every graph (a scikit-learn pipeline, MinMax first)."""
        return make_pipeline(self.regressor, self.seed).fit(self.X, self.y)

    @cached_property
    def _scale(self) -> tuple[np.ndarray, np.ndarray]:
        low, span = self.X.min(axis=0), np.ptp(self.X, axis=0)
        return low, np.where(span > 0, span, 1.0)

    def matrix(self, props: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The feature rows of property dicts (one error line naming a missing feature)."""
        missing = sorted({f for p in props for f in self.features if f not in p})
        if missing:
            raise RandRNNError(f"the atlas' predictor needs the properties {', '.join(missing)}")
        return np.array([[float(p[f]) for f in self.features] for p in props], dtype=float)

    def predict(self, X_new: np.ndarray) -> pd.DataFrame:
        """Per row: ``prediction`` and ``tree_sd`` (NaN for models other than a forest)."""
        X_new = np.atleast_2d(X_new)
        prediction = np.asarray(self.fitted.predict(X_new), dtype=float)
        model = self.fitted.named_steps["model"]
        tree_sd = np.full(len(X_new), math.nan)
        if isinstance(model, RandomForestRegressor):
            scaled = self.fitted.named_steps["scale"].transform(X_new)
            trees = np.array([tree.predict(scaled) for tree in model.estimators_])
            tree_sd = trees.std(axis=0, ddof=1)
        return pd.DataFrame({"prediction": prediction, "tree_sd": tree_sd})

    def distances(self, X_new: np.ndarray) -> np.ndarray:
        """Each row's distance to its nearest atlas graph in the MinMax-scaled properties."""
        low, span = self._scale
        return _nearest((np.atleast_2d(X_new) - low) / span, (self.X - low) / span)

    def coverage(
        self, X_new: np.ndarray, generators: Sequence[str | None] | None = None
    ) -> list[str]:
        """Per row: '' when the atlas covers it, else what lies outside ('nodes 80 outside
        10–50; ...'), from the node and density ranges, the nearest-neighbour distance and
        the generator family (when ``generators`` names one per row)."""
        X_new = np.atleast_2d(X_new)
        notes: list[list[str]] = [[] for _ in range(len(X_new))]
        for name in RANGE_FEATURES:
            if name not in self.features:
                continue
            j = self.features.index(name)
            low, high = self.X[:, j].min(), self.X[:, j].max()
            for i in np.flatnonzero((X_new[:, j] < low) | (X_new[:, j] > high)):
                notes[i].append(f"{name} {_num(X_new[i, j])} outside {_num(low)}–{_num(high)}")
        far = self.distances(X_new)
        for i in np.flatnonzero(far > self.nn_limit):
            notes[i].append(
                f"properties {far[i]:.3g} from the nearest atlas graph (99% of the atlas' "
                f"graphs lie within {self.nn_limit:.3g} of theirs)"
            )
        known = set(self.generators)
        for i, name in enumerate(generators or []):
            if name is not None and name not in known:
                notes[i].append(f"generator {name} not in the atlas ({', '.join(sorted(known))})")
        return ["; ".join(n) for n in notes]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _nearest(points: np.ndarray, reference: np.ndarray, skip_self: bool = False) -> np.ndarray:
    """Euclidean distance of each point to its nearest reference row (blocks of 1,000 rows)."""
    out = np.empty(len(points))
    for start in range(0, len(points), 1000):
        block = points[start : start + 1000]
        d = np.sqrt(((block[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2))
        if skip_self:
            d[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        out[start : start + 1000] = d.min(axis=1)
    return out


def seed_noise(runs: pd.DataFrame, target: str = table.DEFAULT_TARGET) -> tuple[float, float]:
    """(within-graph sd of ``target`` pooled over the graphs with two runs or more, mean runs
    per graph): the sd of one run around its graph's mean; NaN when no graph has two runs."""
    if "replicate" not in runs.columns:
        return math.nan, 1.0
    grouped = runs.groupby(design.GRAPH)[target]
    counts = grouped.count()
    squares = grouped.apply(lambda s: float(((s - s.mean()) ** 2).sum()))
    dof = int((counts - 1)[counts >= 2].sum())
    sd = math.sqrt(float(squares[counts >= 2].sum()) / dof) if dof else math.nan
    return sd, float(counts.mean())


def fit(
    runs: pd.DataFrame,
    cell: str,
    *,
    task: str = DEFAULT_TASK,
    regressors: Sequence[str] | None = None,
    cv: int | None = None,
    repeats: int | None = None,
    seed: int = 0,
    target: str = table.DEFAULT_TARGET,
) -> AtlasModel:
    """The predictor of ``cell`` from per-run rows of one task (a study's table with
    ``per_run=True``, or one row per graph): every regressor of ``regressors`` (default: the
    registry's) scored on the same ``cv``-fold × ``repeats`` folds (default `CV`, `REPEATS`),
    the best by pooled out-of-fold R² kept."""
    regressors = tuple(regressors or REGRESSORS)
    cv, repeats = cv or CV, repeats or REPEATS
    rows = table.select_cells(runs, [cell])
    sd, replicates = seed_noise(rows, target)
    means = table.per_graph(rows)
    units = means[design.GRAPH].nunique() if design.GRAPH in means.columns else len(means)
    folds = design.choose_folds(units, None, most=cv)
    table.check_target(means, target)
    features = design.select_features(means, target, "all")  # the thesis' 23
    (plan,) = design.build(means, target=target, features=features, cell=cell, cv=folds,
                           repeats=repeats, seed=seed, why="choosing the atlas' predictor "
                           "({k}-fold CV)")  # fmt: skip
    r2, errors = {}, {}
    for name in regressors:
        res = scores.cross_validate(plan, name)
        r2[name] = float(res["r2_pooled"])
        errors[name] = float(np.sqrt(np.mean((res["oof"] - plan.y[None, :]) ** 2)))
    best = max(r2, key=lambda n: (r2[n], -list(r2).index(n)))  # first of equals
    generators = _generators(means, plan)
    low, span = plan.X.min(axis=0), np.ptp(plan.X, axis=0)
    scaled = (plan.X - low) / np.where(span > 0, span, 1.0)
    own = _nearest(scaled, scaled, skip_self=True)
    return AtlasModel(
        task=task, cell=cell, regressor=best, features=plan.features, X=plan.X, y=plan.y,
        generators=generators, r2=r2, rmse=errors[best], seed_sd=sd, replicates=replicates,
        nn_limit=float(np.percentile(own, NN_QUANTILE)), seed=seed,
        settings={"cv": folds, "repeats": repeats, "regressors": list(regressors),
                  "target": target},
    )  # fmt: skip


def _generators(means: pd.DataFrame, plan: design.Design) -> tuple[str, ...]:
    """The generator family of each design row ('design:ws' and 'ws' are both 'ws')."""
    if "generator" not in means.columns or plan.graph_ids is None:
        return ("",) * len(plan.y)
    by_id = dict(zip(means[design.GRAPH], means["generator"].astype(str)))
    return tuple(family(by_id[i]) for i in plan.graph_ids)


def family(generator: str) -> str:
    """A stored generator name's family: 'design:ws' → 'ws', 'import:g.graphml' → 'import'."""
    head, _, rest = generator.partition(":")
    return rest if head == "design" else head


# --- the cache --------------------------------------------------------------------------------


def to_json(model: AtlasModel) -> dict:
    """A plain JSON value of the model (what the cache holds)."""
    return {
        "version": MODEL_VERSION, "task": model.task, "cell": model.cell,
        "regressor": model.regressor, "features": list(model.features),
        "X": model.X.tolist(), "y": model.y.tolist(), "generators": list(model.generators),
        "r2": model.r2, "rmse": model.rmse, "seed_sd": _nan_none(model.seed_sd),
        "replicates": model.replicates, "nn_limit": model.nn_limit, "seed": model.seed,
        "settings": model.settings,
    }  # fmt: skip


def from_json(data: Mapping) -> AtlasModel:
    """The model `to_json` wrote (the chosen regressor is fitted again when first used)."""
    return AtlasModel(
        task=data["task"], cell=data["cell"], regressor=data["regressor"],
        features=tuple(data["features"]), X=np.array(data["X"], dtype=float),
        y=np.array(data["y"], dtype=float), generators=tuple(data["generators"]),
        r2={k: float(v) for k, v in data["r2"].items()}, rmse=float(data["rmse"]),
        seed_sd=math.nan if data["seed_sd"] is None else float(data["seed_sd"]),
        replicates=float(data["replicates"]), nn_limit=float(data["nn_limit"]),
        seed=int(data["seed"]), settings=dict(data["settings"]),
    )  # fmt: skip


def _nan_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def cache_file(checksum: str, task: str, cell: str) -> Path:
    """Where the model of (task, cell) of the atlas with ``checksum`` is cached."""
    from randrnn.cache import cache_dir

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{task}--{cell}")
    return cache_dir() / "atlas-models" / checksum / f"{safe}.json"


@dataclass(frozen=True)
class Source:
    """What predictions are made from: a ``name`` for messages, a ``checksum`` of its content
    (the cache key) and the study database holding its runs (an atlas' `study_path`)."""

    name: str
    checksum: str
    study: Path

    @cached_property
    def runs(self) -> pd.DataFrame:
        """Every finished run, per run, with a ``task`` column."""
        df = table.load_study(self.study, per_run=True)
        if table.TASK not in df.columns:
            df = df.assign(**{table.TASK: DEFAULT_TASK})
        return df

    def tasks(self) -> list[str]:
        """The tasks with runs (registry order)."""
        return table.tasks_of(self.runs)

    def cells(self, task: str) -> list[str]:
        """The cells with runs of ``task``."""
        return sorted(set(self.runs.loc[self.runs[table.TASK] == task, "cell"]))


def atlas_source(path: str | Path | None = None) -> Source:
    """An atlas (`randrnn.atlas.load`: None is the shipped one; a folder that is not an atlas is
    one error line) as a prediction source."""
    from randrnn.atlas import load

    atlas = load(path)
    where = "the shipped atlas" if path is None else f"atlas {path}"
    return Source(where, str(atlas.checksum), Path(atlas.study_path()))


def study_source(path: str | Path) -> Source:
    """Any study as a prediction source, keyed by a checksum of its finished runs."""
    frame = table.results_table(path)
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]
    return Source(f"study {path}", f"study-{digest}", Path(path))


def model_for(
    source: Source, task: str, cell: str, *, refit: bool = False, **settings: object
) -> AtlasModel:
    """The predictor of (task, cell): from the cache when it holds one for this source's
    checksum (and the same ``settings``, `fit`'s keywords), else chosen and fitted (`fit`)
    and written to the cache."""
    if task not in source.tasks():
        raise RandRNNError(f"{source.name} has no runs of task {task} (tasks: "
                           f"{', '.join(source.tasks())})")  # fmt: skip
    if cell not in source.cells(task):
        raise RandRNNError(f"{source.name} has no {cell} runs of task {task} (cells: "
                           f"{', '.join(source.cells(task))})")  # fmt: skip
    path = cache_file(source.checksum, task, cell)
    asked = json.loads(json.dumps(settings))  # as the cache file holds them (lists, not tuples)
    if path.exists() and not refit:
        try:
            data = json.loads(path.read_text())
            if data.get("version") == MODEL_VERSION and data.get("asked") == asked:
                return from_json(data)
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache file is fitted again below
    runs = source.runs[source.runs[table.TASK] == task]
    model = fit(runs, cell, task=task, **settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({**to_json(model), "asked": asked}))
    partial.replace(path)  # never a half-written cache file
    return model


def default_task(source: Source, task: str | None) -> str:
    """``task``, else reber when the source has it, else its only task (else one error)."""
    tasks = source.tasks()
    if task is not None:
        return task
    if DEFAULT_TASK in tasks or len(tasks) == 1:
        return DEFAULT_TASK if DEFAULT_TASK in tasks else tasks[0]
    raise RandRNNError(
        f"{source.name} holds several tasks ({', '.join(tasks)}): name one with --task"
    )


PREDICT_COLUMNS = ["task", "cell", "regressor", "prediction", "rmse", "tree_sd", "seed_sd",
                   "run_lo", "run_hi", "cv_r2", "n", "outside"]  # fmt: skip


def predict_graph(
    source: Source,
    props: Mapping[str, float],
    cells: Sequence[str],
    tasks: Sequence[str],
    generator: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """One row per (task, cell): `PREDICT_COLUMNS` (``settings``: `fit`'s keywords).
    ``run_lo``/``run_hi``: the 95 % range of one trained run's accuracy (prediction ± 1.96
    √(rmse² + seed_sd²), within [0, 1]); ``outside``: what of
    the graph the atlas does not cover ('' when it does)."""
    records = []
    for task in tasks:
        for cell in cells:
            model = model_for(source, task, cell, **(settings or {}))
            x = model.matrix([props])
            row = model.predict(x).iloc[0]
            noise = 0.0 if math.isnan(model.seed_sd) else model.seed_sd
            half = 1.96 * math.sqrt(model.rmse**2 + noise**2)
            records.append({
                "task": task, "cell": cell, "regressor": model.regressor,
                "prediction": row["prediction"], "rmse": model.rmse, "tree_sd": row["tree_sd"],
                "seed_sd": model.seed_sd, "run_lo": max(0.0, row["prediction"] - half),
                "run_hi": min(1.0, row["prediction"] + half), "cv_r2": model.cv_r2, "n": len(model.y),
                "outside": model.coverage(x, [generator])[0],
            })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=PREDICT_COLUMNS)


LEGEND = (
    "predicted: the atlas' best property regressor (by pooled out-of-fold R², CV R²) fitted on "
    "its graphs' mean accuracy; ± rmse: its out-of-fold error on a graph's mean; tree sd: spread "
    "across a forest's trees; seed sd: one run around its graph's mean; one run 95%: predicted ± "
    "1.96 √(rmse² + seed sd²), within [0, 1]."
)


def describe(model: AtlasModel) -> str:
    """'RandomForest (CV R² 0.41 on 500 graphs)'."""
    return f"{label(model.regressor)} (CV R² {model.cv_r2:.3f} on {len(model.y)} graphs)"


def scorer(
    source: Source, task: str, cells: Sequence[str], settings: Mapping[str, object] | None = None
) -> tuple[object, dict, list]:
    """(the design scorer of ``cells`` on ``task``: the mean of their predicted accuracies as
    ``score``, each cell's as ``predicted_<cell>``, and ``outside`` (`AtlasModel.coverage`);
    the label recorded with a design; the models)."""
    models = [model_for(source, task, cell, **(settings or {})) for cell in cells]

    def score(props: Sequence[Mapping[str, float]], generators: Sequence[str]) -> pd.DataFrame:
        columns = {
            f"predicted_{m.cell}": m.predict(m.matrix(props))["prediction"].to_numpy()
            for m in models
        }
        frame = pd.DataFrame(columns)
        frame.insert(0, "score", frame.mean(axis=1))
        first = models[0]
        frame["outside"] = first.coverage(first.matrix(props), [family(g) for g in generators])
        return frame

    label = {
        "source": source.name, "checksum": source.checksum, "task": task, "cells": list(cells),
        "regressors": {m.cell: m.regressor for m in models},
    }  # fmt: skip
    return score, label, models


def covered(model: AtlasModel) -> tuple[list[str], tuple[int, int]]:
    """The generator families (in the order first met) and the node range of the model's
    graphs: what a design draws from by default."""
    families = list(dict.fromkeys(g for g in model.generators if g))
    j = model.features.index("nodes") if "nodes" in model.features else None
    if j is None:
        raise RandRNNError("the atlas' predictor has no 'nodes' feature: give --nodes")
    return families, (int(model.X[:, j].min()), int(model.X[:, j].max()))
