"""The drivers' shared task loop: order of completion, further tasks, local clusters."""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.training.cluster import (
    connect,
    plain_warning,
    read_scheduler_file,
    run_tasks,
    scheduler_address,
)


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


# --- which scheduler, and the warning for a plain port (nothing here opens a connection) ---

PLAIN_REMOTE = ["tcp://10.0.0.5:8786", "10.0.0.5:8786", "tcp://node17.cluster:8786",
                "TCP://192.168.1.2:8786", "ws://10.0.0.5:8786", "tcp://[2001:db8::1]:8786",
                "tcp://0.0.0.0:8786", "node17"]  # fmt: skip
QUIET = ["tls://10.0.0.5:8786", "tls://node17:8786", "wss://10.0.0.5:8786",
         "tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://127.8.9.1:8786", "tcp://localhost:8786",
         "localhost", "tcp://[::1]:8786", "::1", "ucx://10.0.0.5:8786", "inproc://10.0.0.5/1/2"]  # fmt: skip


@pytest.mark.parametrize("address", PLAIN_REMOTE)
def test_plain_address_off_this_machine_gets_one_warning_line(address: str) -> None:
    line = plain_warning(address)
    assert line is not None and "\n" not in line
    assert line.startswith(f"{address} is an unencrypted Dask port") and "tls://" in line


@pytest.mark.parametrize("address", QUIET)
def test_tls_or_loopback_gets_no_warning(address: str) -> None:
    assert plain_warning(address) is None


@given(
    a=st.integers(0, 255), b=st.integers(0, 255), c=st.integers(0, 255), d=st.integers(0, 255),
    port=st.integers(1, 65535), scheme=st.sampled_from(["tcp://", "", "tls://"]),
)  # fmt: skip
def test_warning_iff_plain_and_not_127(a, b, c, d, port, scheme) -> None:
    """For every IPv4 address: a warning exactly when the scheme is plain (tcp, or none) and the
    host lies outside 127.0.0.0/8 (checked against the address's own first octet)."""
    address = f"{scheme}{a}.{b}.{c}.{d}:{port}"
    assert (plain_warning(address) is not None) == (scheme != "tls://" and a != 127)


def test_scheduler_address_from_a_scheduler_file(tmp_path: Path) -> None:
    """The file's address, with the warning when it is plain and remote; none for tls://."""
    path = tmp_path / "scheduler.json"
    warned: list[str] = []
    path.write_text(json.dumps({"type": "Scheduler", "address": "tcp://10.1.2.3:40000"}))
    assert scheduler_address(None, path, warned.append) == "tcp://10.1.2.3:40000"
    assert warned == [plain_warning("tcp://10.1.2.3:40000")]
    path.write_text(json.dumps({"type": "Scheduler", "address": "tls://10.1.2.3:40000"}))
    assert scheduler_address(None, path, warned.append) == "tls://10.1.2.3:40000"
    assert scheduler_address("tls://h:1", None, warned.append) == "tls://h:1"
    assert scheduler_address(None, None, warned.append) is None
    assert len(warned) == 1


def test_scheduler_file_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.json"
    with pytest.raises(RandRNNError, match="^give --scheduler or --scheduler-file, not both$"):
        scheduler_address("tls://h:1", path, print)
    with pytest.raises(RandRNNError, match="does not exist .waited 0 s"):
        read_scheduler_file(path, wait=0)
    path.write_text("{")
    with pytest.raises(RandRNNError, match="is not a Dask scheduler file .not JSON"):
        read_scheduler_file(path, wait=0)
    path.write_text('{"type": "Scheduler"}')
    with pytest.raises(RandRNNError, match="holds no 'address'"):
        read_scheduler_file(path, wait=0)


def test_scheduler_file_written_while_waiting_is_read(tmp_path: Path) -> None:
    """A scheduler started alongside writes its file a moment later: it is waited for."""
    path = tmp_path / "scheduler.json"
    timer = threading.Timer(0.5, lambda: path.write_text('{"address": "tls://127.0.0.1:1"}'))
    timer.start()
    try:
        assert read_scheduler_file(path, wait=20) == "tls://127.0.0.1:1"
    finally:
        timer.cancel()


