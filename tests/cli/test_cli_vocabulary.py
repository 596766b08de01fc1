"""One vocabulary across commands: option names, formats, --out, --directed and the help."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
import typer.rich_utils
from typer.main import get_command
from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.store import Study
from tests.analysis.conftest import make_study

COMMANDS = get_command(app).commands
FORMAT_ERROR = "unknown format 'pdf'; known: table, markdown, csv, md"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_study(tmp_path_factory.mktemp("vocabulary") / "study")


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def visible(command: str) -> set[str]:
    """The option names a command's --help shows."""
    return {
        opt
        for p in COMMANDS[command].params
        if not getattr(p, "hidden", False)
        for opt in [*p.opts, *p.secondary_opts]
    }


def test_one_name_for_cells_and_three_for_graphs() -> None:
    """Every command that picks cell types says --cells (a comma list); --graph means nothing:
    predict reads --graph-file, prune --graphs (all or ids), bench --graph-files."""
    for command in ("train-all", "bench", "correlate", "predict", "prune"):
        assert "--cells" in visible(command), command
    for command in COMMANDS:
        assert not {"--cell", "--graph"} & visible(command), command
    assert "--graph-file" in visible("predict")
    assert "--graphs" in visible("prune")
    assert "--graph-files" in visible("bench")


def test_the_former_cell_option_still_works(study: Path) -> None:
    """--cell is kept, hidden, as another spelling of --cells."""
    args = ("correlate", "--study", study, "--bootstrap", "0", "--format", "csv")
    old, new = invoke(*args, "--cell", "gru"), invoke(*args, "--cells", "gru")
    assert old.exit_code == 0 and old.output == new.output
    assert {line.split(",")[0] for line in new.output.splitlines()[1:]} == {"gru"}


def test_cells_takes_a_list(study: Path) -> None:
    """--cells gru,rnn_tanh keeps both cells; a cell without runs is one line."""
    args = ("correlate", "--study", study, "--bootstrap", "0", "--format", "csv")
    both = invoke(*args, "--cells", "gru,RNN_Tanh").output.splitlines()[1:]
    assert {line.split(",")[0] for line in both} == {"gru", "rnn_tanh"}
    result = invoke(*args, "--cells", "gru,lstm")
    assert result.exit_code == 1
    assert str(result.exception) == "no rows for cell 'lstm' (cells present: rnn_tanh, gru)"


@pytest.mark.parametrize(
    "args",
    [
        ("results",),
        ("correlate", "--bootstrap", "0"),
        ("predict", "--regressor", "dummy", "--cv", "3", "--repeats", "1"),
    ],
)
def test_md_is_markdown_and_a_wrong_format_is_one_line(study: Path, args: tuple) -> None:
    """--format md prints what --format markdown prints; --format pdf is one error line."""
    common = (*args, "--study", study)
    md, markdown = invoke(*common, "--format", "md"), invoke(*common, "--format", "markdown")
    assert (
        md.exit_code == 0
        and md.output == markdown.output
        and re.search(r"^\|:?-{3,}:?\|", md.output, re.MULTILINE)
    )
    bad = invoke(*common, "--format", "PDF".lower())
    assert bad.exit_code == 1 and isinstance(bad.exception, RandRNNError)
    assert str(bad.exception) == FORMAT_ERROR


def test_prune_results_format_error_is_the_same(tmp_path: Path) -> None:
    """prune-results checks --format the same way, before opening the study."""
    bad = invoke("prune-results", "--study", tmp_path / "none", "--format", "pdf")
    assert bad.exit_code == 1 and str(bad.exception) == FORMAT_ERROR


def test_out_is_a_file_for_tables(study: Path, tmp_path: Path) -> None:
    """results, correlate, predict and prune-results refuse a folder for --out, in one line."""
    for args in (("results",), ("correlate", "--bootstrap", "0"), ("prune-results",)):
        result = invoke(*args, "--study", study, "--out", tmp_path)
        assert result.exit_code == 1, args
        assert str(result.exception) == (
            f"--out {tmp_path} is a folder; give a file name, e.g. {tmp_path / 'out.csv'}"
        )
    atlas = invoke("atlas", "info", "--out", tmp_path)  # checked before the atlas is read
    assert atlas.exit_code == 1 and str(atlas.exception).startswith(f"--out {tmp_path} is a folder")
    written = tmp_path / "runs.md"
    assert invoke("results", "--study", study, "--format", "md", "--out", written).exit_code == 0
    assert written.read_text().startswith("### finished runs of")


