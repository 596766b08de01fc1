"""Pruning: magnitude (the thesis), WAEA and random — one criterion each, one shared protocol.

``criteria`` holds the `torch.nn.utils.prune` methods and the weight selection, ``waea`` the
online statistics and the activity score, ``protocol`` the docs/method.md §7 protocol, ``results`` the
study tables, ``report`` the report section.
"""

from randrnn.pruning.criteria import CRITERIA, GATES, SCOPES, TARGETS, apply_pruning, get_criterion
from randrnn.pruning.protocol import PruneSpec, base_config, parse_levels
from randrnn.pruning.results import results_table, safe_levels
from randrnn.pruning.run import run_pruning
from randrnn.pruning.waea import WaeaOptions, WaeaRecorder

__all__ = [
    "CRITERIA",
    "GATES",
    "SCOPES",
    "TARGETS",
    "PruneSpec",
    "WaeaOptions",
    "WaeaRecorder",
    "apply_pruning",
    "base_config",
    "get_criterion",
    "parse_levels",
    "results_table",
    "run_pruning",
    "safe_levels",
]
