"""The cell registry: one table maps a cell name to everything that differs between cell types.

A name is checked once, at the edge (`get_cell`); the rest of the code looks up a `Cell` and never
switches on strings. Everything else that is per cell derives from this table: the gate names of
the pruning statistics, the parameter counts of the graph properties, the native kernel's codes,
the wavefront's steps and the packed engine's layout. The table is plain Python (no torch), so the
command line and the graph properties read it for free.

Adding a cell: an entry here, and its equations in the two kernels (a branch in
`training/native.cpp` under the entry's ``code``, a step type in `training/wavefront.py` for its
``layer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from randrnn.errors import RandRNNError, check_name

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Cell:
    """A recurrent cell type: its gates, the PyTorch layer that runs it and its kernel branch."""

    name: str
    gate_names: tuple[str, ...]  # PyTorch's gate-major row order: rows [g·H, (g+1)·H) are gate g
    layer: str  # the torch.nn class that runs it ("RNN", "LSTM", "GRU"); the wavefront's step type
    code: int  # its branch in training/native.cpp (`enum Cell`)
    label: str  # the thesis' name, used in tables beside its numbers
    nonlinearity: str | None = None  # for plain RNN cells only
    recurrent_apart: bool = False  # the recurrence is scaled by a gate (GRU's reset), kept apart

    @property
    def gates(self) -> int:
        """Rows per unit in PyTorch's gate-major weight layout."""
        return len(self.gate_names)

    @property
    def family(self) -> str:
        """The layer kind in lower case ('rnn', 'lstm', 'gru'): cells of one family differ only
        in their nonlinearity, so they have the same parameters."""
        return self.layer.lower()

    def make_layer(self, input_size: int, hidden_size: int) -> nn.RNNBase:
        """One single-layer, batch-first recurrent layer with PyTorch's default initialisation."""
        from torch import nn

        kwargs = {"nonlinearity": self.nonlinearity} if self.nonlinearity else {}
        layer = getattr(nn, self.layer)
        return layer(input_size, hidden_size, num_layers=1, batch_first=True, **kwargs)


CELLS: dict[str, Cell] = {
    "rnn_tanh": Cell("rnn_tanh", ("hidden",), "RNN", 0, "RNN_Tanh", nonlinearity="tanh"),
    "rnn_relu": Cell("rnn_relu", ("hidden",), "RNN", 1, "RNN_ReLU", nonlinearity="relu"),
    "lstm": Cell("lstm", ("input", "forget", "cell", "output"), "LSTM", 2, "LSTM"),
    "gru": Cell("gru", ("reset", "update", "new"), "GRU", 3, "GRU", recurrent_apart=True),
}

# Spellings found in the thesis' own tables ("mode" column), mapped to registry names.
_ALIASES = {c.label.lower(): c.name for c in CELLS.values()}


def get_cell(name: str) -> Cell:
    """Look up a cell by name (thesis labels such as 'RNN_Tanh' accepted); unknown names fail."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    return CELLS[check_name("cell", key, CELLS)]


def family_gates() -> dict[str, int]:
    """Gate count of each cell family ('rnn': 1, 'gru': 3, 'lstm': 4), fewest gates first: a
    model's size depends on its cell only through this count."""
    families = sorted(CELLS.values(), key=lambda c: c.gates)
    return {c.family: c.gates for c in families}


def parse_cells(text: str) -> list[str]:
    """Parse a comma-separated list such as 'gru,lstm' into registry names, in the given order."""
    names = [get_cell(part).name for part in text.split(",") if part.strip()]
    if not names:
        raise RandRNNError("no cell given; known cells: " + ", ".join(CELLS))
    return list(dict.fromkeys(names))
