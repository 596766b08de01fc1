"""The `randrnn predict` invocations whose output is kept in this folder, and how to make them.

The golden files were written by ``python -m tests.analysis.golden.cases`` at commit 6cec3a1
(before `predict` was refactored to parse and check its options once, issue 28), so
`tests/analysis/test_predict_golden.py` checks that the refactored command prints, byte for byte,
what the old one printed: CSV (every number to 6 significant digits) and Markdown (the tables
and the legend). The two ``wl_kernel`` files alone were written again after the WL grid gained the label
histogram alone (round 0, issue 26 §5), which moves its numbers and nothing else (its Dummy rows
are as at 6cec3a1). The tables come from small deterministic studies and CSVs built here (the
conftest's `make_study`, seeded), so the files only change when `predict`'s output does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pandas as pd

HERE = Path(__file__).parent
QUICK = ("--cv", "3", "--repeats", "2")
# name → arguments after "predict" ({study}, {replicated}, {csv}, {graph} are filled in).
CASES: dict[str, tuple[str, ...]] = {
    "cv_all": ("--study", "{study}", *QUICK),
    "default_folds_gru": ("--study", "{study}", "--cells", "gru", "--repeats", "1",
                          "--regressor", "bayesian_ridge,dummy"),
    "thesis": ("--study", "{study}", "--protocol", "thesis"),
    "features": ("--study", "{study}", *QUICK, "--features", "nodes,edges,source_nodes",
                 "--regressor", "bayesian_ridge,random_forest,dummy"),
    "feature_set": ("--study", "{study}", *QUICK, "--feature-set", "nodes-edges",
                    "--regressor", "adaboost,dummy"),
    "replicated_mean": ("--study", "{replicated}", *QUICK, "--regressor", "random_forest,dummy"),
    "per_run": ("--study", "{replicated}", *QUICK, "--per-run",
                "--regressor", "bayesian_ridge,gradient_boosting,dummy"),
    "per_run_thesis": ("--study", "{replicated}", "--per-run", "--protocol", "thesis",
                       "--regressor", "all"),
    "wl_kernel": ("--study", "{study}", "--cv", "3", "--repeats", "1",
                  "--regressor", "wl_kernel,dummy"),
    "graph_file": ("--study", "{study}", *QUICK, "--graph-file", "{graph}",
                   "--regressor", "random_forest,bayesian_ridge"),
    "importance": ("--study", "{study}", "--cv", "3", "--importance",
                   "--regressor", "random_forest,bayesian_ridge"),
    "pruning_target_csv": ("--from", "{csv}", *QUICK, "--target", "safe_level_magnitude",
                           "--regressor", "bayesian_ridge,dummy"),
}  # fmt: skip
# Cases also kept as Markdown (the views and the legend, not only the numbers).
MARKDOWN = ("default_folds_gru", "thesis", "per_run", "graph_file", "wl_kernel")
# name → arguments that must fail, and the message is kept (the first line of stderr).
ERRORS: dict[str, tuple[str, ...]] = {
    "pruning_target_missing": ("--study", "{study}", "--target", "safe_level"),
    "unknown_target": ("--study", "{study}", "--target", "nope"),
    "unknown_regressor": ("--study", "{study}", "--regressor", "bayesian_ridge,nope"),
    "thesis_graph_reader": ("--study", "{study}", "--protocol", "thesis",
                            "--regressor", "wl_kernel"),
    "unknown_feature": ("--study", "{study}", "--features", "nodes,nope"),
}  # fmt: skip


def inputs(folder: Path) -> dict[str, str]:
    """The studies, the CSV and the graph file the cases read, made in ``folder``."""
    sys.path.insert(0, str(HERE.parents[2]))
    from tests.analysis.conftest import make_study

    study = make_study(folder / "study")
    replicated = make_study(folder / "replicated", replicates=2)
    from randrnn.analysis import table

    rows = table.load(study, per_run=True)
    rows = rows.assign(safe_level_magnitude=0.1 * rows["source_nodes"] + 0.01 * rows["graph_id"])
    csv = folder / "pruned.csv"
    rows.to_csv(csv, index=False)
    graph = folder / "new.edgelist"
    nx.write_edgelist(nx.barabasi_albert_graph(18, 2, seed=5), graph, data=False)
    return {"study": str(study), "replicated": str(replicated), "csv": str(csv),
            "graph": str(graph)}  # fmt: skip


def invoke(args: tuple[str, ...], where: dict[str, str]) -> tuple[int, str]:
    """(exit code, stdout or the error message) of ``randrnn predict ARGS``."""
    from typer.testing import CliRunner

    from randrnn.cli import app
    from randrnn.errors import RandRNNError

    filled = ["predict", *(a.format(**where) for a in args)]
    try:
        result = CliRunner().invoke(app, filled, catch_exceptions=False)
    except RandRNNError as exc:
        return 1, str(exc).replace(where["study"], "{study}") + "\n"
    return result.exit_code, result.output


def outputs(folder: Path) -> dict[str, str]:
    """File name → text of every case, format and error."""
    where = inputs(folder)
    out = {}
    for name, args in CASES.items():
        for fmt in ("csv", "markdown") if name in MARKDOWN else ("csv",):
            code, text = invoke((*args, "--format", fmt), where)
            if code != 0:
                raise AssertionError(f"{name}: exit {code}: {text}")
            for key, path in where.items():
                text = text.replace(path, "{" + key + "}")
            out[f"{name}.{'md' if fmt == 'markdown' else fmt}"] = text
    for name, args in ERRORS.items():
        code, text = invoke(args, where)
        if code == 0:
            raise AssertionError(f"{name}: no error")
        out[f"{name}.err"] = text
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for file, text in outputs(Path(tmp)).items():
            (HERE / file).write_text(text)
            print(file, len(text))
    pd.set_option("display.width", 200)
