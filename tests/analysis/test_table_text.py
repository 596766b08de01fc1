"""Table text: the one value formatter and the Markdown writer."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from randrnn.analysis import table


@pytest.mark.parametrize("value", [0.12345, 2.0, -1.5, 1e-7])
def test_fmt_is_pythons_fixed_point(value: float) -> None:
    """A float is Python's fixed-point text with the digits asked; whole=True drops the
    decimals of a whole float only; a missing value is the missing text."""
    assert table.fmt(value, 2) == f"{value:.2f}"
    assert table.fmt(value, 2, whole=True) == (
        str(int(value)) if value == int(value) else f"{value:.2f}"
    )
    assert table.fmt(math.nan, missing="—") == table.fmt(None, missing="—") == "—"


def test_markdown_reads_back_as_the_frame() -> None:
    """Splitting the Markdown rows on unescaped pipes gives back every header and cell (pipes
    in a cell escaped); number columns are right-aligned, text columns left."""
    frame = pd.DataFrame({"cell": ["GRU", "a|b", ""], "R²": ["0.123 ± 0.01", "", "-1.5"]})
    lines = table.to_markdown(frame).splitlines()

    def cells(line: str) -> list[str]:
        parts = re.split(r"(?<!\\)\|", line)[1:-1]
        return [p.strip().replace("\\|", "|") for p in parts]

    assert cells(lines[0]) == ["cell", "R²"]
    assert [cells(line) for line in lines[2:]] == frame.to_numpy().tolist()
    left, right = cells(lines[1])
    assert left.startswith(":") and right.endswith(":") and not right.startswith(":")
