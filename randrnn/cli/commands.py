"""Imports every command module so that its commands register on the app."""

from randrnn.cli import (  # noqa: F401
    analysis,
    atlas,
    bench,
    compare,
    data,
    design,
    graphs,
    prune,
    study,
    train,
)
