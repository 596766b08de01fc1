#!/usr/bin/env bash
# The GPU check, one command on a fresh CUDA machine (no network, no Dask needed):
#   1. the CUDA tests (when pytest is installed; the same checks run in step 2 anyway),
#   2. scripts/gpu_check.py: CPU vs CUDA on 8 graphs × 4 cells, then the walls of
#      bench (1,024 graphs, GRU and LSTM, dense engine), train-all (256 graphs × 4 cells ×
#      3 epochs) and one pruning experiment, each printed with its exact command.
# Everything runs in this checkout (PYTHONPATH=.), one process at a time, one worker each.
# Extra arguments go to gpu_check.py (e.g. --device cpu --small: the plumbing on a CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=.
export RANDRNN_CACHE="${RANDRNN_CACHE:-$(mktemp -d -t randrnn-cache-XXXXXX)}"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
if python -c "import pytest" 2>/dev/null; then
  python -m pytest -m cuda -p no:cacheprovider tests/training/test_cuda.py
else
  echo "pytest is not installed here: the CUDA tests' checks run as step 1 of gpu_check.py below"
fi
python scripts/gpu_check.py "$@"
