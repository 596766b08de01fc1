"""Start-up: `--help`, every `COMMAND --help` and argument errors load no heavy library.

Checked by the modules present in a fresh interpreter after the command ran (not by a clock):
torch alone takes about a second to import.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "sklearn", "dask", "distributed", "matplotlib", "seaborn", "scipy", "pandas")

SCRIPT = """
import json, sys
from typer.main import get_command
from typer.testing import CliRunner
from randrnn.cli import app

runner = CliRunner()
commands = sorted(get_command(app).commands)
calls = [["--help"], *([c, "--help"] for c in commands),
         ["train-all", "--epochs", "many"], ["predict", "--format", "pdf"],
         ["prune", "--no-such-option"], ["run"], []]
codes = [runner.invoke(app, args).exit_code for args in calls]
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"commands": commands, "codes": codes, "heavy": heavy}))
"""


def _run() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_and_argument_errors_import_no_heavy_library() -> None:
    """After every --help and four argument errors (an unknown --format among them), none of torch, scikit-learn, Dask,
    matplotlib, seaborn, scipy or pandas is in sys.modules."""
    result = _run()
    assert len(result["commands"]) >= 14
    help_codes, error_codes = result["codes"][: 1 + len(result["commands"])], result["codes"][-5:]
    assert help_codes == [0] * len(help_codes)
    assert error_codes[:4] == [2, 1, 2, 2]  # click's usage errors; an unknown format is ours
    assert result["heavy"] == []


def test_the_check_sees_a_heavy_import() -> None:
    """The module check itself works: importing the analysis does load pandas and scipy."""
    code = "import sys, randrnn.analysis.correlate; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "'pandas'" in out.stdout and "'scipy'" in out.stdout
