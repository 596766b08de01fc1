"""The `randrnn graph-info` command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from randrnn.cli import app


def test_graph_info_prints_properties(tmp_path: Path) -> None:
    """graph-info prints layers and the thesis features of each file."""
    path = tmp_path / "g.edges"
    path.write_text("0 1\n1 2\n0 2\n0 3\n")
    result = CliRunner().invoke(app, ["graph-info", str(path)])
    assert result.exit_code == 0, result.output
    for word in ("layer sizes", "1 2 1", "source_nodes", "edge_betweenness_std", "params_gru"):
        assert word in result.output
