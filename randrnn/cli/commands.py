"""Imports every command module so that its commands register on the app."""

import importlib

for _name in ("data", "graphs", "train", "bench", "analysis", "compare", "prune", "study"):
    try:
        importlib.import_module(f"randrnn.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command group not written yet
        if exc.name != f"randrnn.cli.{_name}":
            raise
