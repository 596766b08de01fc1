"""The cell registry: one table maps a cell name to everything that differs between cell types.

A name is checked once, at the edge (`get_cell`); the rest of the code looks up a `Cell` and never
switches on strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from randrnn.errors import RandRNNError, check_name


@dataclass(frozen=True)
class Cell:
    """A recurrent cell type: its gate count and the PyTorch layer that runs it."""

    name: str
    gates: int  # rows per unit in PyTorch's gate-major weight layout
    layer: type[nn.RNNBase]
    nonlinearity: str | None = None  # for plain RNN cells only
    label: str = ""  # the thesis' name, used in tables beside its numbers

    def make_layer(self, input_size: int, hidden_size: int) -> nn.RNNBase:
        """One single-layer, batch-first recurrent layer with PyTorch's default initialisation."""
        kwargs = {"nonlinearity": self.nonlinearity} if self.nonlinearity else {}
        return self.layer(input_size, hidden_size, num_layers=1, batch_first=True, **kwargs)


CELLS: dict[str, Cell] = {
    "rnn_tanh": Cell("rnn_tanh", 1, nn.RNN, "tanh", "RNN_Tanh"),
    "rnn_relu": Cell("rnn_relu", 1, nn.RNN, "relu", "RNN_ReLU"),
    "lstm": Cell("lstm", 4, nn.LSTM, label="LSTM"),
    "gru": Cell("gru", 3, nn.GRU, label="GRU"),
}

# Spellings found in the thesis' own tables ("mode" column), mapped to registry names.
_ALIASES = {c.label.lower(): c.name for c in CELLS.values()}


def get_cell(name: str) -> Cell:
    """Look up a cell by name (thesis labels such as 'RNN_Tanh' accepted); unknown names fail."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    return CELLS[check_name("cell", key, CELLS)]


def parse_cells(text: str) -> list[str]:
    """Parse a comma-separated list such as 'gru,lstm' into registry names, in the given order."""
    names = [get_cell(part).name for part in text.split(",") if part.strip()]
    if not names:
        raise RandRNNError("no cell given; known cells: " + ", ".join(CELLS))
    return list(dict.fromkeys(names))
