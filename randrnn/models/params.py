"""How many weights the model of a graph has, from its layer sizes and edge count (no torch).

A model with readout ``last`` and g gate rows per unit has (biases not counted) VOCAB·H0
embedding weights, g·H0² dense layer-0 input weights, g weights per DAG edge (every edge enters
a layer after 0), g·H_l² recurrent weights in every layer l, and H_last·CLASSES readout weights.
`GraphRNN.effective_params()` counts the same on a built model's masks, pruning included.
"""

from __future__ import annotations

from collections.abc import Sequence

from randrnn.models.cells import family_gates

VOCAB = 128  # ASCII codes (docs/method.md §2)
CLASSES = 2


def structural_params(layer_sizes: Sequence[int], edges: int, gates: int) -> int:
    """Unmasked weights (no biases) of the unpruned model with these layers, edges and gates."""
    h0 = layer_sizes[0]
    recurrent = sum(h * h for h in layer_sizes)
    return VOCAB * h0 + gates * (h0 * h0 + edges + recurrent) + layer_sizes[-1] * CLASSES


def family_params(layer_sizes: Sequence[int], edges: int) -> dict[str, int]:
    """`structural_params` for each cell family ('rnn', 'gru', 'lstm'), fewest gates first."""
    return {
        family: structural_params(layer_sizes, edges, gates)
        for family, gates in family_gates().items()
    }