def _leaves(group, prefix: str = ""):
    """(name, command) of every command, those of groups (``atlas info``) included."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaves(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_table_commands_share_the_format_and_out_options() -> None:
    """Every command that prints a table (a --format, default table) declares --format and its
    file --out with the shared options (`output.FormatOpt`, `options.OutFileOpt`)."""
    from randrnn.cli.options import OutFileOpt
    from randrnn.cli.output import FormatOpt

    shared = {"fmt": FormatOpt.__metadata__[0].help, "out": OutFileOpt.__metadata__[0].help}
    tables = []
    for name, command in _leaves(get_command(app)):
        params = {p.name: p for p in command.params}
        if "fmt" not in params or params["fmt"].default != "table":
            continue
        tables.append(name)
        for key, text in shared.items():
            assert key in params and params[key].help == text, (name, key)
    assert {"atlas info", "atlas query", "correlate", "compare"} <= set(tables)


def test_out_is_a_folder_for_report_and_dataset(study: Path, tmp_path: Path) -> None:
    """report and dataset refuse an existing file for --out, in one line, writing nothing."""
    file = tmp_path / "taken.txt"
    file.write_text("x")
    for args in (("report", "--study", study), ("dataset", "--n", "40")):
        result = invoke(*args, "--out", file)
        assert result.exit_code == 1, args
        assert str(result.exception) == (
            f"--out {file} is a file; give a folder (it is created if missing)"
        )
    assert file.read_text() == "x"


def test_import_and_graph_info_share_the_directed_flag(tmp_path: Path) -> None:
    """Both take --directed/--undirected; --directed keeps an edge list's direction, and
    --undirected reads a directed GraphML file as undirected."""
    flags = {c: [(p.opts, p.secondary_opts) for p in COMMANDS[c].params if p.name == "directed"]
             for c in ("import", "graph-info")}  # fmt: skip
    assert flags["import"] == flags["graph-info"] == [(["--directed"], ["--undirected"])]
    edges = tmp_path / "chain.edges"
    edges.write_text("2 1\n1 0\n")
    assert invoke("import", edges, "--directed", "--study", tmp_path / "s").exit_code == 0
    with Study.open(tmp_path / "s") as st:
        (record,) = st.graphs()
    assert record["graph"].is_directed() and set(record["graph"].edges) == {(2, 1), (1, 0)}
    graphml = tmp_path / "d.graphml"
    nx.write_graphml(nx.DiGraph([(0, 1), (1, 2)]), graphml)
    as_given, undirected = (
        invoke("graph-info", graphml),
        invoke("graph-info", graphml, "--undirected"),
    )
    assert re.search(r"directed[\s│]+yes", as_given.output)
    assert re.search(r"directed[\s│]+no", undirected.output)


def test_help_shows_every_help_text_and_no_type_tag_on_flags(monkeypatch) -> None:
    """Each option's help text survives rich markup whole (run's 'study.dir' included), and
    no flag carries a <bool> tag."""
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 400)  # one line per option
    for name, command in COMMANDS.items():
        out = invoke(name, "--help").output
        assert "<bool>" not in out, name
        text = " ".join(out.split())
        for param in command.params:
            if param.help and not getattr(param, "hidden", False):
                assert " ".join(param.help.split()) in text, (name, param.name)
    assert "instead of the file's study.dir" in invoke("run", "--help").output
    assert "<bool>" not in invoke("--help").output


def test_compare_speaks_the_same_formats(tmp_path: Path) -> None:
    """compare takes --format like the others (--markdown, its former flag, is markdown)."""
    a = make_study(tmp_path / "a", n_graphs=8)
    b = make_study(tmp_path / "b", n_graphs=8, seed=1)
    md, old = invoke("compare", a, b, "--format", "md"), invoke("compare", a, b, "--markdown")
    assert (
        md.exit_code == 0
        and md.output == old.output
        and re.search(r"^\| +cell +\|", md.output, re.MULTILINE)
    )
    csv = invoke("compare", a, b, "--format", "csv").output.splitlines()
    assert csv[0].startswith("cell,") and len(csv) == 3  # header and one row per cell
    bad = invoke("compare", a, b, "--format", "pdf")
    assert bad.exit_code == 1 and str(bad.exception) == FORMAT_ERROR
