"""Nothing the long README showed is lost: every command of 74c761d's README is shown in today's
README.md or docs/ (scripts/readme_commands.py), and the README stays a five-minute read."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LISTED = ROOT / "tests" / "data" / "readme_commands_v0.txt"


def _script():
    spec = importlib.util.spec_from_file_location(
        "readme_commands", ROOT / "scripts" / "readme_commands.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rc = _script()


def test_every_command_of_the_old_readme_is_still_shown():
    wanted = LISTED.read_text(encoding="utf-8").splitlines()
    assert len(wanted) > 40  # the old README showed 56: a truncated list would prove nothing
    assert rc.missing(wanted, rc.docs_text()) == []


def test_the_list_is_what_the_script_reads_from_the_old_readme():
    """The committed list is the script's reading of 74c761d's README (where history exists)."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rc.DEFAULT_REV}:README.md"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"no git history with {rc.DEFAULT_REV} here")
    assert rc.commands(done.stdout) == LISTED.read_text(encoding="utf-8").splitlines()


SAMPLE = """# tool

```
randrnn generate --n 10      # ten graphs
python3 -m venv .venv && .venv/bin/pip install -e .
echo not a command
```

```yaml
randrnn: not a shell line
```

```python
from randrnn import fit
# a comment

model = fit(x)
```

Run `randrnn train-all --epochs
1` first, then `randrnn prune`, or `prune --dry-run` to plan; `prune` alone and `--wide` are
not commands, nor is `randrnn` alone, nor `bench --epochs 2` (never written after `randrnn`).
"""


def test_commands_are_read_from_code_blocks_and_spans():
    assert rc.commands(SAMPLE) == [
        "randrnn generate --n 10",
        "python3 -m venv .venv && .venv/bin/pip install -e .",
        "from randrnn import fit",
        "model = fit(x)",
        "randrnn train-all --epochs 1",
        "randrnn prune",
        "prune --dry-run",
    ]


def test_a_command_is_found_across_line_breaks_and_missed_when_absent():
    text = rc.normalise("see `randrnn train-all\n   --epochs 1` and\n`prune --dry-run`")
    assert rc.missing(["randrnn train-all --epochs 1", "prune --dry-run"], text) == []
    assert rc.missing(["randrnn generate --n 10", "prune --dry-run"], text) == [
        "randrnn generate --n 10"
    ]


def test_a_replaced_command_counts_only_through_its_replacement():
    old, new = next(iter(rc.REPLACED.items()))
    assert rc.missing([old], rc.normalise(new)) == []
    assert rc.missing([old], rc.normalise(old)) == [old]


def _readme_commands() -> list[str]:
    block = re.search(r"## Set-up: two commands.*?```\n(.*?)```", README, re.DOTALL).group(1)
    return block.strip().splitlines()


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_five_minute_read():
    assert len(README.splitlines()) <= 150


def test_ci_runs_the_readme_test_command():
    """.ci/run runs the README's second set-up command, with pip told to be quiet."""
    _install, test = _readme_commands()
    assert "'.[test,graph,docs]'" in test and test.endswith(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in [line.replace("pip install -q ", "pip install ") for line in ci]
