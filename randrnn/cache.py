"""The one cache folder of randrnn: the compiled native kernel, the last `randrnn bench`
measurement and the regenerated default data set live below it."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$RANDRNN_CACHE`` if set, else ``randrnn`` in ``$XDG_CACHE_HOME`` (default ``~/.cache``)."""
    if os.environ.get("RANDRNN_CACHE"):
        return Path(os.environ["RANDRNN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "randrnn"
