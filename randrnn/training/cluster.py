"""Run tasks in this process or on a Dask cluster; hand each result to the driver as it comes.

Both drivers, train-all's (`randrnn.training.runner`) and prune's (`randrnn.pruning.runner`),
work this way: a queue of plain, picklable tasks; a worker function that needs only a task and
the data (sent once to every worker, never the study); and a driver-side ``finish`` that writes
a task's result to the study and may queue further tasks. At most twice as many tasks as there
are workers are in flight, so a driver that dies loses only those, and its caller, which skips
what the study already holds, does them again on the next run.

``workers=1`` without a scheduler runs every task here, in order; ``workers>1`` starts a local
cluster of single-threaded worker processes (without a dashboard, its HTTP port free: two at
once do not compete for 8787); ``scheduler`` ('tcp://host:8786') uses a running cluster.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import torch

from randrnn.errors import RandRNNError

Task = TypeVar("Task")
Finish = Callable[[Any, Any], tuple[Iterable[Any], Iterable[Any]]]


def run_tasks(
    tasks: Iterable[Task],
    work: Callable[..., Any],
    finish: Finish,
    data: tuple[Any, ...] = (),
    workers: int = 1,
    scheduler: str | None = None,
    start: Callable[[Task, str], None] | None = None,
    failed: Callable[[Task, Exception], Any] | None = None,
) -> Iterator[Any]:
    """Run ``work(task, *data)`` for every task; yield what the driver makes of each result.

    ``finish(task, result)`` runs here, in order of completion, and returns (items to yield,
    further tasks). ``start(task, where)`` runs here just before a task is sent (``where``:
    'local', 'local-cluster' or the scheduler's address). On a cluster, ``failed(task, error)``
    stands in for the result of a task whose worker raised or died too often (Dask already
    sends a task whose worker died to another one); without it the error propagates.
    """
    queue = deque(tasks)
    if not queue:
        return
    if scheduler is None and workers == 1:
        yield from _run_here(queue, work, finish, data, start)
    else:
        yield from _run_dask(queue, work, finish, data, workers, scheduler, start, failed)


def _run_here(queue: deque, work, finish: Finish, data, start) -> Iterator[Any]:
    threads = torch.get_num_threads()  # workers use one thread; give the caller its own back
    try:
        while queue:
            task = queue.popleft()
            if start is not None:
                start(task, "local")
            items, more = finish(task, work(task, *data))
            queue.extend(more)
            yield from items
    finally:
        torch.set_num_threads(threads)


def _run_dask(queue: deque, work, finish: Finish, data, workers, scheduler, start, failed):
    from dask.distributed import as_completed

    client, cluster = connect(workers, scheduler)
    where = scheduler or "local-cluster"
    try:
        shared = client.scatter(list(data), broadcast=True) if data else []
        slots = max(2, 2 * len(client.scheduler_info()["workers"]))  # work in flight, bounded
        in_flight: dict[Any, Any] = {}
        running = as_completed()

        def submit() -> None:
            task = queue.popleft()
            if start is not None:
                start(task, where)
            future = client.submit(work, task, *shared, pure=False)
            in_flight[future] = task
            running.add(future)

        while queue and len(in_flight) < slots:
            submit()
        for future in running:
            task = in_flight.pop(future)
            try:
                result = future.result()
            except Exception as exc:
                if failed is None:
                    raise
                result = failed(task, exc)
            items, more = finish(task, result)
            queue.extend(more)
            yield from items
            while queue and len(in_flight) < slots:
                submit()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def connect(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    """(client, cluster): a client of the scheduler at ``scheduler``, or of a new local cluster
    of ``workers`` single-threaded processes (cluster None when the scheduler was given)."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # without a dashboard the scheduler still serves health checks over HTTP, on 8787
            # unless told otherwise: a free port here, so a second cluster does not warn
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
    try:
        return Client(cluster if cluster is not None else scheduler, timeout="30s"), cluster
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise RandRNNError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
