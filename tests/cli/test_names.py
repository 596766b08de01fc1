"""The names and defaults the help texts show (`randrnn.cli.names`) are the registries' own."""

from __future__ import annotations

from randrnn import reber
from randrnn.analysis import correlate, predict, table
from randrnn.cli import names
from randrnn.graphs.generate import GENERATORS
from randrnn.models.cells import CELLS
from randrnn.pruning import criteria, protocol, waea


def test_registry_names_match() -> None:
    """Every tuple of names lists its registry's keys in the registry's order."""
    assert names.CELLS == tuple(CELLS)
    assert names.NEGATIVES == tuple(reber.NEGATIVES)
    assert names.GRAMMARS == tuple(reber.GRAMMARS)
    assert names.GENERATORS == tuple(GENERATORS)
    assert names.METHODS == tuple(correlate.METHODS)
    assert names.REGRESSORS == tuple(predict.REGRESSORS)
    assert names.GRAPH_PREDICTORS == predict.GRAPH_PREDICTORS
    assert names.FEATURE_SETS == tuple(predict.FEATURE_SETS)
    assert names.CRITERIA == tuple(criteria.CRITERIA)
    assert names.TARGETS == tuple(criteria.TARGETS)
    assert names.SCOPES == tuple(criteria.SCOPES)
    assert names.WAEA_READINGS == tuple(waea.READINGS)
    assert names.WAEA_FILTER_STATS == tuple(waea.FILTER_STATS)
    assert names.WAEA_CENTERS == tuple(waea.CENTERS)
    assert names.WAEA_NORMALIZE == tuple(waea.NORMALIZE)


def test_defaults_match() -> None:
    """Every default shown in a help text is the library's default."""
    assert names.DATA_N == reber.DEFAULT_N
    assert names.DATA_NEGATIVES == reber.DEFAULT_NEGATIVES
    assert names.DATA_GRAMMAR == reber.DEFAULT_GRAMMAR
    assert names.DATA_SEED == reber.DEFAULT_SEED
    assert names.DATA_TEST_FRACTION == reber.DEFAULT_TEST_FRACTION
    assert names.TARGET == table.DEFAULT_TARGET
    assert names.TOLERANCE == protocol.DEFAULT_TOLERANCE
    assert names.WAEA_READING == waea.WaeaOptions().reading
    assert names.WAEA_NORMALIZATION == waea.WaeaOptions().normalize
