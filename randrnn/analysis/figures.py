"""Figures in an HTML page: saved as a PNG file and embedded in the page, in one place.

Figures are `matplotlib.figure.Figure` objects made without pyplot (no global backend state,
nothing to close).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from matplotlib.figure import Figure

DPI = 110


def save(fig: Figure, path: Path) -> str:
    """Save ``fig`` as the PNG ``path``; return the PNG as base64 text (for a data: URL)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    data = buf.getvalue()
    path.write_bytes(data)
    return base64.b64encode(data).decode("ascii")


def embed(fig: Figure, path: Path, caption: str) -> str:
    """Save ``fig`` as the PNG ``path`` and return a <figure> with the PNG embedded, captioned
    with ``caption`` and the file's name."""
    b64 = save(fig, path)
    return (
        f'<figure><img src="data:image/png;base64,{b64}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)} ({path.name})</figcaption></figure>"
    )
