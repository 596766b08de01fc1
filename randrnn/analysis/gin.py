"""A small graph isomorphism network over the DAG (docs/method.md §7), PyTorch Geometric.

Each node's features are one-hot codes of its layer index, in-degree and out-degree (clipped at
`LAYERS` − 1 and `DEGREES` − 1; `randrnn.analysis.graph_input`). ``depth`` GIN convolutions
(`torch_geometric.nn.GINConv`, a two-layer MLP each; messages along the edges both ways); a
sum (or mean) readout over the nodes of the input features and of each layer's output feeds a
linear head that predicts the standardised target.
A fixed small budget: at most ``epochs`` epochs of Adam on mini-batches, stopped early when the
loss on an inner validation split (``valid`` of the training graphs) has not improved for
``patience`` epochs; the best epoch's weights are kept. Seeded: the split, the initial weights
and the batch order all derive from ``seed`` (torch's global generator is restored after), so
the same seed gives the same predictions. Needs the ``graph`` extra (imported when a network
is built, so this module loads without it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from randrnn.analysis.graph_input import GraphInput
from randrnn.errors import check_name

LAYERS = 12  # layer indices one-hot coded (deeper nodes share the last code)
DEGREES = 8  # in- and out-degrees one-hot coded (higher degrees share the last code)
READOUTS = {"sum": "global_add_pool", "mean": "global_mean_pool"}  # torch_geometric.nn's


def node_features(g: GraphInput) -> np.ndarray:
    """One-hot layer, in-degree and out-degree of each node: (nodes, LAYERS + 2·DEGREES)."""
    out = np.zeros((g.nodes, LAYERS + 2 * DEGREES), dtype=np.float32)
    rows = np.arange(g.nodes)
    out[rows, np.minimum(g.layer, LAYERS - 1)] = 1
    out[rows, LAYERS + np.minimum(g.indeg, DEGREES - 1)] = 1
    out[rows, LAYERS + DEGREES + np.minimum(g.outdeg, DEGREES - 1)] = 1
    return out


def collate(graphs: Sequence[GraphInput]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One disjoint union of ``graphs``: node features, edges (both ways) and each node's graph."""
    feats, edges, batch, offset = [], [], [], 0
    for i, g in enumerate(graphs):
        feats.append(node_features(g))
        edges.append(g.edges + offset)
        batch.append(np.full(g.nodes, i))
        offset += g.nodes
    edge = np.concatenate(edges, axis=1)
    edge = np.concatenate([edge, edge[::-1]], axis=1)
    return (
        torch.from_numpy(np.concatenate(feats)),
        torch.from_numpy(np.ascontiguousarray(edge)).long(),
        torch.from_numpy(np.concatenate(batch)).long(),
    )


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread inside, the caller's thread count restored after: batches of a few
    thousand nodes gain nothing from intra-op threads, and on a busy machine lose a lot."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class GIN(nn.Module):
    """``depth`` GINConv layers of width ``hidden``; the readout of the input features and of
    every layer's output (as in Xu et al.'s GIN), concatenated, into a linear head."""

    def __init__(self, inputs: int, hidden: int, depth: int, readout: str, extra: int = 0) -> None:
        import torch_geometric.nn as pyg

        super().__init__()
        self.convs = nn.ModuleList(
            pyg.GINConv(
                nn.Sequential(
                    nn.Linear(inputs if i == 0 else hidden, hidden),
                    nn.BatchNorm1d(hidden),
                    nn.ReLU(),
                    nn.Linear(hidden, hidden),
                    nn.ReLU(),
                )
            )
            for i in range(depth)
        )
        self.pool = getattr(pyg, READOUTS[check_name("GIN readout", readout, READOUTS)])
        width = inputs + hidden * depth + extra  # extra: properties joined at the readout
        self.head = nn.Sequential(nn.BatchNorm1d(width), nn.Linear(width, 1))

    def forward(
        self, x: torch.Tensor, edge: torch.Tensor, batch: torch.Tensor, props: torch.Tensor
    ) -> torch.Tensor:
        pooled = [self.pool(x, batch)]
        for conv in self.convs:
            x = conv(x, edge)
            pooled.append(self.pool(x, batch))
        return self.head(torch.cat([*pooled, props], dim=1)).squeeze(1)


class GINRegressor:
    """Fit a `GIN` to (graphs, y) within a fixed budget; ``predict(graphs)``. With
    ``with_properties`` the inputs are (property rows, graphs) and the standardised properties
    join the readout (``gin_props``)."""

    def __init__(
        self, hidden: int = 32, depth: int = 3, readout: str = "sum", epochs: int = 60,
        patience: int = 8, batch: int = 64, lr: float = 0.02, valid: float = 0.2,
        seed: int = 0, with_properties: bool = False,
    ) -> None:  # fmt: skip
        self.hidden = hidden
        self.depth = depth
        self.readout = readout
        self.epochs = epochs
        self.patience = patience
        self.batch = batch
        self.lr = lr
        self.valid = valid
        self.seed = seed
        self.with_properties = with_properties

    def _parts(self, inputs: object) -> tuple[torch.Tensor, list[GraphInput]]:
        """(standardised properties, (n, 0) without them; graphs) of ``inputs``."""
        if not self.with_properties:
            graphs = list(inputs)
            return torch.zeros((len(graphs), 0)), graphs
        X, graphs = inputs
        X = np.asarray(X, dtype=float)
        if not hasattr(self, "center_"):
            self.center_, self.spread_ = X.mean(axis=0), X.std(axis=0)
            self.spread_[self.spread_ == 0] = 1.0
        return torch.tensor((X - self.center_) / self.spread_, dtype=torch.float32), list(graphs)

    def fit(self, inputs: object, y: np.ndarray) -> GINRegressor:
        for name in ("center_", "spread_"):  # a refit standardises anew
            self.__dict__.pop(name, None)
        with one_thread():
            props, graphs = self._parts(inputs)
            return self._fit(graphs, props, np.asarray(y, dtype=float))

    def _fit(self, graphs: list[GraphInput], props: torch.Tensor, y: np.ndarray) -> GINRegressor:
        self.mean_, self.sd_ = float(y.mean()), float(y.std()) or 1.0
        target = torch.tensor((y - self.mean_) / self.sd_, dtype=torch.float32)
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(y))
        n_valid = round(self.valid * len(y)) if len(y) >= 10 else 0
        held, train = order[:n_valid], order[n_valid:]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.model_ = GIN(
                LAYERS + 2 * DEGREES, self.hidden, self.depth, self.readout, props.shape[1]
            )
        optimizer = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        check = (*collate([graphs[i] for i in held]), props[held]) if n_valid else None
        best, best_state, waited = np.inf, None, 0
        for _ in range(self.epochs):
            self.model_.train()
            chunks = -(-len(train) // self.batch)  # balanced batches: none of a single graph
            for rows in np.array_split(rng.permutation(train), chunks):
                loss = nn.functional.mse_loss(
                    self.model_(*collate([graphs[i] for i in rows]), props[rows]), target[rows]
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if check is None:
                continue
            self.model_.eval()
            with torch.no_grad():
                err = float(nn.functional.mse_loss(self.model_(*check), target[held]))
            if err < best - 1e-6:
                best, best_state, waited = err, copy.deepcopy(self.model_.state_dict()), 0
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        return self

    def predict(self, inputs: object) -> np.ndarray:
        props, graphs = self._parts(inputs)
        self.model_.eval()
        with one_thread(), torch.no_grad():
            out = self.model_(*collate(graphs), props).numpy().astype(float)
        return out * self.sd_ + self.mean_
