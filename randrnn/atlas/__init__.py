"""The atlas: what randrnn trains, published as a versioned folder of Parquet tables (graphs,
runs with their learning curves) and optional safetensors weights, loadable in one line::

    from randrnn import atlas
    a = atlas.load()              # the shipped atlas (data/atlas), or atlas.load(PATH)
    a.runs.groupby(["task", "cell"])["test_acc"].mean()
    a.query(networkx_graph)       # its runs, under any relabelling of its nodes

`export` writes one from a study (`randrnn atlas export`), `reproduce` retrains a row from the
atlas alone (docs/atlas.md). Names are imported on first use, so ``import randrnn.atlas`` is
cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Atlas": "randrnn.atlas.reader",
    "load": "randrnn.atlas.reader",
    "is_atlas": "randrnn.atlas.reader",
    "verify": "randrnn.atlas.reader",
    "shipped_path": "randrnn.atlas.reader",
    "export_atlas": "randrnn.atlas.export",
    "reproduce": "randrnn.atlas.rerun",
}
__all__ = ["Atlas", "export_atlas", "is_atlas", "load", "reproduce", "shipped_path", "verify"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'randrnn.atlas' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
