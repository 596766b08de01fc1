"""The Weisfeiler–Lehman subtree kernel over the DAG, with kernel ridge (docs/method.md §7).

GraKeL computes the kernel (`grakel.kernels.WeisfeilerLehman` over `VertexHistogram`, not
normalised, so a graph's size counts): each node starts with its label 'layer|in|out'
(`randrnn.analysis.graph_input`) and each WL round relabels it with its label and
its neighbours' (edges taken both ways; the orientation is in the labels). The kernel of two
graphs is the dot product of their label histograms over all rounds; it is centred on the
training graphs (an intercept, `sklearn.preprocessing.KernelCenterer`) and scaled to a mean
diagonal of 1. Kernel ridge (scikit-learn, ``kernel="precomputed"``) regresses the centred
target on it; the number of relabelling rounds (0: the label histogram alone, to 3) and the
ridge are chosen by an inner K-fold on the training rows only, seeded, over graphs when a graph
has several rows (``groups``: its runs never on both sides of an inner split). GraKeL's
``WeisfeilerLehman(n_iter=k)`` counts the labels of k + 1 rounds (``_n_iter = n_iter + 1``:
the initial labels, then k relabellings) and refuses k = 0, so the histogram alone is GraKeL's
``VertexHistogram`` on the initial labels. ``with_properties`` adds ``weight`` × an RBF
kernel on the standardised properties (``wl_props``), the weight chosen by the same inner CV.
Needs the ``graph`` extra (imported when used, so this module loads without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import KFold
from sklearn.preprocessing import KernelCenterer, StandardScaler

from randrnn.analysis.graph_input import GraphInput

if TYPE_CHECKING:  # GraKeL (the graph extra) loads when a kernel is computed
    from grakel import Graph

ITERATIONS = (0, 1, 2, 3)  # WL relabelling rounds tried (0: the initial label histogram alone)
ALPHAS = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # ridge strengths tried (kernel scaled to diag 1)
WEIGHTS = (0.25, 1.0, 4.0)  # weights of the property kernel tried (wl_props)


def to_grakel(g: GraphInput) -> Graph:
    """The encoded graph as GraKeL's: an adjacency dict (both directions) and node labels."""
    from grakel import Graph

    adjacency: dict[int, list[int]] = {v: [] for v in range(g.nodes)}
    for u, v in g.edges.T.tolist():
        adjacency[u].append(v)
        adjacency[v].append(u)
    return Graph(adjacency, node_labels=dict(enumerate(g.labels())))


class WLKernelRegressor:
    """Kernel ridge on the WL subtree kernel (and an RBF kernel on the properties): WL rounds,
    ridge and property weight tuned by an inner ``inner_folds``-fold CV on the training rows.
    ``fit(inputs, y)``: inputs are the graphs, or (property rows, graphs) ``with_properties``."""

    def __init__(
        self, iterations: Sequence[int] = ITERATIONS, alphas: Sequence[float] = ALPHAS,
        weights: Sequence[float] = WEIGHTS, inner_folds: int = 3, seed: int = 0,
        with_properties: bool = False,
    ) -> None:  # fmt: skip
        self.iterations = iterations
        self.alphas = alphas
        self.weights = weights
        self.inner_folds = inner_folds
        self.seed = seed
        self.with_properties = with_properties

    def _parts(self, inputs: object) -> tuple[np.ndarray | None, list[Graph]]:
        X, graphs = inputs if self.with_properties else (None, inputs)
        converted = [to_grakel(g) for g in graphs]
        return (None if X is None else np.asarray(X, dtype=float)), converted

    def _wl(self, n_iter: int, graphs: list[Graph]) -> tuple[np.ndarray, tuple]:
        """The training kernel of ``n_iter`` relabelling rounds, centred and scaled, and what
        maps new graphs onto it (the fitted kernel, its centerer and scale)."""
        kernel = wl_kernel(n_iter)
        raw = np.asarray(kernel.fit_transform(graphs), dtype=float)
        centerer = KernelCenterer().fit(raw)
        centred = centerer.transform(raw)
        scale = float(np.mean(np.diag(centred))) or 1.0
        return centred / scale, (kernel, centerer, scale)

    def fit(
        self, inputs: object, y: np.ndarray, groups: np.ndarray | None = None
    ) -> WLKernelRegressor:
        """Tune and fit on ``inputs`` and ``y``; ``groups`` (the graph of each row) keeps a
        graph's rows on one side of every inner split."""
        y = np.asarray(y, dtype=float)
        X, graphs = self._parts(inputs)
        props = None
        if X is not None:
            self.scaler_ = StandardScaler().fit(X)
            self.train_ = self.scaler_.transform(X)
            props = rbf_kernel(self.train_, gamma=1.0 / max(1, X.shape[1]))
        self.mean_ = float(y.mean())
        centred = y - self.mean_
        folds = inner_folds(len(y), self.inner_folds, self.seed, groups)
        best = np.inf
        for n_iter in self.iterations:
            wl, maps = self._wl(n_iter, graphs)
            for weight in self.weights if props is not None else (0.0,):
                K = wl if props is None else wl + weight * props
                for alpha in self.alphas:
                    err = _inner_error(K, centred, alpha, folds)
                    if err < best:
                        best, self.alpha_, self.weight_, self.n_iter_ = err, alpha, weight, n_iter
                        self.maps_, kernel = maps, K
        self.model_ = KernelRidge(alpha=self.alpha_, kernel="precomputed").fit(kernel, centred)
        return self

    def predict(self, inputs: object) -> np.ndarray:
        X, graphs = self._parts(inputs)
        kernel, centerer, scale = self.maps_
        K = centerer.transform(np.asarray(kernel.transform(graphs), dtype=float)) / scale
        if X is not None:
            z = self.scaler_.transform(X)
            K = K + self.weight_ * rbf_kernel(z, self.train_, gamma=1.0 / max(1, X.shape[1]))
        return self.model_.predict(K) + self.mean_


def wl_kernel(n_iter: int) -> object:
    """GraKeL's kernel of ``n_iter`` relabelling rounds: the label histogram alone for 0,
    else Weisfeiler–Lehman over vertex histograms (its rounds 0 .. n_iter), not normalised."""
    from grakel.kernels import VertexHistogram, WeisfeilerLehman

    if n_iter == 0:
        return VertexHistogram(normalize=False)
    return WeisfeilerLehman(n_iter=n_iter, base_graph_kernel=VertexHistogram, normalize=False)


def inner_folds(
    n: int, folds: int, seed: int, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of a seeded K-fold over the rows, or over the ``groups``
    (a group's rows on one side); none when there are fewer than two rows or groups."""
    ids = np.arange(n) if groups is None else np.unique(groups)
    k = min(folds, len(ids))
    if k < 2:
        return []
    split = KFold(k, shuffle=True, random_state=seed).split(ids)
    if groups is None:
        return list(split)
    out = []
    for _, test_ids in split:
        test = np.isin(groups, ids[test_ids])
        out.append((np.flatnonzero(~test), np.flatnonzero(test)))
    return out


def _inner_error(K: np.ndarray, y: np.ndarray, alpha: float, folds: list) -> float:
    """Squared error of kernel ridge on the inner folds of a precomputed kernel (0 if none)."""
    err = 0.0
    for tr, te in folds:
        model = KernelRidge(alpha=alpha, kernel="precomputed").fit(K[np.ix_(tr, tr)], y[tr])
        err += float(np.sum((model.predict(K[np.ix_(te, tr)]) - y[te]) ** 2))
    return err
