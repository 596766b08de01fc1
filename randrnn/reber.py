"""The Reber task and the data functions, under the names they had before `randrnn.tasks`.

Kept so that ``from randrnn.reber import ...`` goes on working. The code lives in
`randrnn.tasks`: the grammars, samplers and negatives in `randrnn.tasks.reber`, data sets and
files in `randrnn.tasks.data`, baselines in `randrnn.tasks.baselines`, the encoding in
`randrnn.tasks.encoding`. New code imports from there.
"""

from randrnn.tasks.automaton import END
from randrnn.tasks.baselines import baselines
from randrnn.tasks.data import (
    COLUMNS,
    DEFAULT_N,
    DEFAULT_NEGATIVES,
    DEFAULT_SEED,
    DEFAULT_TEST_FRACTION,
    SHIPPED_DIR,
    cache_dir,
    describe,
    load_data,
    make_dataset,
    read_split,
    write_dataset,
)
from randrnn.tasks.encoding import encode
from randrnn.tasks.reber import (
    DEFAULT_GRAMMAR,
    EDITS,
    EMBEDDED,
    FOREIGN_LETTERS,
    FOREIGN_SHARE,
    GRAMMARS,
    INVALID_LENGTHS,
    NEGATIVES,
    REBER,
    REBER_LETTERS,
    VALID_LENGTHS,
    Grammar,
    LengthDist,
    get_grammar,
    hard_negatives,
    is_embedded_reber,
    is_reber,
    one_edit,
    sample_valid,
    thesis_negatives,
)

__all__ = [
    "COLUMNS", "DEFAULT_GRAMMAR", "DEFAULT_N", "DEFAULT_NEGATIVES", "DEFAULT_SEED",
    "DEFAULT_TEST_FRACTION", "EDITS", "EMBEDDED", "END", "FOREIGN_LETTERS", "FOREIGN_SHARE",
    "GRAMMARS", "INVALID_LENGTHS", "NEGATIVES", "REBER", "REBER_LETTERS", "SHIPPED_DIR",
    "VALID_LENGTHS", "Grammar", "LengthDist", "baselines", "cache_dir", "describe", "encode",
    "get_grammar", "hard_negatives", "is_embedded_reber", "is_reber", "load_data",
    "make_dataset", "one_edit", "read_split", "sample_valid", "thesis_negatives", "write_dataset",
]  # fmt: skip
