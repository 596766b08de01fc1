"""Bad input on the command line: each mistake is one line naming it, exit code 1, and nothing
is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.errors import RandRNNError
from tests.analysis.conftest import make_study

FORMATS = "unknown format '{}'; known: table, markdown, csv, md"


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, RandRNNError), result.exception
    assert str(result.exception) == message


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small trained study (two cells, finished runs)."""
    path = tmp_path_factory.mktemp("bad") / "s"
    make_study(path)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], FORMATS.format("xlsx")),
        (["--format", "mdd"], FORMATS.format("mdd")),
        (["--config", "zzzz"], "unknown config 'zzzz'; configs with finished runs: "),
    ],
)
def test_results_bad_option(study: Path, args: list[str], message: str) -> None:
    """results --format or --config mistyped: one line."""
    result = invoke("results", "--study", study, *args)
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    assert str(result.exception).startswith(message) and "\n" not in str(result.exception)


def test_results_without_a_study(tmp_path: Path) -> None:
    """results on a folder that holds no study says how to make one, and makes nothing."""
    where = tmp_path / "none"
    one_line_error(
        invoke("results", "--study", where),
        f"no study at '{where}' (create one with: randrnn generate --study {where})",
    )
    assert not where.exists()


def test_results_out_is_a_folder(study: Path, tmp_path: Path) -> None:
    """results --out with a folder names the folder and suggests a file."""
    one_line_error(
        invoke("results", "--study", study, "--out", tmp_path),
        f"--out {tmp_path} is a folder; give a file name, e.g. {tmp_path / 'out.csv'}",
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.edges", None, "{path}: no such file"),
        ("g.gml", "graph [ ]", "{path}: unknown graph format '.gml'; known: .edges"),
        ("two.edges", "0 1\n1 x y z\n", "{path}: "),
    ],
)
def test_import_bad_file(tmp_path: Path, name: str, text: str | None, message: str) -> None:
    """import of a missing, unknown or unreadable file: one line naming it, no study made."""
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    result = invoke("import", path, "--study", tmp_path / "s")
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError)
    got = str(result.exception)
    assert got.startswith(message.format(path=path)) and "\n" not in got
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ("10-20", "node range must look like 10:50, got '10-20'"),
        ("a:b", "node range must look like 10:50, got 'a:b'"),
        ("20:10", "node range 20..10 is invalid: need 2 <= low <= high"),
        ("1:5", "node range 1..5 is invalid: need 2 <= low <= high"),
    ],
)
@pytest.mark.parametrize("command", ["generate", "bench"])
def test_bad_nodes(tmp_path: Path, command: str, nodes: str, message: str) -> None:
    """--nodes that is no range, or an impossible one: one line, before any work."""
    where = ["--study", tmp_path / "s"] if command == "generate" else ["--graphs", 1]
    one_line_error(invoke(command, "--nodes", nodes, *where), message)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("hidden", "message"),
    [
        ("a,b", "hidden sizes must look like 50,50,50, got 'a,b'"),
        ("50,,50", "hidden sizes must look like 50,50,50, got '50,,50'"),
        ("0,5", "hidden sizes must be at least 1, got '0,5'"),
    ],
)
def test_prune_bad_hidden(tmp_path: Path, hidden: str, message: str) -> None:
    """prune --hidden that is no list of positive sizes: one line, no study."""
    one_line_error(invoke("prune", "--hidden", hidden, "--study", tmp_path / "s"), message)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "--workers", "0"], "--workers must be at least 1, got 0"),
        (["bench", "--graphs", "0"], "--graphs must be at least 1, got 0"),
        (["prune", "--workers", "0"], "--workers must be at least 1, got 0"),
        (["prune", "--scope", "gobal"], "unknown scope 'gobal'; known: global, layer"),
        (["prune", "--target", "hh"], "unknown target 'hh'; known: i2h, h2h, both"),
        (["prune", "--cells", "gur"], "unknown cell 'gur'; known: rnn_tanh, rnn_relu, lstm, gru"),
        (["prune", "--method", "waea", "--alpha", "0.3,x"],
         "--alpha takes numbers in [0, 1] such as 0.3,0.9, got '0.3,x'"),
        (["prune", "--graphs", "3,x"], "--graphs takes 'all' or graph ids such as 3,7,12, got '3,x'"),
        (["prune", "--levels", "10:x"], ("bad levels '10:x': use start:stop:step (e.g. 10:100:10)"
                                         " or a comma list (e.g. 50,90) in percent")),
    ],
)  # fmt: skip
def test_bad_numbers_and_names(tmp_path: Path, args: list[str], message: str) -> None:
    """Workers, graph counts and registry names out of range: one line, nothing trained."""
    one_line_error(invoke(*args, "--study", tmp_path / "s") if args[0] == "prune"
                   else invoke(*args), message)  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_train_all_and_generate_refuse_zero_before_any_output(study: Path, tmp_path: Path) -> None:
    """train-all --workers 0 and generate --n 0: the one line, with no progress shown first."""
    result = invoke("train-all", "--study", study, "--workers", 0)
    one_line_error(result, "--workers must be at least 1, got 0")
    assert result.output == ""
    result = invoke("generate", "--n", 0, "--study", tmp_path / "new")
    one_line_error(result, "--n must be at least 1, got 0")
    assert result.output == "" and not (tmp_path / "new").exists()


STUDY_FILE = '[study]\ndir = "{dir}"\n\n[generate]\nn = 2\nnodes = "10:12"\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "reprot"], ("unknown stage 'reprot'; known: dataset, generate, "
                                "train-all, correlate, predict, prune, report")),
        (["--set", "generate.m=3"], "{file}: unknown key 'm' in [generate]; known: "),
        (["--set", "generat.n=3"], "{file}: unknown section 'generat'; known: study, dataset"),
        (["--set", "n=3"], "override 'n' must look like stage.key=value"),
        (["--set", "generate.n"], "--set expects stage.key=value, got 'generate.n'"),
    ],
)  # fmt: skip
def test_run_bad_only_and_set(tmp_path: Path, args: list[str], message: str) -> None:
    """run --only and --set with a typo: one line naming it; nothing runs or is created."""
    file = tmp_path / "s.toml"
    file.write_text(STUDY_FILE.format(dir=tmp_path / "study"))
    result = invoke("run", file, *args, "--dry-run")
    assert result.exit_code == 1 and isinstance(result.exception, RandRNNError), result.output
    got = str(result.exception)
    assert got.startswith(message.format(file=file)) and "\n" not in got
    assert not (tmp_path / "study").exists()
