"""Imports every command module so that its commands register on the app."""

from randrnn.cli import analysis, bench, compare, data, graphs, prune, study, train  # noqa: F401
