"""One way to put a figure in a page: the PNG file and the embedded copy are the same image."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from matplotlib.figure import Figure

from randrnn.analysis import figures


def test_embedded_png_is_the_file_written(tmp_path: Path) -> None:
    """The data URI decodes to the bytes of the PNG file; the caption is escaped and names it."""
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    caption = "a < b & c"
    page = figures.embed(fig, tmp_path / "line.png", caption)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page)[1]
    assert base64.b64decode(data) == (tmp_path / "line.png").read_bytes()
    assert (tmp_path / "line.png").read_bytes().startswith(b"\x89PNG")
    assert f"<figcaption>{html.escape(caption)} (line.png)</figcaption>" in page
