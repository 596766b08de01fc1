#!/usr/bin/env bash
# The GPU check, one command on a fresh CUDA machine (no network, no Dask needed):
#   1. the CUDA tests (when pytest is installed; the same checks run in step 2 anyway),
#   2. scripts/gpu_check.py: CPU vs CUDA on 8 graphs × 4 cells for the sparse and the dense
#      engine, bench --profile of both, then the walls of bench (1,024 graphs, GRU and LSTM,
#      both engines), train-all (256 graphs × 4 cells × 3 epochs) and one pruning experiment,
#      each printed with its exact command.
# Every part runs even when an earlier one fails; the exit status is 1 if any failed. The output
# is written to the log as it comes (GPU_CHECK_LOG, default gpu-check.log in this checkout).
# The interpreter is $PYTHON, else python3, else python.
# Everything runs in this checkout (PYTHONPATH=.), one process at a time, one worker each.
# Extra arguments go to gpu_check.py (e.g. --device cpu --small: the plumbing on a CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=. PYTHONUNBUFFERED=1
export RANDRNN_CACHE="${RANDRNN_CACHE:-$(mktemp -d -t randrnn-cache-XXXXXX)}"
PY="${PYTHON:-$(command -v python3 || command -v python || true)}"
LOG="${GPU_CHECK_LOG:-gpu-check.log}"
if [ -z "$PY" ]; then
  echo "gpu-check: no python3 or python on PATH (set PYTHON)" >&2
  exit 1
fi
exec > >(tee -a "$LOG") 2>&1
failed=()
part() {  # run one part; a failure is noted, and the next part runs
  echo "== $*"
  "$@" || { echo "== FAILED (exit $?): $*"; failed+=("$1 ${*:2:3}"); }
}
part "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
if "$PY" -c "import pytest" 2>/dev/null; then
  part "$PY" -m pytest -m cuda -p no:cacheprovider tests/training/test_cuda.py
else
  echo "pytest is not installed here: the CUDA tests' checks run as step 1 of gpu_check.py below"
fi
part "$PY" scripts/gpu_check.py "$@"
if [ ${#failed[@]} -eq 0 ]; then
  echo "gpu-check: every part passed (log: $LOG)"
else
  echo "gpu-check: ${#failed[@]} part(s) failed: ${failed[*]} (log: $LOG)"
  exit 1
fi
