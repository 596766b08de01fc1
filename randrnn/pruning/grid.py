"""The grid of a pruning study: one experiment per combination of cell, method and target.

`grid` is the one expansion of listed values into combinations, used by `randrnn prune` (comma
lists on the command line) and by study files (list values of a ``[[prune]]`` table). It imports
nothing heavy, so a study file is expanded without loading torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """One dict per combination of the axes' values, the first axis varying slowest.

    >>> grid({"cell": ["gru", "lstm"], "target": ["both"]})
    [{'cell': 'gru', 'target': 'both'}, {'cell': 'lstm', 'target': 'both'}]

    No axes give one empty combination.
    """
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
