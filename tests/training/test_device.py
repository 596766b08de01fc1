"""--device and --engine: chosen once at the edge, bad names and a missing GPU are one line,
auto on a CPU machine is today's engine, and every run records where it trained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from randrnn import studyfile
from randrnn.cli import app
from randrnn.cli.study import VALIDATORS, commands
from randrnn.errors import RandRNNError
from randrnn.pipeline import generate_into
from randrnn.store import Study
from randrnn.studyplan import project
from randrnn.training import engines, native
from randrnn.training.packsize import GIB, fitting_pack
from randrnn.training.speed import save_measurement

runner = CliRunner()


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def test_auto_on_a_cpu_machine_is_todays_engine(no_gpu, monkeypatch) -> None:
    """auto → cpu, and the CPU engine is native where it builds (else the wavefront)."""
    monkeypatch.delenv("RANDRNN_ENGINE", raising=False)
    assert engines.resolve_device("auto") == "cpu"
    expected = "native" if native.available() else "wavefront"
    assert engines.resolve_engine(None, "cpu") == expected


def test_auto_with_a_gpu_is_cuda_and_dense(fake_gpu, monkeypatch) -> None:
    monkeypatch.delenv("RANDRNN_ENGINE", raising=False)
    assert engines.resolve_device("auto") == "cuda"
    assert engines.resolve_engine(None, "cuda") == "dense"


def test_engine_that_cannot_run_on_the_device(fake_gpu) -> None:
    """native on CUDA: one line naming the engines that run there."""
    with pytest.raises(
        RandRNNError, match=r"engine 'native' does not run on cuda; engines there: dense, sparse$"
    ):
        engines.resolve_engine("native", "cuda")


@pytest.mark.parametrize("command", [
    ["train-all", "--study", "s"],
    ["bench", "--graphs", "1"],
    ["prune", "--study", "s", "--dry-run"],
])  # fmt: skip
def test_cuda_without_a_gpu_is_one_line(command, no_gpu, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*command, "--device", "cuda"])
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert str(result.exception) == (
        "--device cuda: torch sees no CUDA GPU here (use --device cpu or auto)"
    )
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(("option", "value", "known"), [
    ("--device", "tpu", "known: auto, cpu, cuda"),
    ("--engine", "turbo", "known: native, wavefront, dense, sparse"),
])  # fmt: skip
def test_unknown_device_or_engine_lists_the_names(option, value, known, tmp_path) -> None:
    result = runner.invoke(app, ["train-all", "--study", str(tmp_path / "s"), option, value])
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert str(result.exception) == f"unknown {option[2:]} '{value}'; {known}"


def test_runs_record_device_and_engine_not_in_the_config(no_gpu, tmp_path) -> None:
    """train-all stores the device and engine with each run; another engine on the same
    settings finds nothing left to do (they are not part of the config hash)."""
    with Study.create(tmp_path / "s") as st:
        generate_into(st, 2, seed=5, nodes=(10, 11))
    args = ["train-all", "--study", str(tmp_path / "s"), "--cells", "rnn_tanh", "--epochs", "1",
            "--max-train", "64", "--max-test", "32"]  # fmt: skip
    first = runner.invoke(app, [*args, "--device", "cpu", "--engine", "dense"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, [*args, "--engine", "wavefront"])
    assert "nothing left to do" in again.output
    with Study.open(tmp_path / "s") as st:
        runs = st.runs()
    assert [(r["device"], r["engine"]) for r in runs] == [("cpu", "dense")] * 2


def test_a_pack_that_does_not_fit_splits(recwarn) -> None:
    """A requested pack larger than 80 % of free memory holds is cut to what fits, one line."""
    assert fitting_pack(None, per_model=GIB, free=100 * GIB) == 80
    assert fitting_pack(50, per_model=GIB, free=100 * GIB) == 50
    assert fitting_pack(1000, per_model=GIB, free=100 * GIB) == 80
    (warning,) = [w for w in recwarn if "does not fit" in str(w.message)]
    assert "--pack-size 1000 does not fit in 100.0 GiB" in str(warning.message)
    with pytest.raises(RandRNNError, match="one model needs 2.00 GiB of GPU memory, 1.00 GiB"):
        fitting_pack(None, per_model=2 * GIB, free=GIB)


def _train_all_plan(tmp_path: Path, extra: str) -> tuple[str, float | None]:
    path = tmp_path / "s.toml"
    path.write_text(
        f'[generate]\nn = 10\nnodes = "10:12"\n[train-all]\ncells = ["gru", "lstm"]\n'
        f"epochs = 3\n{extra}\n"
    )
    sf = studyfile.load(path, commands(), {}, VALIDATORS)
    return project(next(s for s in sf.steps if s.stage == "train-all"), sf)


def test_dry_run_on_cuda_uses_only_a_gpu_benchmark(tmp_path, monkeypatch) -> None:
    """device = "cuda": no GPU benchmark → one note, no figure; a recorded (fake) one → the
    closed form models × epochs × its seconds (not divided by workers); the CPU figures and
    the CPU projection are untouched by it."""
    monkeypatch.setenv("RANDRNN_CACHE", str(tmp_path / "cache"))
    work, seconds = _train_all_plan(tmp_path, 'device = "cuda"')
    assert seconds is None
    assert "no GPU benchmark of gru, lstm exists (randrnn bench --device cuda)" in work
    cpu_before = _train_all_plan(tmp_path, 'device = "cpu"')[1]
    save_measurement({"gru": 0.002, "lstm": 0.003}, 1, "cuda", "dense")
    work, seconds = _train_all_plan(tmp_path, 'device = "cuda"\nworkers = 4')
    assert seconds == pytest.approx(10 * 3 * (0.002 + 0.003))
    assert work == "20 models × 3 epochs on CUDA"
    assert _train_all_plan(tmp_path, 'device = "cpu"')[1] == cpu_before
    saved = json.loads((tmp_path / "cache" / "bench.json").read_text())
    assert saved["cuda"] == {"seconds": {"gru": 0.002, "lstm": 0.003}, "engine": "dense"}
