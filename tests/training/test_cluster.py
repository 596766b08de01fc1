"""The drivers' shared task loop: order of completion, further tasks, local clusters."""

from __future__ import annotations

import warnings

import pytest

from randrnn.training.cluster import connect, run_tasks


def _square(task: int, offset: int) -> int:
    return task * task + offset


def _finish(task: int, result: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Yield (task, result); task 2 queues task 20 (as a stored base unlocks its levels)."""
    return [(task, result)], [20] if task == 2 else []


def test_here_runs_tasks_in_order_with_the_data_and_the_tasks_they_add() -> None:
    """In-process: every task once, in order, further tasks after; ``start`` sees 'local'."""
    started: list[tuple[int, str]] = []
    items = list(run_tasks([1, 2, 3], _square, _finish, (5,),
                           start=lambda task, where: started.append((task, where))))  # fmt: skip
    assert items == [(1, 6), (2, 9), (3, 14), (20, 405)]
    assert started == [(1, "local"), (2, "local"), (3, "local"), (20, "local")]
    assert list(run_tasks([], _square, _finish)) == []


@pytest.mark.slow
def test_two_local_clusters_at_once_give_no_port_warning() -> None:
    """A second LocalCluster while one runs: no 'Port 8787 is already in use' warning; tasks
    and the tasks they add all come back."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = connect(1, None)
        second = connect(1, None)
    for client, cluster in (first, second):
        client.close()
        cluster.close()
    items = sorted(run_tasks([1, 2, 3], _square, _finish, (5,), workers=2))
    assert items == [(1, 6), (2, 9), (3, 14), (20, 405)]
