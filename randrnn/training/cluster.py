"""Run tasks in this process or on a Dask cluster; hand each result to the driver as it comes.

Both drivers, train-all's (`randrnn.training.runner`) and prune's (`randrnn.pruning.runner`),
work this way: a queue of plain, picklable tasks; a worker function that needs only a task and
the data (sent once to every worker, never the study); and a driver-side ``finish`` that writes
a task's result to the study and may queue further tasks. At most twice as many tasks as there
are workers are in flight, so a driver that dies loses only those, and its caller, which skips
what the study already holds, does them again on the next run.

``workers=1`` without a scheduler runs every task here, in order; ``workers>1`` starts a local
cluster of single-threaded worker processes (without a dashboard, its HTTP port free: two at
once do not compete for 8787); ``scheduler`` ('tls://host:8786') uses a running cluster, with
the TLS certificates of Dask's own configuration (distributed.yaml or ``DASK_DISTRIBUTED__COMM__
TLS__*``). `scheduler_address` is the commands' way to it: ``--scheduler`` or the address in a
``--scheduler-file``, with a warning line for a plain port that is not this machine's.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
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
        in_flight: dict[Any, Any] = {}
        running = as_completed()

        def slots() -> int:
            """Work in flight, bounded: two tasks per worker, counted again after each result
            (workers that join later, as SLURM jobs start, get work too)."""
            return max(2, 2 * len(client.scheduler_info()["workers"]))

        def submit() -> None:
            task = queue.popleft()
            if start is not None:
                start(task, where)
            future = client.submit(work, task, *shared, pure=False)
            in_flight[future] = task
            running.add(future)

        limit = slots()
        while queue and len(in_flight) < limit:
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
            limit = slots() if queue else 0
            while queue and len(in_flight) < limit:
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


PLAIN = ("tcp", "ws")  # schemes Dask speaks unencrypted (tls and wss are encrypted)
SCHEDULER_FILE_WAIT = 60.0  # seconds to wait for a scheduler started alongside to write its file


def plain_warning(address: str) -> str | None:
    """The warning line for a scheduler ``address`` whose traffic is unencrypted and leaves this
    machine: a ``tcp://`` (or scheme-less, which Dask reads as tcp) or ``ws://`` address whose
    host is not loopback. None for ``tls://``, loopback hosts and every other case. Pure: reads
    the text only (a host name other than localhost counts as remote; nothing is resolved)."""
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme.lower() not in PLAIN or _loopback(_host(rest)):
        return None
    return (
        f"{address} is an unencrypted Dask port: whoever reaches it can run code on every "
        "worker and read the data; use a tls:// scheduler (README, Scaling out) or one on "
        "127.0.0.1 reached through SSH"
    )


def _host(rest: str) -> str:
    """The host of 'host:port', '[v6]:port', 'host' or a bare IPv6 address (path dropped)."""
    rest = rest.split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].partition("]")[0]
    return rest.partition(":")[0] if rest.count(":") == 1 else rest


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scheduler_address(
    scheduler: str | None,
    scheduler_file: Path | None,
    warn: Callable[[str], None],
    wait: float = SCHEDULER_FILE_WAIT,
) -> str | None:
    """The scheduler a command connects to: ``scheduler``, or the address in ``scheduler_file``
    (the JSON file `dask scheduler --scheduler-file` and dask-mpi write; waited for up to
    ``wait`` seconds, as Dask's workers do, since a job script starts the scheduler alongside),
    or None (no cluster given). Calls ``warn`` with `plain_warning`'s line, if any, before
    anything connects. Both given: one error line."""
    if scheduler is not None and scheduler_file is not None:
        raise RandRNNError("give --scheduler or --scheduler-file, not both")
    address = scheduler if scheduler_file is None else read_scheduler_file(scheduler_file, wait)
    if address is not None and (line := plain_warning(address)):
        warn(line)
    return address


def read_scheduler_file(path: Path, wait: float = SCHEDULER_FILE_WAIT) -> str:
    """The ``address`` of a Dask scheduler file, waiting up to ``wait`` seconds for the file to
    appear and be complete JSON."""
    deadline = time.monotonic() + wait
    while True:
        try:
            info = json.loads(Path(path).read_text())
            break
        except FileNotFoundError:
            if time.monotonic() >= deadline:
                raise RandRNNError(
                    f"scheduler file {path} does not exist (waited {wait:g} s for the scheduler "
                    "to write it)"
                ) from None
        except OSError as exc:
            raise RandRNNError(f"cannot read scheduler file {path}: {exc.strerror}") from None
        except ValueError:  # being written, or not JSON at all
            if time.monotonic() >= deadline:
                raise RandRNNError(f"{path} is not a Dask scheduler file (not JSON)") from None
        time.sleep(0.25)
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or not address:
        raise RandRNNError(f"{path} is not a Dask scheduler file: it holds no 'address'")
    return address
