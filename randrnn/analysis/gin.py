"""A small graph isomorphism network over the DAG (docs/method.md §7), PyTorch Geometric.

Each node's features are one-hot codes of its layer index, in-degree and out-degree (clipped at
`LAYERS` − 1 and `DEGREES` − 1; `randrnn.analysis.graph_input`). ``depth`` GIN convolutions
(`torch_geometric.nn.GINConv`, a two-layer MLP each; messages along the edges both ways); a
sum (or mean) readout over the nodes of the input features and of each layer's output feeds a
linear head that predicts the standardised target.
A fixed small budget: at most ``epochs`` epochs of Adam on mini-batches, stopped early when the
loss on an inner validation split (``valid`` of the training graphs, whole graphs) has not
improved for ``patience`` epochs; the best epoch count is kept and the network trained again on
all training rows for that many epochs. ``members`` networks of different seeds are averaged.
Seeded: the splits, the initial weights and the batch order all derive from ``seed`` (torch's
global generator is restored after), so the same seed gives the same predictions. Needs the ``graph`` extra (imported when a network
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
    """Fit `GIN`s to (graphs, y) within a fixed budget; ``predict(graphs)`` is their mean.

    ``members`` networks, each seeded apart (`member_seeds`): each picks its number of epochs
    by early stopping on a validation split of the training graphs (``valid`` of them; with
    ``groups``, whole graphs, so that no graph's runs sit on both sides), then is trained again
    from the same initial weights on every training row for that many epochs. One seed alone
    moves the pooled R² by a few hundredths; the mean of a few does not, and `spread` gives the
    members' sd per prediction. With ``with_properties`` the inputs are (property rows, graphs)
    and the standardised properties join the readout (``gin_props``)."""

    def __init__(
        self, hidden: int = 32, depth: int = 3, readout: str = "sum", epochs: int = 60,
        patience: int = 8, batch: int = 64, lr: float = 0.02, valid: float = 0.2,
        seed: int = 0, with_properties: bool = False, members: int = 3,
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
        self.members = members

    def member_seeds(self) -> list[int]:
        """The seed of each member: ``seed``, then ``seed`` + 1000, + 2000, … (apart from the
        members of the next seeds)."""
        return [self.seed + 1000 * m for m in range(self.members)]

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

    def fit(self, inputs: object, y: np.ndarray, groups: np.ndarray | None = None) -> GINRegressor:
        """Fit the members on ``inputs`` and ``y``; ``groups`` (the graph of each row) keeps a
        graph's rows on one side of the validation split."""
        for name in ("center_", "spread_"):  # a refit standardises anew
            self.__dict__.pop(name, None)
        y = np.asarray(y, dtype=float)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        with one_thread():
            props, graphs = self._parts(inputs)
            self.mean_, self.sd_ = float(y.mean()), float(y.std()) or 1.0
            target = torch.tensor((y - self.mean_) / self.sd_, dtype=torch.float32)
            fitted = [self._member(graphs, props, target, groups, s) for s in self.member_seeds()]
        self.models_ = [model for model, _ in fitted]
        self.epochs_ = [epochs for _, epochs in fitted]
        return self

    def validation_split(self, groups: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(held, train) row positions: ``valid`` of the groups held out (none under 10)."""
        ids = np.unique(groups)
        n_valid = round(self.valid * len(ids)) if len(ids) >= 10 else 0
        held_ids = np.random.default_rng(seed).permutation(ids)[:n_valid]
        held = np.isin(groups, held_ids)
        return np.flatnonzero(held), np.flatnonzero(~held)

    def _member(
        self, graphs: list[GraphInput], props: torch.Tensor, target: torch.Tensor,
        groups: np.ndarray, seed: int,
    ) -> tuple[GIN, int]:  # fmt: skip
        """One member: its epochs chosen by early stopping on a validation split, then trained
        again from the same initial weights on every row for that many epochs."""
        held, train = self.validation_split(groups, seed)
        model, initial = self._network(props.shape[1], seed)
        epochs = self.epochs
        if len(held):
            check = (*collate([graphs[i] for i in held]), props[held])
            best, waited, epochs = np.inf, 0, 1
            rng = np.random.default_rng(seed)
            optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
            for epoch in range(1, self.epochs + 1):
                self._epoch(model, optimizer, graphs, props, target, train, rng)
                model.eval()
                with torch.no_grad():
                    err = float(nn.functional.mse_loss(model(*check), target[held]))
                if err < best - 1e-6:
                    best, epochs, waited = err, epoch, 0
                else:
                    waited += 1
                    if waited >= self.patience:
                        break
            model.load_state_dict(initial)
        rows = np.arange(len(target))
        rng = np.random.default_rng(seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        for _ in range(epochs):
            self._epoch(model, optimizer, graphs, props, target, rows, rng)
        return model, epochs

    def _network(self, extra: int, seed: int) -> tuple[GIN, dict]:
        """A fresh network seeded by ``seed`` (torch's global generator untouched) and a copy
        of its initial weights."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = GIN(LAYERS + 2 * DEGREES, self.hidden, self.depth, self.readout, extra)
        return model, copy.deepcopy(model.state_dict())

    def _epoch(
        self, model: GIN, optimizer: torch.optim.Optimizer, graphs: list[GraphInput],
        props: torch.Tensor, target: torch.Tensor, rows: np.ndarray, rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """One epoch of Adam over ``rows`` in shuffled, balanced batches (none of one graph)."""
        model.train()
        chunks = -(-len(rows) // self.batch)
        for batch in np.array_split(rng.permutation(rows), chunks):
            loss = nn.functional.mse_loss(
                model(*collate([graphs[i] for i in batch]), props[batch]), target[batch]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def _each(self, inputs: object) -> np.ndarray:
        """Every member's predictions, (members, rows), in the target's units."""
        props, graphs = self._parts(inputs)
        out = []
        with one_thread(), torch.no_grad():
            data = collate(graphs)
            for model in self.models_:
                model.eval()
                out.append(model(*data, props).numpy().astype(float))
        return np.array(out) * self.sd_ + self.mean_

    def predict(self, inputs: object) -> np.ndarray:
        """The members' mean prediction of each row."""
        return self._each(inputs).mean(axis=0)

    def spread(self, inputs: object) -> np.ndarray:
        """The sd of the members' predictions of each row (0 with one member)."""
        each = self._each(inputs)
        return each.std(axis=0, ddof=1) if len(each) > 1 else np.zeros(each.shape[1])
