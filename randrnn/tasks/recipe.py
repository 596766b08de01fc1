"""A data set's recipe: what made it (task, negatives, split, lengths, size, seed, version).

A run's config names its data by a key (`randrnn.tasks.data.TaskData.key`: ``shipped``, or the
hash of the two CSV files), and the key is part of the config hash, so the analysis never puts
runs on different data into one configuration. The recipe says what those data were: `train-all`
records it in the study's meta ``recipes`` (data key → recipe) beside every run's key, and
studies written before recipes existed get one derived from what their runs stored (the task and
the key: randrnn 0.1's sets, `derived`). Pure Python: the store's migration imports it.
"""

from __future__ import annotations

from randrnn.tasks.registry import parse_spec, spec

DATA_VERSION = 2  # of the recipes: 2 added the split (and Dyck's 'swap'); 1 had neither
OLD_DEFAULT_NEGATIVES = {"dyck-1": "edit", "dyck-2": "edit"}  # 0.1's defaults that changed
OLD_SPLIT = "shuffled"  # the only split of randrnn 0.1


def recipe_of(info: dict) -> dict:
    """The recipe in a ``dataset.json`` (`randrnn.tasks.data.dataset_info`); one written by
    randrnn 0.1 (no ``version``) read as 0.1 made it: split 'shuffled', 0.1's negatives."""
    if info.get("version") is not None:
        return dict(info)
    name, _, kind = info["task"].partition(":")
    kind = kind or info.get("negatives") or OLD_DEFAULT_NEGATIVES.get(name)
    return {**info, "task": spec(name, kind), "negatives": parse_spec(name, kind)[1],
            "split": OLD_SPLIT, "test_lengths": None, "version": 1}  # fmt: skip


def derived(config: dict) -> dict:
    """The recipe of a run stored before recipes existed, from its config (``task``, default
    reber, and ``data``, the key): a 0.1 set, its negatives named as they are called today."""
    name, _, kind = str(config.get("task") or "reber").partition(":")
    kind = kind or OLD_DEFAULT_NEGATIVES.get(name)
    return {"task": spec(name, kind), "negatives": parse_spec(name, kind)[1],
            "split": OLD_SPLIT, "version": 1, "derived": True}  # fmt: skip


def record(recipes: dict | None, key: str, recipe: dict) -> dict:
    """``recipes`` (data key → recipe) with ``recipe`` under ``key``."""
    return {**(recipes or {}), key: recipe}
