"""Mutation check: plant small, plausible bugs in the science-critical modules, one at a time,
and see whether the tests catch them.

Each mutant replaces one exact snippet of one file by another. It is applied to a copy of the
repository (``randrnn/``, ``tests/``, ``data/``, the docs and ``pyproject.toml``, in a
temporary folder; the working tree is never touched), and the mutant's own test files are run there with
``PYTHONPATH`` pointing at the copy. A failing run *kills* the mutant; a passing run means it
*survived*: the tests do not notice that bug. A survivor needs a test that catches it, or a
written reason in its entry (``survives=``) why no test can or should (an equivalent change).
A snippet that is not found exactly once is an *error*: the list went stale, fix the entry.

Run it before a release and after a change to a science-critical module (not in CI: it takes
a while; run it niced on a shared machine)::

    nice python scripts/mutants.py              # all mutants
    python scripts/mutants.py --list            # names, files and what each plants
    python scripts/mutants.py --only bh-nan-as-one --only graph-seed-order

It first runs the union of the mutants' test files on the unchanged copy (``--no-baseline``
skips this): a test that fails without a mutant would kill every mutant and prove nothing.
The exit status is 0 when every mutant is killed or survives with a reason, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what the tests read: the package, the tests, the shipped data, and the docs some tests check
COPIED = ("randrnn", "tests", "data", "docs", "studies", "scripts", "pyproject.toml", "README.md",
          "DEVELOPERS.md", "CHANGELOG.md")  # fmt: skip
PYTEST = ("-x", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
TIMEOUT = 1200  # seconds for one mutant's tests


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    old: str  # exact snippet, found exactly once
    new: str
    tests: tuple[str, ...]  # test files (of the package) to run, first the one meant to catch it
    what: str  # the bug, in one line
    survives: str = ""  # why a survivor is acceptable (an equivalent mutant); empty: none


ENGINE = "randrnn/training/engine.py"
KERNEL = "randrnn/training/native.cpp"
NATIVE_TESTS = ("tests/test_native.py",)

# fmt: off
MUTANTS: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------ the packed engine
    Mutant(
        "clip-pack-norm", ENGINE,
        "squares = sum(p.grad.pow(2).flatten(1).sum(1) for p in params)",
        "squares = sum(p.grad.pow(2).sum() for p in params)",
        ("tests/training/test_clipping.py",),
        "gradients clipped by the whole pack's norm instead of each model's (issue 29)",
    ),
    Mutant(
        "clip-removed", ENGINE,
        "            _clip(pack.params, config.clip)\n", "",
        ("tests/training/test_clipping.py",),
        "the packed engine does not clip at all (issue 29)",
    ),
    Mutant(
        "clip-always-rescales", ENGINE,
        "coef = torch.clamp(max_norm / (squares.sqrt() + 1e-6), max=1.0)",
        "coef = max_norm / (squares.sqrt() + 1e-6)",
        ("tests/training/test_clipping.py", "tests/test_engine.py"),
        "small gradients are scaled up to the clip norm, not left alone",
    ),
    Mutant(
        "eval-loss-mean-of-batches", ENGINE,
        'loss += _losses(logits, labels, "sum").double()',
        'loss += _losses(logits, labels, "mean").double()',
        ("tests/test_engine.py",),
        "test loss summed from batch means and divided by the row count",
    ),
    Mutant(
        "native-unsorted-readout", ENGINE,
        "features = features[:, torch.argsort(order)]",
        "features = features[:, order]",
        ("tests/test_engine.py",),
        "the length-sorted batch is not put back into the batch's order",
    ),
    # ------------------------------------------------------------------ the native kernel
    Mutant(
        "kernel-tanh-backward", KERNEL,
        "d0[b] = dh[b] * (T(1) - a[b] * a[b]);",
        "d0[b] = dh[b] * (T(1) - a[b]);",
        NATIVE_TESTS,
        "tanh derivative 1 - a instead of 1 - a²",
    ),
    Mutant(
        "kernel-relu-backward", KERNEL,
        "d0[b] = a[b] > T(0) ? dh[b] : T(0);",
        "d0[b] = dh[b];",
        NATIVE_TESTS,
        "ReLU passes the gradient where it is off",
    ),
    Mutant(
        "kernel-lstm-forget-grad", KERNEL,
        "d1[b] = dc * cp[b] * fg[b] * (T(1) - fg[b]);",
        "d1[b] = dc * cp[b] * fg[b];",
        NATIVE_TESTS,
        "LSTM forget gate's sigmoid derivative missing",
    ),
    Mutant(
        "kernel-lstm-output-grad", KERNEL,
        "d3[b] = dh[b] * tc * og[b] * (T(1) - og[b]);",
        "d3[b] = dh[b] * tc * (T(1) - og[b]);",
        NATIVE_TESTS,
        "LSTM output gate's sigmoid derivative wrong",
    ),
    Mutant(
        "kernel-gru-update-forward", KERNEL,
        "h[b] = nv + zv * (hp[b] - nv);",
        "h[b] = hp[b] + zv * (nv - hp[b]);",
        NATIVE_TESTS,
        "GRU update gate's roles swapped (z keeps the new state)",
    ),
    Mutant(
        "kernel-gru-update-grad", KERNEL,
        "const T dz = dh[b] * (hp[b] - ng[b]) * zg[b] * (T(1) - zg[b]);",
        "const T dz = dh[b] * (ng[b] - hp[b]) * zg[b] * (T(1) - zg[b]);",
        NATIVE_TESTS,
        "GRU update gate's gradient with the wrong sign",
    ),
    Mutant(
        "kernel-gru-carry-grad", KERNEL,
        "dhp[b] += dh[b] * zg[b];",
        "dhp[b] += dh[b];",
        NATIVE_TESTS,
        "GRU carries the whole gradient to the previous step",
    ),
    # ------------------------------------------------------------------ batches
    Mutant(
        "batches-same-every-epoch", "randrnn/training/batches.py",
        "rng = np.random.default_rng([seed, epoch])",
        "rng = np.random.default_rng(seed)",
        ("tests/training/test_batching.py",),
        "every epoch sees the same batches in the same order",
    ),
    Mutant(
        "batches-drop-last", "randrnn/training/batches.py",
        "batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]",
        "batches = [order[i : i + batch_size] for i in range(0, len(order) - batch_size + 1,"
        " batch_size)]",
        ("tests/training/test_batching.py",),
        "the last, partial training batch is dropped",
    ),
    # ------------------------------------------------------------------ graphs
    Mutant(
        "graph-seed-order", "randrnn/graphs/generate.py",
        "np.random.SeedSequence([study_seed, index])",
        "np.random.SeedSequence([index, study_seed])",
        ("tests/graphs/test_pinned_seeds.py", "tests/graphs/test_generate.py"),
        "graph seed from (index, study seed): every seeded study's graphs change (issue 29)",
    ),
    Mutant(
        "graph-n-range-exclusive", "randrnn/graphs/generate.py",
        "n = int(np.random.default_rng(seed).integers(lo, hi + 1))",
        "n = int(np.random.default_rng(seed).integers(lo, hi))",
        ("tests/graphs/test_generate.py", "tests/graphs/test_pinned_seeds.py"),
        "the node range's upper end is never drawn",
    ),
    Mutant(
        "ba-degree-ignores-new-node", "randrnn/graphs/generate.py",
        "ends += targets + [new] * m",
        "ends += targets",
        ("tests/graphs/test_ba.py", "tests/graphs/test_pinned_seeds.py"),
        "BA attachment forgets the new node's own edge ends (not ∝ degree)",
    ),
    Mutant(
        "dag-reversed-orientation", "randrnn/graphs/dag.py",
        "(u, v, data) if position[u] < position[v] else (v, u, data)",
        "(u, v, data) if position[u] > position[v] else (v, u, data)",
        ("tests/graphs/test_dag.py",),
        "edges oriented from later to earlier nodes",
    ),
    Mutant(
        "layer-index-from-one", "randrnn/graphs/dag.py",
        "enumerate(nx.topological_generations(dag))",
        "enumerate(nx.topological_generations(dag), start=1)",
        ("tests/graphs/test_dag.py",),
        "the sources' layer is 1, not 0",
    ),
    Mutant(
        "density-networkx", "randrnn/graphs/properties.py",
        '"density": m / (n * (n - 1)),',
        '"density": 2 * m / (n * (n - 1)),',
        ("tests/graphs/test_properties.py",),
        "density is networkx' 2m/(n(n-1)), not the thesis' half of it",
    ),
    Mutant(
        "variance-population", "randrnn/graphs/properties.py",
        "var = float(x.var(ddof=1)) if x.size > 1 else 0.0",
        "var = float(x.var()) if x.size > 1 else 0.0",
        ("tests/graphs/test_properties.py",),
        "population variance instead of the sample variance",
    ),
    Mutant(
        "skip-edges-all", "randrnn/graphs/properties.py",
        "index[b] - index[a] > 1)",
        "index[b] - index[a] > 0)",
        ("tests/graphs/test_properties.py",),
        "every edge counted as a skip edge",
    ),
    Mutant(
        "dead-ends-include-sinks", "randrnn/graphs/properties.py",
        "dag.out_degree(v) == 0 and index[v] != last",
        "dag.out_degree(v) == 0",
        ("tests/graphs/test_properties.py",),
        "the last layer's sinks counted as dead ends",
    ),
    # ------------------------------------------------------------------ models: masks, readout
    Mutant(
        "mask-dense-between-layers", "randrnn/models/graph_rnn.py",
        "mask = torch.zeros(len(group), len(columns))",
        "mask = torch.ones(len(group), len(columns))",
        ("tests/models",),
        "a layer reads every unit of its source layers, not only its graph predecessors",
    ),
    Mutant(
        "readout-sinks-wrong", "randrnn/models/graph_rnn.py",
        "if dag.out_degree(v) == 0)",
        "if dag.out_degree(v) <= 1)",
        ("tests/models",),
        "the sinks readout also reads units with one successor",
    ),
    Mutant(
        "readout-padded-end", "randrnn/models/graph_rnn.py",
        "last = lengths - 1",
        "last = torch.full_like(lengths, codes.shape[1] - 1)",
        ("tests/models",),
        "the readout reads the padded end instead of each string's last step",
    ),
    # ------------------------------------------------------------------ analysis
    Mutant(
        "design-splits-ignore-groups", "randrnn/analysis/design.py",
        "return list(splits(len(self.y), self.folds, self.repeats, self.seed, self.groups))",
        "return list(splits(len(self.y), self.folds, self.repeats, self.seed))",
        ("tests/analysis/test_design_folds.py", "tests/analysis/test_predict.py"),
        "a graph's runs fall on both sides of a fold: inflated R² (issue 29)",
    ),
    Mutant(
        "graph-groups-never", "randrnn/analysis/design.py",
        "return ids if len(np.unique(ids)) < len(ids) else None",
        "return None",
        ("tests/analysis/test_design_folds.py", "tests/analysis/test_predict.py"),
        "per-run tables are not grouped by graph",
    ),
    Mutant(
        "bh-nan-as-one", "randrnn/analysis/correlate.py",
        'out[ok] = stats.false_discovery_control(p[ok], method="bh")',
        'out[ok] = stats.false_discovery_control(np.nan_to_num(p, nan=1.0), method="bh")[ok]',
        ("tests/analysis/test_bh.py", "tests/analysis/test_correlate.py"),
        "BH counts a constant property's NaN p-value as p = 1 (issue 29)",
    ),
    Mutant(
        "bh-no-correction", "randrnn/analysis/correlate.py",
        'out[ok] = stats.false_discovery_control(p[ok], method="bh")',
        "out[ok] = p[ok]",
        ("tests/analysis/test_bh.py", "tests/analysis/test_correlate.py"),
        "q is the raw p (no correction)",
    ),
    Mutant(
        "icc-k0", "randrnn/analysis/noise.py",
        'den = out["ms_b"] + (out["k0"] - 1) * out["ms_w"]',
        'den = out["ms_b"] + out["k0"] * out["ms_w"]',
        ("tests/analysis/test_noise.py",),
        "ICC(1) with k₀ instead of k₀ − 1 in the denominator",
    ),
    Mutant(
        "replicates-arithmetic-mean", "randrnn/analysis/noise.py",
        "return float(1.0 / np.mean(1.0 / counts))",
        "return float(np.mean(counts))",
        ("tests/analysis/test_noise.py",),
        "K of an unequal design is the arithmetic, not the harmonic, mean",
    ),
    Mutant(
        "pooled-r2-swapped", "randrnn/analysis/scores.py",
        '"r2_pooled": float(r2_score(truth, held)),',
        '"r2_pooled": float(r2_score(held, truth)),',
        ("tests/analysis/test_scores.py",),
        "pooled R² with truth and prediction swapped",
    ),
    Mutant(
        "fold-r2-constant-kept", "randrnn/analysis/scores.py",
        "return math.nan if np.ptp(y) == 0 else float(r2_score(y, pred))",
        "return float(r2_score(y, pred))",
        ("tests/analysis/test_scores.py",),
        "a constant test fold's undefined R² enters the mean",
    ),
    # ------------------------------------------------------------------ tasks
    Mutant(
        "dyck-negatives-may-be-valid", "randrnn/tasks/dyck.py",
        "bases, rng, pairs, lambda s: not is_dyck(s, pairs, None),",
        "bases, rng, pairs, lambda s: True,",
        ("tests/tasks/test_dyck.py",),
        "a Dyck negative may be a balanced string",
    ),
    Mutant(
        "dyck-depth-off-by-one", "randrnn/tasks/dyck.py",
        "if max_depth is not None and len(stack) > max_depth:",
        "if max_depth is not None and len(stack) >= max_depth:",
        ("tests/tasks/test_dyck.py",),
        "strings exactly max_depth deep rejected",
    ),
    Mutant(
        "reber-transition", "randrnn/tasks/reber.py",
        '(4, "X", 3), (4, "S", 6),',
        '(4, "X", 3), (4, "S", 5),',
        ("tests/tasks/test_reber_family.py",),
        "one arc of the Reber grammar goes to the wrong state",
    ),
    Mutant(
        "split-keeps-train-strings", "randrnn/tasks/split.py",
        "fresh += [s for s in batch if s not in train]",
        "fresh += batch",
        ("tests/tasks/test_split.py", "tests/tasks/test_data.py"),
        "the disjoint split's redrawn test strings may be training strings",
    ),
    Mutant(
        "length-split-not-redrawn", "randrnn/tasks/data.py",
        'redraw_all=split == "length",',
        "redraw_all=False,",
        ("tests/tasks/test_split.py", "tests/tasks/test_data.py"),
        "the length split keeps short test strings",
    ),
    # ------------------------------------------------------------------ pruning
    Mutant(
        "prune-stale-weight", "randrnn/pruning/criteria.py",
        "scores = {w.key: w.effective() for w in weights}",
        "scores = {w.key: getattr(w.module, w.name).detach() for w in weights}",
        ("tests/pruning/test_stale_weight.py", "tests/pruning/test_criteria.py"),
        "magnitude ranks torch's cached weight, not orig × mask (issue 29)",
    ),
    Mutant(
        "prune-count-floor", "randrnn/pruning/criteria.py",
        "k = round(amount * kept.numel())",
        "k = int(amount * kept.numel())",
        ("tests/pruning/test_criteria.py",),
        "the pruned count rounds down instead of to the nearest",
    ),
    Mutant(
        "prune-absent-connections", "randrnn/pruning/criteria.py",
        "kept = default_mask.reshape(-1).nonzero().squeeze(1)",
        "kept = torch.arange(default_mask.numel())",
        ("tests/pruning/test_existing_connections.py", "tests/pruning/test_criteria.py"),
        "lowest_mask counts entries its default mask drops (inside torch's container, which"
        " hands over only unpruned entries, equivalent; a direct call shows it)",
    ),
    Mutant(
        "magnitude-signed", "randrnn/pruning/criteria.py",
        "    def scores(self, t: torch.Tensor) -> torch.Tensor:\n        return t.abs()",
        "    def scores(self, t: torch.Tensor) -> torch.Tensor:\n        return t",
        ("tests/pruning/test_criteria.py", "tests/pruning/test_stale_weight.py"),
        "magnitude ranks the signed weight",
    ),
    Mutant(
        "waea-filter-normaliser", "randrnn/pruning/waea.py",
        "/ math.sqrt(2 * math.pi * sigma)",
        "/ (sigma * math.sqrt(2 * math.pi))",
        ("tests/pruning/test_waea.py",),
        "WAEA's filter with the textbook σ√(2π), not the paper's √(2πσ)",
    ),
    Mutant(
        "waea-alpha-swapped", "randrnn/pruning/waea.py",
        "score = options.alpha * f_term + (1 - options.alpha) * i_term",
        "score = options.alpha * i_term + (1 - options.alpha) * f_term",
        ("tests/pruning/test_waea_alpha.py", "tests/pruning/test_waea.py"),
        "α weighs the gradient variance instead of the filter",
    ),
    Mutant(
        "waea-welford", "randrnn/pruning/waea.py",
        "self.m2 += delta * (x - self.mean)",
        "self.m2 += delta * delta",
        ("tests/pruning/test_waea.py",),
        "running variance update with the old mean twice",
    ),
    # ------------------------------------------------------------------ store
    Mutant(
        "store-restarts-done-runs", "randrnn/store/runs.py",
        "\" WHERE runs.status != 'done'\"",
        '" WHERE 1 = 1"',
        ("tests/test_store.py",),
        "starting a run again resets a finished one",
    ),
    Mutant(
        "store-overwrites-done-runs", "randrnn/store/runs.py",
        "\" WHERE id = :id AND status != 'done'\",",
        '" WHERE id = :id",',
        ("tests/test_store.py",),
        "a late worker's result overwrites a run already done",
    ),
)
# fmt: on


def by_name(names: list[str]) -> list[Mutant]:
    known = {m.name: m for m in MUTANTS}
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown mutant(s): {', '.join(unknown)}; see --list")
    return [known[n] for n in names]


def make_copy(into: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        elif source.exists():
            shutil.copy2(source, into / name)


def plant(copy: Path, mutant: Mutant) -> str | None:
    """Apply ``mutant`` in ``copy``; the problem if its snippet is not there exactly once."""
    path = copy / mutant.file
    if not path.is_file():
        return f"{mutant.file} does not exist"
    text = path.read_text()
    count = text.count(mutant.old)
    if count != 1:
        return f"snippet found {count} times in {mutant.file} (the list went stale)"
    path.write_text(text.replace(mutant.old, mutant.new))
    return None


def run_tests(copy: Path, tests: tuple[str, ...], cache: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(copy), "RANDRNN_CACHE": str(cache)}
    env.pop("RANDRNN_ENGINE", None)
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", *PYTEST, *tests], check=False,
                              cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {TIMEOUT} s"
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return done.returncode, (failed or lines or [""])[-1 if not failed else 0][:160]


def check(mutant: Mutant, cache: Path) -> tuple[str, str]:
    """(verdict, detail): killed, survived, survived (reason given) or error."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        copy = Path(tmp)
        make_copy(copy)
        problem = plant(copy, mutant)
        if problem:
            return "error", problem
        code, last = run_tests(copy, mutant.tests, cache)
    if code == 0:
        return ("survived (reason given)", mutant.survives) if mutant.survives else (
            "SURVIVED", last)  # fmt: skip
    if code in (1, 2, -1):  # failures, an import error raised by the mutant, a hang
        return "killed", last
    return "error", f"pytest exit {code}: {last}"  # 3-5: internal error, usage, nothing ran


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this mutant (repeatable)")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the tests on the unchanged copy first")  # fmt: skip
    args = parser.parse_args()
    chosen = by_name(args.only) if args.only else list(MUTANTS)
    if args.list:
        for m in chosen:
            print(f"{m.name:30} {m.file:32} {m.what}")
        print(f"{len(chosen)} mutants")
        return 0
    verdicts: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="mutants-cache-") as cache:
        if not args.no_baseline:
            tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
            with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as tmp:
                make_copy(Path(tmp))
                start = time.monotonic()
                code, last = run_tests(Path(tmp), tests, Path(cache))
            print(f"baseline ({time.monotonic() - start:.0f} s): {last}", flush=True)
            if code != 0:
                print("the tests fail without any mutant: fix that first")
                return 1
        for m in chosen:
            start = time.monotonic()
            verdict, detail = check(m, Path(cache))
            verdicts.setdefault(verdict, []).append(m.name)
            print(f"{verdict:8} {m.name:30} {time.monotonic() - start:5.0f} s  {detail}",
                  flush=True)  # fmt: skip
    summary = ", ".join(f"{len(names)} {verdict}" for verdict, names in verdicts.items())
    print(f"{len(chosen)} mutants: {summary}")
    bad = verdicts.get("SURVIVED", []) + verdicts.get("error", [])
    if bad:
        print("needs a test or a written reason (survivors) or a fixed entry (errors): "
              + ", ".join(bad))  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
