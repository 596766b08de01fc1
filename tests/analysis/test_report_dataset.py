"""The report's data set of a task whose runs trained on a set an older randrnn made."""

import pytest

from randrnn.analysis.report.dataset import load_data
from randrnn.errors import RandRNNError
from randrnn.tasks.data import content_key, csv_text, make_dataset, task_data
from randrnn.tasks.recipe import derived


def test_runs_on_an_old_set_get_that_set_back_from_their_recipe() -> None:
    """Runs of 'dyck-2' trained on randrnn 0.1's default set (today dyck-2:edit, split
    'shuffled'): the report rebuilds that set from the derived recipe (same content key), not
    today's default; a key no recipe rebuilds is one error line."""
    old_train, old_test = make_dataset("dyck-2:edit", split="shuffled")
    key = content_key(csv_text(df).encode() for df in (old_train, old_test))
    assert key != task_data("dyck-2").key
    meta = {"recipes": {key: derived({"task": "dyck-2", "data": key})}}
    train, test, where = load_data(meta, None, "dyck-2", key)
    assert train.equals(old_train) and test.equals(old_test) and "shuffled" in where
    with pytest.raises(RandRNNError, match="no recipe rebuilds"):
        load_data({"recipes": {}}, None, "dyck-2", "0123456789abcdef")