@pytest.fixture(scope="module")
def two_graphs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warn") / "study"
    result = CliRunner().invoke(app, ["generate", "--n", "2", "--nodes", "10:12", "--study",
                                      str(path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def test_train_all_warns_before_it_connects(two_graphs: Path, monkeypatch) -> None:
    """train-all --scheduler tcp://10.0.0.5:8786: the warning line on stderr, then the runner
    (mocked: no connection is ever opened) gets the address; tls:// gives no warning."""
    from randrnn.training import runner

    seen: list[str | None] = []

    def fake_train_study(**kwargs):
        seen.append(kwargs["scheduler"])
        return (out for out in ())

    monkeypatch.setattr(runner, "train_study", fake_train_study)
    for address, warns in (("tcp://10.0.0.5:8786", True), ("tls://10.0.0.5:8786", False)):
        result = CliRunner().invoke(app, ["train-all", "--study", str(two_graphs), "--cells",
                                          "gru", "--scheduler", address])  # fmt: skip
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert lines == ([f"warning: {plain_warning(address)}"] if warns else [])
    assert seen == ["tcp://10.0.0.5:8786", "tls://10.0.0.5:8786"]


def test_prune_warns_and_both_options_are_refused(two_graphs: Path, monkeypatch, tmp_path) -> None:
    """prune with a plain remote scheduler file: the warning, and the runner gets the file's
    address (mocked); --scheduler with --scheduler-file: one error line, nothing run."""
    from randrnn.pruning import runner

    seen: list[str | None] = []

    def fake_run_experiments(**kwargs):
        seen.append(kwargs["scheduler"])
        return (out for out in ())

    monkeypatch.setattr(runner, "run_experiments", fake_run_experiments)
    path = tmp_path / "scheduler.json"
    path.write_text('{"type": "Scheduler", "address": "tcp://10.0.0.5:8786"}')
    args = ["prune", "--study", str(tmp_path / "pruned"), "--levels", "50", "--hidden", "4,4",
            "--max-train", "50", "--max-test", "20", "--scheduler-file", str(path)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"warning: {plain_warning('tcp://10.0.0.5:8786')}" in result.stderr.splitlines()
    assert seen == ["tcp://10.0.0.5:8786"]
    for command in (args, ["train-all", "--study", str(two_graphs), "--scheduler-file",
                           str(path)]):  # fmt: skip
        result = CliRunner().invoke(app, [*command, "--scheduler", "tls://h:1"])
        assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
        assert str(result.exception) == "give --scheduler or --scheduler-file, not both"
    assert seen == ["tcp://10.0.0.5:8786"]


def test_study_files_take_the_scheduler_file(tmp_path: Path) -> None:
    """scheduler-file in [train-all] and [prune] becomes --scheduler-file; --set does the same."""
    from randrnn import studyfile
    from randrnn.cli.study import VALIDATORS, commands

    path = tmp_path / "s.toml"
    path.write_text(
        '[train-all]\nscheduler-file = "sched.json"\n\n[prune]\nscheduler_file = "a.json"\n'
    )
    steps = studyfile.load(path, commands(), {}, VALIDATORS).steps
    assert [s.args[s.args.index("--scheduler-file") + 1] for s in steps] == ["sched.json", "a.json"]
    path.write_text("[train-all]\nepochs = 1\n")
    set_ = {"train-all.scheduler_file": "b.json"}
    (step,) = studyfile.load(path, commands(), set_, VALIDATORS).steps
    assert step.args[step.args.index("--scheduler-file") + 1] == "b.json"


def test_a_cluster_resolves_cuda_on_its_workers(two_graphs: Path, monkeypatch) -> None:
    """train-all --scheduler ADDR --device cuda on a driver without a GPU: no 'no CUDA' error
    here (the workers resolve the device where they run); the runner gets 'cuda' and GPU-sized
    chunks. Without a scheduler the same command is the one-line error."""
    import torch

    from randrnn.training import runner

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    seen: list[tuple] = []

    def fake_train_study(**kwargs):
        seen.append((kwargs["device"], kwargs["chunk_size"]))
        return (out for out in ())

    monkeypatch.setattr(runner, "train_study", fake_train_study)
    base = ["train-all", "--study", str(two_graphs), "--cells", "gru", "--device", "cuda"]
    result = CliRunner().invoke(app, [*base, "--scheduler", "tls://10.0.0.5:8786"])
    assert result.exit_code == 0, result.output
    assert seen == [("cuda", 4096)]
    result = CliRunner().invoke(app, base)
    assert result.exit_code == 1 and "torch sees no CUDA GPU" in str(result.exception)
    assert len(seen) == 1
