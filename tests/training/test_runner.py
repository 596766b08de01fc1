"""train-all: every (graph, cell, replicate) lands exactly once — in-process, on Dask, after a
crash — and each replicate has its own initialisation and batch order."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn.analysis.table import runs_frame
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.models.graph_rnn import build_model
from randrnn.pipeline import generate_into, study_seed
from randrnn.reber import make_dataset
from randrnn.store import Study
from randrnn.training.config import TrainConfig
from randrnn.training.loop import fit, prepare_data
from randrnn.training.runner import batch_seed, chunk_jobs, model_seed, plan_jobs, train_study
from tests.cli.ctrl_c import interrupt

CELLS = ["gru", "rnn_tanh"]
CONFIG = TrainConfig(epochs=1, batch_size=32, max_train=160, max_test=64)


@pytest.fixture(scope="module")
def data():
    return make_dataset(n=400, seed=1)


def small_study(path: Path, n: int = 4) -> Study:
    study = Study.create(path)
    generate_into(study, n, seed=5, nodes=(10, 12))
    return study


def assert_exactly_once(study: Study, n_graphs: int, cells=CELLS, replicates: int = 1) -> None:
    """Every (graph, cell, replicate < K) has exactly one run, and it is done."""
    runs = study.runs()
    keys = [(r["graph_id"], r["cell"], r["replicate"]) for r in runs]
    expected = {(g, c, k) for g in study.graph_ids() for c in cells for k in range(replicates)}
    assert len(runs) == n_graphs * len(cells) * replicates == len(expected)
    assert all(r["status"] == "done" for r in runs)
    assert sorted(keys) == sorted(expected)
    assert len(runs_frame(study)) == len(runs)


def test_in_process_every_pair_once_then_nothing(tmp_path, data):
    """In-process: every pair trains once; a second pass has nothing left to do."""
    study = small_study(tmp_path / "s")
    outcomes = list(train_study(study, CELLS, CONFIG, *data))
    assert len(outcomes) == 8 and all(o.error is None for o in outcomes)
    assert_exactly_once(study, 4)
    assert list(train_study(study, CELLS, CONFIG, *data)) == []


def test_interrupted_runs_are_rerun(tmp_path, data):
    """A run left 'running' by a dead driver is marked interrupted and trained again."""
    study = small_study(tmp_path / "s", n=2)
    run_id = study.start_run(0, "gru", CONFIG.to_dict())  # the crashed driver's run in flight
    outcomes = list(train_study(study, CELLS, CONFIG, *data))
    assert (0, "gru") in {(o.graph_id, o.cell) for o in outcomes}
    assert_exactly_once(study, 2)
    assert next(r for r in study.runs() if r["id"] == run_id)["attempts"] == 2


def test_replicates_each_once_resume_and_extend(tmp_path, data):
    """K replicates: each (graph, cell, r) trains once; an interrupted replicate is retrained in
    its own row; asking for more replicates later trains only the new ones."""
    study = small_study(tmp_path / "s", n=2)
    cfg = CONFIG.to_dict()
    finished = study.start_run(1, "gru", cfg, replicate=0)  # a driver finished this one...
    study.finish_run(finished, {"test_acc": 0.5})
    in_flight = study.start_run(0, "gru", cfg, replicate=1)  # ...and died while this one ran
    outcomes = list(train_study(study, CELLS, CONFIG, *data, replicates=2))
    keys = sorted((o.graph_id, o.cell, o.replicate) for o in outcomes)
    assert keys == sorted(
        {(g, c, r) for g in (0, 1) for c in CELLS for r in (0, 1)} - {(1, "gru", 0)}
    )
    assert_exactly_once(study, 2, replicates=2)
    attempts = {r["id"]: r["attempts"] for r in study.runs()}
    assert attempts[in_flight] == 2 and attempts[finished] == 1
    assert list(train_study(study, CELLS, CONFIG, *data, replicates=2)) == []
    more = list(train_study(study, CELLS, CONFIG, *data, replicates=3))
    assert sorted((o.graph_id, o.cell, o.replicate) for o in more) == [
        (g, c, 2) for g in (0, 1) for c in sorted(CELLS)
    ]
    assert_exactly_once(study, 2, replicates=3)


def test_replicate_zero_is_the_single_run_and_replicates_differ(tmp_path, data):
    """Replicate 0 gives the single run's metrics bit for bit; replicate r trains exactly like
    `loop.fit` from init seed model_seed(.., r) with batch seed batch_seed(seed, r), and so
    differs from replicate 0 in its initial weights and its result."""
    single = small_study(tmp_path / "one", n=3)
    list(train_study(single, ["gru"], CONFIG, *data))
    double = small_study(tmp_path / "two", n=3)
    list(train_study(double, ["gru"], CONFIG, *data, replicates=2))
    one = runs_frame(single).set_index("graph_id")
    two = runs_frame(double).set_index(["graph_id", "replicate"])
    metrics = ["test_acc", "test_loss", "train_acc", "train_loss", "effective_params"]
    for gid in single.graph_ids():
        assert one.loc[gid, metrics].tolist() == two.loc[(gid, 0), metrics].tolist()
        assert two.loc[(gid, 0), "test_loss"] != two.loc[(gid, 1), "test_loss"]

    # an independent computation: the reference loop on one model, from the seeds alone
    gid, seed = 0, study_seed(double)
    dag = to_dag(double.graph(gid)["graph"])
    train, test = prepare_data(*data, CONFIG)
    inits = [build_model(dag, "gru", seed=model_seed(seed, gid, "gru", r)) for r in (0, 1)]
    assert not all(
        (a == b).all() for a, b in zip(inits[0].parameters(), inits[1].parameters())
    )  # different initial weights
    for r in (0, 1):
        cfg = TrainConfig(**{**CONFIG.to_dict(), "seed": batch_seed(CONFIG.seed, r)})
        ref = fit(build_model(dag, "gru", seed=model_seed(seed, gid, "gru", r)), train, test, cfg)
        assert ref["test_loss"] == pytest.approx(two.loc[(gid, r), "test_loss"], abs=1e-5)
    assert batch_seed(CONFIG.seed, 0) == CONFIG.seed != batch_seed(CONFIG.seed, 1)
    other_order = fit(build_model(dag, "gru", seed=model_seed(seed, gid, "gru", 1)), train, test,
                      CONFIG)  # fmt: skip
    assert other_order["test_loss"] != pytest.approx(two.loc[(gid, 1), "test_loss"], abs=1e-5)


def test_replicates_below_one_is_one_clear_error(tmp_path):
    """`train-all --replicates 0` (or negative) is one line naming the option, exit code 1."""
    small_study(tmp_path / "s", n=1).close()
    for bad in ("0", "-2"):
        result = CliRunner().invoke(
            app, ["train-all", "--study", str(tmp_path / "s"), "--replicates", bad]
        )
        assert result.exit_code == 1
        assert isinstance(result.exception, RandRNNError)
        assert str(result.exception) == f"--replicates must be at least 1, got {bad}"
    with Study.open(tmp_path / "s") as study:
        assert study.runs() == [] and study.get_meta("data") is None  # nothing written


def test_changed_config_is_new_work(tmp_path, data):
    """Runs are keyed by their config: other settings train again, the same settings do not."""
    study = small_study(tmp_path / "s", n=2)
    list(train_study(study, ["gru"], CONFIG, *data))
    again = list(
        train_study(
            study, ["gru"], TrainConfig(epochs=2, batch_size=32, max_train=160, max_test=64), *data
        )
    )
    assert len(again) == 2


def test_failed_chunk_fails_only_its_runs(tmp_path, data, monkeypatch):
    """A chunk whose training raises marks its own runs failed; the others finish."""
    from randrnn.training import engine

    real = engine.train_many

    def flaky(models, *args, **kwargs):
        if models[0].cell.name == "rnn_tanh":
            raise RuntimeError("worker lost")
        return real(models, *args, **kwargs)

    monkeypatch.setattr(engine, "train_many", flaky)
    study = small_study(tmp_path / "s", n=2)
    outcomes = list(train_study(study, CELLS, CONFIG, *data))
    failed = {(o.graph_id, o.cell) for o in outcomes if o.error}
    assert failed == {(0, "rnn_tanh"), (1, "rnn_tanh")}
    assert study.run_counts()["done"] == 2
    monkeypatch.setattr(engine, "train_many", real)
    assert len(list(train_study(study, CELLS, CONFIG, *data))) == 2  # failed ones retried
    assert_exactly_once(study, 2)


def test_model_seed_follows_the_cell_name_not_its_registry_position(monkeypatch):
    """Reordering the cell registry changes no seed; each replicate gets its own seed."""
    from randrnn.models import cells

    before = {c: model_seed(3, 7, c) for c in CELLS}
    monkeypatch.setattr(cells, "CELLS", dict(reversed(list(cells.CELLS.items()))))
    assert {c: model_seed(3, 7, c) for c in CELLS} == before
    assert len({model_seed(3, 7, "gru", r) for r in range(5)}) == 5
    assert model_seed(3, 7, "gru", 0) == model_seed(3, 7, "gru")


def test_seeds_and_chunks_are_plain_functions(tmp_path):
    """Model seeds derive from (study seed, graph, cell); chunks hold one cell each."""
    assert model_seed(0, 1, "gru") == model_seed(0, 1, "gru")
    assert (
        len(
            {
                model_seed(0, 1, "gru"),
                model_seed(0, 2, "gru"),
                model_seed(0, 1, "lstm"),
                model_seed(1, 1, "gru"),
            }
        )
        == 4
    )
    study = small_study(tmp_path / "s", n=5)
    jobs = plan_jobs(study, CELLS, CONFIG, seed=0)
    chunks = chunk_jobs(jobs, 2)
    assert sum(len(c) for c in chunks) == 10
    assert all(len({j.cell for j in c}) == 1 and len(c) <= 2 for c in chunks)
    jobs = plan_jobs(study, CELLS, CONFIG, seed=0, replicates=3)
    assert len(jobs) == 30
    assert all(j.seed == model_seed(0, j.graph_id, j.cell, j.replicate) for j in jobs)
    for workers in (1, 2):
        chunks = chunk_jobs(jobs, 4, workers)
        assert sorted(j.seed for c in chunks for j in c) == sorted(j.seed for j in jobs)
        assert all(len({(j.cell, j.replicate) for j in c}) == 1 for c in chunks)


@pytest.mark.slow
def test_local_cluster_every_pair_once(tmp_path, data):
    """Two local Dask worker processes: every (pair, replicate) lands exactly once, with the
    same metrics as in-process training."""
    study = small_study(tmp_path / "s")
    outcomes = list(train_study(study, CELLS, CONFIG, *data, workers=2, chunk_size=2, replicates=2))
    assert len(outcomes) == 16 and all(o.error is None for o in outcomes)
    assert os.getpid() not in {o.metrics["worker_pid"] for o in outcomes}
    assert_exactly_once(study, 4, replicates=2)
    here = small_study(tmp_path / "here")
    list(train_study(here, CELLS, CONFIG, *data, replicates=2))
    keys = ["graph_id", "cell", "replicate"]
    dask_runs = runs_frame(study).sort_values(keys).reset_index(drop=True)
    local_runs = runs_frame(here).sort_values(keys).reset_index(drop=True)
    assert dask_runs[keys].equals(local_runs[keys])
    assert dask_runs["test_loss"].to_numpy() == pytest.approx(local_runs["test_loss"], abs=1e-5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_separate_scheduler_and_worker(tmp_path, data):
    """A scheduler and a worker started as separate processes on 127.0.0.1 run the study."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        time.sleep(2)
        procs.append(
            subprocess.Popen(
                [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        study = small_study(tmp_path / "s")
        outcomes = list(train_study(study, CELLS, CONFIG, *data, scheduler=address, chunk_size=2))
        assert len(outcomes) == 8 and all(o.error is None for o in outcomes)
        assert_exactly_once(study, 4)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=20)


def test_unreachable_scheduler_is_one_clear_error(tmp_path):
    """A scheduler address nobody listens on gives one error line and exit code 1."""
    small_study(tmp_path / "s", n=1)
    result = CliRunner().invoke(
        app,
        [
            "train-all",
            "--study",
            str(tmp_path / "s"),
            "--cells",
            "gru",
            "--epochs",
            "1",
            "--max-train",
            "50",
            "--max-test",
            "20",
            "--scheduler",
            f"tcp://127.0.0.1:{_free_port()}",
        ],
    )
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    message = str(result.exception)
    assert message.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:")
    assert "\n" not in message


@pytest.mark.slow
def test_killed_train_all_resumes_without_loss_or_repeat(tmp_path):
    """SIGKILL in the middle of train-all --replicates 2, run it again: every (graph, cell,
    replicate) done, exactly once."""
    study_dir = tmp_path / "s"
    small_study(study_dir, n=6).close()
    exe = Path(sys.executable).parent / "randrnn"
    args = [
        str(exe),
        "train-all",
        "--study",
        str(study_dir),
        "--cells",
        "gru,rnn_tanh",
        "--epochs",
        "2",
        "--max-train",
        "400",
        "--max-test",
        "100",
        "--chunk",
        "1",
        "--replicates",
        "2",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    with Study.open(study_dir) as study:
        while time.time() < deadline and study.run_counts()["done"] < 2:
            time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Study.open(study_dir) as study:
        done_before = {(r["graph_id"], r["cell"], r["replicate"]) for r in study.runs("done")}
        assert 2 <= len(done_before) < 24
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Study.open(study_dir) as study:
        assert_exactly_once(study, 6, replicates=2)
        attempts = {(r["graph_id"], r["cell"], r["replicate"]): r["attempts"] for r in study.runs()}
        assert all(attempts[key] == 1 for key in done_before)  # finished work never repeated


def test_split_assignment_balances_cells_and_generators():
    """'split' gives each graph one cell, each cell the same number of WS and BA graphs."""
    from randrnn.training.assignment import assigned_cells

    cells = ["gru", "lstm", "rnn_tanh", "rnn_relu"]
    plan = assigned_cells(list(range(16)), cells, "split", group=2)
    assert all(len(v) == 1 for v in plan.values())
    for cell in cells:
        ids = [gid for gid, v in plan.items() if v == [cell]]
        assert len(ids) == 4
        assert sorted(i % 2 for i in ids) == [0, 0, 1, 1]  # generators alternate by index
    assert assigned_cells([3, 1], cells, "all") == {1: cells, 3: cells}


def test_failed_generate_leaves_no_new_study(tmp_path):
    """A generate that fails on bad input creates nothing; an existing study is kept."""
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--n", "0", "--study", str(tmp_path / "new")])
    assert result.exit_code == 1 and str(result.exception) == "--n must be at least 1, got 0"
    assert not (tmp_path / "new").exists()
    small_study(tmp_path / "old", n=1).close()
    result = runner.invoke(
        app, ["generate", "--n", "3", "--generators", "xx", "--study", str(tmp_path / "old")]
    )
    assert result.exit_code == 1
    assert str(result.exception) == "unknown graph generator 'xx'; known: ws, ba, er"
    with Study.open(tmp_path / "old") as study:
        assert study.graph_count() == 1


def test_chunks_balance_several_workers(tmp_path):
    """With several workers every worker gets at least four chunks, largest graphs first."""
    study = small_study(tmp_path / "s", n=10)
    jobs = plan_jobs(study, ["gru"], CONFIG, seed=0)
    chunks = chunk_jobs(jobs, 16, workers=2)
    assert sum(len(c) for c in chunks) == 10 and len(chunks) >= 5
    costs = [sum(j.nodes**3 for j in c) for c in chunks]
    assert costs == sorted(costs, reverse=True)
    assert len(chunk_jobs(jobs, 16)) == 1  # one process: one pack-friendly chunk


def _train_all_args(study_dir: Path, *more: str) -> list[str]:
    """`randrnn train-all` on a tiny study: one model per task, a second or so each."""
    return [str(Path(sys.executable).parent / "randrnn"), "train-all", "--study", str(study_dir),
            "--cells", "gru,rnn_tanh", "--epochs", "4", "--max-train", "400", "--max-test", "100",
            "--chunk", "1", *more]  # fmt: skip


@pytest.mark.slow
def test_ctrl_c_exits_130_with_one_line_and_a_rerun_resumes(tmp_path):
    """SIGINT in the middle of train-all: exit code 130, one line on stderr, no run left
    'running' (the one in flight is 'interrupted'); a re-run trains exactly the rest."""
    study_dir = tmp_path / "s"
    small_study(study_dir, n=6).close()
    args = _train_all_args(study_dir)

    def two_done() -> bool:
        with Study.open(study_dir) as study:
            return study.run_counts()["done"] >= 2

    interrupt(args, two_done)
    with Study.open(study_dir) as study:
        counts = study.run_counts()
        assert counts["running"] == 0 and counts["failed"] == 0
        assert 2 <= counts["done"] < 12 and counts["interrupted"] <= 1
        done_before = {(r["graph_id"], r["cell"]) for r in study.runs("done")}
        assert all(r["metrics"] is None for r in study.runs("interrupted"))
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Study.open(study_dir) as study:
        assert_exactly_once(study, 6)
        attempts = {(r["graph_id"], r["cell"]): r["attempts"] for r in study.runs()}
        assert all(attempts[key] == 1 for key in done_before)


@pytest.mark.slow
def test_a_killed_dask_worker_process_loses_and_repeats_nothing(tmp_path, data):
    """SIGKILL to a real Dask worker process while it trains: Dask gives its task to another
    worker, and every (graph, cell) lands in the study exactly once, trained once."""
    from randrnn.training.cluster import connect

    client, cluster = connect(2, None)
    try:
        pids = client.run(os.getpid)  # worker address → pid
        study = small_study(tmp_path / "s", n=6)
        config = TrainConfig(epochs=3, batch_size=32, max_train=400, max_test=100)
        outcomes = train_study(study, CELLS, config, *data, scheduler=cluster.scheduler_address,
                               chunk_size=1)  # fmt: skip
        first = next(outcomes)
        busy = [address for address, keys in client.processing().items() if keys]
        assert busy, "no worker had a task when the kill came"
        victim = pids[busy[0]]
        os.kill(victim, signal.SIGKILL)
        rest = list(outcomes)
        assert all(o.error is None for o in [first, *rest])
        assert len(rest) == 11
        assert_exactly_once(study, 6)
        assert all(r["attempts"] == 1 for r in study.runs())
        assert victim not in client.run(os.getpid).values()  # the process is really gone
    finally:
        client.close()
        cluster.close()
