"""Which code trained a run: the package version, and the git commit where the code is a git
checkout (``0.1.0+g1a2b3c4``, ``.dirty`` when it has uncommitted changes to tracked files).

Recorded with every run (``runs.code``) and in the atlas: an atlas row reproduces exactly on the
same engine, device and code.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path


@cache
def code_version() -> str:
    """``__version__``, plus ``+g<commit>`` (and ``.dirty``) when the package is in a git
    checkout with git at hand; computed once per process."""
    from randrnn import __version__

    root = Path(__file__).resolve().parent.parent
    try:  # the checkout must be randrnn's own, not one a venv happens to sit in
        _git(root, "ls-files", "--error-unmatch", "randrnn/__init__.py")
        commit = _git(root, "rev-parse", "--short=10", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "--", "randrnn")
    except (OSError, subprocess.SubprocessError):
        return __version__
    if not commit:
        return __version__
    return f"{__version__}+g{commit}" + (".dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()
