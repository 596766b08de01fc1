#!/usr/bin/env bash
# The findings on an atlas (docs/findings.md, "The atlas"): every table the page quotes, each
# written as CSV under OUT by the command beside it. Usage:
#   scripts/atlas_findings.sh ATLAS OUT [CELLS]      (CELLS default: gru)
# Each step reads the atlas as a study (--study ATLAS); nothing is trained.
set -uo pipefail
atlas=${1:?atlas folder}; out=${2:?output folder}; cells=${3:-gru}
mkdir -p "$out"
run() { echo "+ $*"; "$@" || echo "FAILED: $*"; }
run randrnn atlas info "$atlas" --format csv --out "$out/info.csv"
run randrnn correlate --study "$atlas" --cells "$cells" --thesis --format csv --out "$out/correlate.csv"
run randrnn predict --study "$atlas" --cells "$cells" --cv 10 --repeats 2 --format csv \
    --out "$out/predict-properties.csv"
for k in 1 2 3; do
  run randrnn predict --study "$atlas" --cells "$cells" --cv 10 --repeats 2 --curve-epochs "$k" \
      --format csv --out "$out/predict-curve-$k.csv"
  run randrnn predict --study "$atlas" --cells "$cells" --cv 10 --repeats 2 --curve-epochs "$k" \
      --features "curve_test_acc_$k" --format csv --out "$out/predict-naive-$k.csv"
done
run randrnn predict --study "$atlas" --cells "$cells" --cv 10 --repeats 2 \
    --regressor all,wl_kernel,gin,wl_props,gin_props --format csv --out "$out/predict-graph.csv"
