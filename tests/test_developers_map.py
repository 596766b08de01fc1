"""DEVELOPERS.md's map of the code is true: every module it lists exists, every name it gives
for a module is defined there, and every module of the package is on the map."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "DEVELOPERS.md").read_text()
ROW = re.compile(r"^\| (`randrnn/[^|]*) \|[^|]*\|(.*)\|\s*$", re.MULTILINE)


def _paths(cell: str) -> list[str]:
    """The paths of a first column: "`randrnn/x/a.py`, `b.py`" (b beside a) or
    "`randrnn/tasks/{a,b}.py`" → every path it names."""
    items = re.findall(r"`([^`]+)`", cell)
    folder = items[0].rsplit("/", 1)[0]
    out = []
    for item in [items[0], *(i if "/" in i else f"{folder}/{i}" for i in items[1:])]:
        brace = re.search(r"\{([^}]*)\}", item)
        if not brace:
            out.append(item)
            continue
        out += [item[: brace.start()] + p + item[brace.end() :] for p in brace[1].split(",")]
    return out


ROWS = [(pattern, names) for pattern, names in ROW.findall(TEXT)]


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/").replace("/", ".")


def test_the_map_has_rows() -> None:
    """The table parses (guards the test itself against a changed layout)."""
    assert len(ROWS) > 25


def _defined(module: object, name: str, package: bool) -> bool:
    """``name`` (dotted) resolves from ``module``; in a package, a part may be a submodule."""
    target = module
    for part in name.split("."):
        if not hasattr(target, part) and package:
            try:
                target = importlib.import_module(f"{target.__name__}.{part}")
            except ModuleNotFoundError:
                return False
            continue
        if not hasattr(target, part):
            return False
        target = getattr(target, part)
    return True


@pytest.mark.parametrize(("pattern", "names"), ROWS, ids=[p for p, _ in ROWS])
def test_listed_module_exists_and_defines_its_names(pattern: str, names: str) -> None:
    """Every path exists; every backticked identifier in the names column is defined in the
    module (in one of them for a ``{a,b}`` row; ``a.b`` of a package row: b of submodule a)."""
    paths = _paths(pattern)
    for path in paths:
        assert (ROOT / path).exists(), f"{path} does not exist"
    if not all(p.endswith((".py", "/")) for p in paths):
        return  # e.g. native.cpp: its exported symbols are checked by the engine's tests
    modules = [importlib.import_module(_module(p)) for p in paths]
    for name in re.findall(r"`([A-Za-z_][\w.]*)(?:\(\))?`", names):
        assert any(_defined(m, name, p.endswith("/")) for m, p in zip(modules, paths)), (
            f"{pattern}: {name} is not defined"
        )


def test_every_module_is_on_the_map() -> None:
    """Each module of the package is listed, itself or through its folder's row."""
    listed = {p for pattern, _ in ROWS for p in _paths(pattern)}
    folders = tuple(p for p in listed if p.endswith("/"))
    missing = [
        str(f.relative_to(ROOT))
        for f in sorted((ROOT / "randrnn").rglob("*.py"))
        if f.name != "__init__.py"
        and str(f.relative_to(ROOT)) not in listed
        and not str(f.relative_to(ROOT)).startswith(folders)
    ]
    assert not missing, f"not on DEVELOPERS.md's map: {missing}"
