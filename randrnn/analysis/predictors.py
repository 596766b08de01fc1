"""The predictor registry: the property regressors (scikit-learn pipelines on the graph
properties, the thesis' defaults) and the predictors that read the graph itself.

A predictor is ``make(seed)`` → an unfitted estimator with ``fit(inputs, y)`` and
``predict(inputs)``, and it ``reads`` 'properties' (a feature matrix), 'graph' (a list of
`randrnn.analysis.graph_input.GraphInput`) or 'both' (the pair). The graph-reading ones need the
``graph`` extra (GraKeL, PyTorch Geometric): asking for one without it is one error line naming
the install command (`require`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sklearn.base import RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import AdaBoostRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from randrnn.errors import RandRNNError, check_name

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
INSTALL_GRAPH = "pip install -e '.[graph]'"


def make_pipeline(regressor: str, seed: int = 0, scale: bool = True) -> Pipeline:
    """MinMax scaling then the regressor (``scale=False``: the regressor alone, in a pipeline)."""
    check_name("regressor", regressor, REGRESSORS)
    steps = [("scale", MinMaxScaler())] if scale else []
    return Pipeline([*steps, ("model", REGRESSORS[regressor][1](seed))])


def _wl(seed: int, props: bool = False) -> object:
    from randrnn.analysis.wl import WLKernelRegressor

    return WLKernelRegressor(seed=seed, with_properties=props)


def _gin(seed: int, props: bool = False) -> object:
    from randrnn.analysis.gin import GINRegressor

    return GINRegressor(seed=seed, with_properties=props)


@dataclass(frozen=True)
class Predictor:
    """A registry entry: its ``label``, what it ``reads``, its factory, and the modules of the
    extra it needs (none for the property regressors)."""

    label: str
    reads: str
    make: Callable[[int], object]
    modules: tuple[str, ...] = ()


PREDICTORS: dict[str, Predictor] = {
    **{
        name: Predictor(label, "properties", lambda seed, name=name: make_pipeline(name, seed))
        for name, (label, _) in REGRESSORS.items()
    },
    "wl_kernel": Predictor("WL kernel", "graph", _wl, ("grakel",)),
    "gin": Predictor("GIN", "graph", _gin, ("torch_geometric",)),
    "wl_props": Predictor(
        "WL + properties", "both", lambda seed: _wl(seed, props=True), ("grakel",)
    ),
    "gin_props": Predictor(
        "GIN + properties", "both", lambda seed: _gin(seed, props=True), ("torch_geometric",)
    ),
}
GRAPH_PREDICTORS = tuple(n for n, p in PREDICTORS.items() if p.reads != "properties")


def label(name: str) -> str:
    """The predictor's name in tables ('random_forest' → 'RandomForest')."""
    return PREDICTORS[name].label


def reads_graphs(names: Sequence[str]) -> list[str]:
    """The names among ``names`` whose predictor reads the graph itself."""
    return [n for n in names if PREDICTORS[n].reads != "properties"]


def require(name: str) -> None:
    """Fail with one line naming the install command if ``name``'s extra is not installed."""
    for module in PREDICTORS[name].modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise RandRNNError(
                f"the {name} predictor needs {module}, which is not installed: {INSTALL_GRAPH}"
            ) from None


def parse(text: str | Sequence[str]) -> list[str]:
    """'all' (the property regressors), 'gin,wl_kernel' or 'all,gin' (or a list) → validated
    predictor names, each once, in order, with their extras checked (`require`)."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    expanded = [m for n in names if n for m in (REGRESSORS if n == "all" else [n])]
    expanded = list(dict.fromkeys(expanded))
    unknown = [n for n in expanded if n not in PREDICTORS]
    if unknown or not expanded:
        raise RandRNNError(
            f"unknown regressor '{','.join(unknown)}'; known: all, {', '.join(PREDICTORS)}"
        )
    for name in expanded:
        require(name)
    return expanded
