"""`randrnn generate --param`: generator parameters set from the command line and study files,
recorded with every graph, and never mixed within a study."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from randrnn import studyfile
from randrnn.cli import app, main
from randrnn.cli.study import VALIDATORS, commands
from randrnn.graphs import to_dag
from randrnn.graphs.io import to_json
from randrnn.pipeline import generate_into
from randrnn.store import Study


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the real entry point: (exit code, stderr with rich's line wrapping undone)."""

    def call(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["randrnn", *args])
        with pytest.raises(SystemExit) as info:
            main()
        return info.value.code, " ".join(capsys.readouterr().err.split())

    return call


def ba_graphs(path: Path) -> list[dict]:
    with Study.open(path) as study:
        return [g for g in study.graphs() if g["generator"] == "ba"]


def test_default_ba_graphs_are_thesis_graphs(tmp_path: Path) -> None:
    """Without --param, BA graphs are grown from m isolated nodes: m sources each."""
    result = run("generate", "--n", "6", "--nodes", "20:40", "--study", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    graphs = ba_graphs(tmp_path / "s")
    assert len(graphs) == 3
    for g in graphs:
        assert g["params"]["seed_graph"] == "isolated"
        dag = to_dag(g["graph"])
        assert sum(d == 0 for _, d in dag.in_degree()) == g["params"]["m"]
        assert g["properties"]["source_nodes"] == g["params"]["m"]


def test_param_sets_the_star_seed_graph_and_records_it(tmp_path: Path) -> None:
    """--param ba.seed_graph=star gives networkx' graphs, recorded with each graph."""
    study = tmp_path / "s"
    result = run("generate", "--n", "4", "--param", "ba.seed_graph=star", "--study", str(study))
    assert result.exit_code == 0, result.output
    for g in ba_graphs(study):
        p = g["params"]
        assert p["seed_graph"] == "star"
        want = nx.barabasi_albert_graph(p["n"], p["m"], seed=g["seed"])
        assert set(map(frozenset, g["graph"].edges)) == set(map(frozenset, want.edges))
        assert g["properties"]["source_nodes"] == 1


def test_extending_with_other_params_fails_in_one_line(tmp_path: Path, cli) -> None:
    """A study is not extended with graphs made with other generator parameters."""
    study = tmp_path / "s"
    assert run("generate", "--n", "2", "--study", str(study)).exit_code == 0
    code, err = cli("generate", "--n", "4", "--param", "ba.seed_graph=star", "--study", str(study))
    assert code == 1
    assert "this study's ba graphs were generated with seed_graph=isolated, not star" in err
    with Study.open(study) as st:
        assert st.graph_count() == 2
    again = run("generate", "--n", "4", "--param", "ba.seed_graph=isolated", "--study", str(study))
    assert again.exit_code == 0, again.output


def test_study_made_before_seed_graph_is_extended_only_with_star(tmp_path: Path, cli) -> None:
    """Graphs stored without seed_graph were grown from a star: extending such a study with
    the new default fails, and --param ba.seed_graph=star continues it."""
    path = tmp_path / "old"
    with Study.create(path) as study:
        g = nx.barabasi_albert_graph(20, 2, seed=3)
        study.add_graphs(
            [
                {
                    "generator": "ba",
                    "params": {"n": 20, "m": 2, "index": 0},
                    "seed": 3,
                    "graph": to_json(g),
                }
            ]
        )
        study.set_meta("seed", 0)
        study.set_meta("generators", ["ba"])
        study.set_meta("nodes", [10, 50])
    code, err = cli("generate", "--n", "3", "--generators", "ba", "--study", str(path))
    assert code == 1
    assert "generated with seed_graph=star, not isolated" in err
    with Study.open(path) as study:
        generate_into(study, 3, 0, ("ba",), params={"ba": {"seed_graph": "star"}})
        assert [g["params"].get("seed_graph") for g in study.graphs()] == [None, "star", "star"]


def test_bad_param_is_one_line_and_exit_1(tmp_path: Path, cli) -> None:
    """An unknown seed graph or a malformed --param stops before anything is written."""
    study = tmp_path / "s"
    code, err = cli("generate", "--n", "2", "--param", "ba.seed_graph=ring", "--study", str(study))
    assert code == 1
    assert "unknown ba seed_graph 'ring'; known: isolated, star" in err
    code, err = cli("generate", "--n", "2", "--param", "seed_graph", "--study", str(study))
    assert code == 1
    assert "must look like generator.name=value" in err
    assert not study.exists()


def test_study_file_sets_param(tmp_path: Path) -> None:
    """A study file's [generate] param (a list joins with commas) reaches the command."""
    path = tmp_path / "s.toml"
    path.write_text('[generate]\nn = 2\nparam = ["ba.seed_graph=star", "ws.p=0.5"]\n')
    sf = studyfile.load(path, commands(), None, VALIDATORS)
    assert sf.steps[0].args[sf.steps[0].args.index("--param") + 1] == (
        "ba.seed_graph=star,ws.p=0.5"
    )


def test_an_override_that_agrees_with_the_stored_graphs_still_changes_the_rule(
    tmp_path: Path, cli
) -> None:
    """ba.m=M where every stored BA graph happens to have n//10 = M is refused: new graphs
    would use a fixed m while the study's grew with n//10."""
    study = tmp_path / "s"
    # seed 2 draws n = 39 and 37 from 30..45, so both graphs have m = 3 by chance
    assert run("generate", "--n", "2", "--seed", "2", "--generators", "ba", "--nodes", "30:45",
               "--study", str(study)).exit_code == 0  # fmt: skip
    assert {g["params"]["m"] for g in ba_graphs(study)} == {3}
    code, err = cli("generate", "--n", "4", "--seed", "2", "--generators", "ba", "--nodes",
                    "30:45", "--param", "ba.m=3", "--study", str(study))  # fmt: skip
    assert code == 1
    assert "this study was generated with no --param, not --param ba.m=3" in err
    assert len(ba_graphs(study)) == 2


def test_an_override_that_disagrees_with_some_graph_names_no_misleading_value(
    tmp_path: Path, cli
) -> None:
    """With m varying across the stored graphs, the error does not suggest one graph's m."""
    study = tmp_path / "s"
    assert run("generate", "--n", "6", "--generators", "ba", "--study", str(study)).exit_code == 0
    ms = sorted({g["params"]["m"] for g in ba_graphs(study)})
    assert len(ms) > 1
    code, err = cli("generate", "--n", "8", "--generators", "ba", "--param", f"ba.m={ms[0]}",
                    "--study", str(study))  # fmt: skip
    assert code == 1
    assert "generate with the study's own parameters" in err and "pass --param" not in err


def test_param_for_an_unused_generator_is_an_error(tmp_path: Path, cli) -> None:
    """--param er.p=… with generators ws, ba would be ignored: it is one line and exit 1."""
    study = tmp_path / "s"
    code, err = cli("generate", "--n", "2", "--param", "er.p=0.9", "--study", str(study))
    assert code == 1
    assert err == "error: --param er.*: er is not among the generators (ws, ba)"
    assert not study.exists()


def test_bad_param_value_prints_only_the_error(tmp_path: Path, monkeypatch, capsys) -> None:
    """A bad value is found before the progress bar starts: stdout stays empty."""
    monkeypatch.setattr(sys, "argv", ["randrnn", "generate", "--n", "2", "--param",
                                      "ba.seed_graph=ring", "--study", str(tmp_path / "s")])  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    assert info.value.code == 1 and out.out == ""
    assert out.err.count("\n") == 1 and "unknown ba seed_graph 'ring'" in out.err
