"""The cell registry is the one table of per-cell facts; the kernels agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from randrnn.models.cells import CELLS, family_gates
from randrnn.training.wavefront import STEPS

NATIVE = Path(__file__).resolve().parents[2] / "randrnn" / "training" / "native.cpp"


def test_codes_are_the_native_kernels_enum() -> None:
    """Every cell's code is its name's value in native.cpp's `enum Cell`, and nothing else is."""
    body = re.search(r"enum Cell \{([^}]*)\}", NATIVE.read_text())[1]
    enum = {k.strip(): int(v) for k, v in (item.split("=") for item in body.split(","))}
    assert enum == {name.upper(): cell.code for name, cell in CELLS.items()}


@pytest.mark.parametrize("name", list(CELLS))
def test_every_cell_has_its_wavefront_step(name: str) -> None:
    """The wavefront runs every registered cell with the registry's gates and recurrence."""
    cell, step = CELLS[name], STEPS[name]
    assert (step.gates, step.recurrent_apart) == (cell.gates, cell.recurrent_apart)


def test_family_gates() -> None:
    """One gate count per family, fewest gates first: the order of the `params_*` properties."""
    assert family_gates() == {"rnn": 1, "gru": 3, "lstm": 4}


@pytest.mark.parametrize("name", list(CELLS))
def test_layer_is_the_torch_class(name: str) -> None:
    """`make_layer` builds the torch layer named by the entry, with its gate rows."""
    cell = CELLS[name]
    layer = cell.make_layer(3, 5)
    assert type(layer).__name__ == cell.layer
    assert layer.weight_ih_l0.shape == (cell.gates * 5, 3)
    assert getattr(layer, "nonlinearity", None) == cell.nonlinearity
