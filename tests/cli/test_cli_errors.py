"""Errors that point the right way: a file given as --study, graph errors naming their file,
and one warning per disconnected graph."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from randrnn.cli import app, main
from randrnn.errors import RandRNNError


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", ["results", "correlate", "prune-results", "train-all"])
def test_a_file_as_study_says_it_is_a_file(tmp_path: Path, command: str) -> None:
    """--study results.csv: one line saying the path is a file, nothing suggested or created."""
    path = tmp_path / "results.csv"
    path.write_text("graph_id,test_acc\n")
    result = invoke(command, "--study", path)
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert str(result.exception) == (
        f"--study {path} is a file; give the study's folder (the one holding study.sqlite)"
    )
    assert path.read_text() == "graph_id,test_acc\n"


BAD_GRAPHS = {  # file → (content, what the error says, read as directed)
    "one.edges": ("0\n", "graph has 1 node(s)", False),
    "loop.edges": ("0 0\n0 1\n1 2\n", "self-loop at node 0", False),
    "cycle.edges": ("0 1\n1 2\n2 0\n", "cycle: 0 -> 1 -> 2 -> 0", True),
    "broken.graphml": ("<graphml><graph", "cannot read graphml", False),
}


@pytest.mark.parametrize("name", sorted(BAD_GRAPHS))
@pytest.mark.parametrize("command", ["graph-info", "import"])
def test_every_graph_error_names_its_file(tmp_path: Path, name: str, command: str) -> None:
    """A bad file among good ones: the one error line starts with that file; import writes
    no study."""
    text, reason, directed = BAD_GRAPHS[name]
    good, bad = tmp_path / "good.edges", tmp_path / name
    good.write_text("0 1\n1 2\n")
    bad.write_text(text)
    args = [command, good, bad, "--directed" if directed else "--undirected"]
    if command == "import":
        args += ["--study", tmp_path / "s"]
    result = invoke(*args)
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError), result.output
    message = str(result.exception)
    assert message.startswith(f"{bad}: ") and reason in message and "\n" not in message
    assert not (tmp_path / "s").exists()


def disconnected(tmp_path: Path) -> tuple[Path, nx.Graph]:
    """A triangle, a separate edge and two isolated nodes, as GraphML."""
    g = nx.Graph([(0, 1), (1, 2), (2, 0), (3, 4)])
    g.add_nodes_from([5, 6])
    path = tmp_path / "parts.graphml"
    nx.write_graphml(g, path)
    return path, g


@pytest.mark.parametrize("command", ["graph-info", "import"])
def test_a_disconnected_graph_gets_one_warning(tmp_path: Path, command: str) -> None:
    """One stderr line per disconnected graph: components, isolated nodes and the largest
    component's size (checked with networkx); none for a connected graph."""
    path, g = disconnected(tmp_path)
    ring = tmp_path / "ring.edges"
    nx.write_edgelist(nx.cycle_graph(5), ring, data=False)
    args = [command, path, ring] + (["--study", tmp_path / "s"] if command == "import" else [])
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    largest = max(len(c) for c in nx.connected_components(g))
    expected = (
        f"warning: {path}: {nx.number_connected_components(g)} connected components "
        f"({nx.number_of_isolates(g)} isolated node(s)); diameter, "
        f"average_shortest_path_length and eccentricity are measured on the largest "
        f"({largest} of {g.number_of_nodes()} nodes)"
    )
    assert warnings == [expected]


def test_graph_info_shows_the_component_count(tmp_path: Path) -> None:
    """The connected_components row says how many parts the graph has."""
    path, g = disconnected(tmp_path)
    lines = invoke("graph-info", path).stdout.splitlines()
    row = next(line for line in lines if "connected_components" in line)
    assert row.replace("│", " ").split()[:2] == ["connected_components", "4"]
    assert nx.number_connected_components(g) == 4


def test_error_text_in_brackets_is_printed_as_text(tmp_path, monkeypatch, capsys) -> None:
    """An error naming a study-file stage ('[train-all]') keeps its brackets: no markup."""
    path = tmp_path / "s.toml"
    path.write_text('[generate]\nn = 2\n\n[train-all]\nbatching = "sorted"\n')
    monkeypatch.setattr(sys, "argv", ["randrnn", "run", str(path), "--dry-run"])
    with pytest.raises(SystemExit) as info:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 1
    assert "[train-all] batching: unknown batching 'sorted'" in err
