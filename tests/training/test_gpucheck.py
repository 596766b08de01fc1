"""The GPU check's plumbing, on the CPU at tiny sizes, in a process where Dask cannot be
imported: the in-process paths of train-all, bench and prune need no Dask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_DASK = (
    "import runpy, sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
    f"sys.argv = ['gpu_check.py', '--device', 'cpu', '--small']\n"
    f"runpy.run_path({str(ROOT / 'scripts' / 'gpu_check.py')!r}, run_name='__main__')\n"
)


def test_gpu_check_small_on_cpu_without_dask(tmp_path: Path) -> None:
    """Every cell compared (sparse and dense vs the CPU engine: ok), then bench --profile and
    bench of both engines, train-all and prune run in this one process and their walls are
    printed with their commands."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RANDRNN_CACHE": str(tmp_path / "cache"),
           "COLUMNS": "200"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", NO_DASK], env=env, capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        for engine in ("sparse", "dense"):
            assert any(line.startswith(cell) and f"cpu/{engine} vs" in line
                       and line.endswith("-> ok") for line in out.splitlines())  # fmt: skip
    walls = out.split("wall times on cpu")[1].splitlines()
    for name in ("profile sparse", "profile dense", "bench sparse", "bench dense", "train-all",
                 "prune"):  # fmt: skip
        (line,) = [w for w in walls if w.strip().startswith(name + " ")]
        command = name.split()[0].replace("profile", "bench")
        assert f"randrnn {command} " in line and "--device cpu" in line
    assert "randrnn bench --device cpu --cells gru,lstm" in out and "--engine sparse" in out
    assert "failed:" not in out
    assert "8 runs finished, 0 failed" in out
