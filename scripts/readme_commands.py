#!/usr/bin/env python3
"""Nothing the README once showed is lost: list every command a README shows, and find each in
today's README.md or docs/*.md.

A command is
  - a line of a fenced code block (``` ... ```) that starts a program (`randrnn`, `python3`,
    `dask`, `openssl`, `chmod`, `scripts/...`, `/usr/bin/time`), its trailing `# comment` cut;
  - a line of a ```python block (blank and comment lines skipped);
  - an inline code span that starts a program (as above) with an argument, or with one of randrnn's subcommands (a word
    the same README writes after `randrnn `) and an option, e.g. `prune --dry-run`.
Whitespace is normalised on both sides (an inline span may wrap across lines); a command counts
as found where it occurs anywhere in the new text.

    python3 scripts/readme_commands.py              # the README of 74c761d (the last long one)
    python3 scripts/readme_commands.py --rev HEAD~3 # another revision's README
    python3 scripts/readme_commands.py --list       # print the commands, check nothing

Exit 0 when every command is found, 1 (and the missing ones, one a line) otherwise. Only git and
the standard library are needed. tests/test_readme_commands.py checks the list this script
made once from 74c761d's README (tests/data/readme_commands_v0.txt).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REV = "74c761d"  # the last commit before the README became a five-minute read
PROGRAMS = ("randrnn", "python3", "dask", "openssl", "chmod", "scripts/", "/usr/bin/time")
# Commands the rewrite changed on purpose: the old one counts as kept where the new one is shown.
REPLACED = {
    # the test command installs the `docs` extra too, so that the suite can build the site
    "python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 -e '.[test,graph]' && "
    ".venv/bin/python -m pytest": "python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 "
    "-e '.[test,graph,docs]' && .venv/bin/python -m pytest",
}
FENCE = re.compile(r"^```(\w*)\s*\n(.*?)^```", re.DOTALL | re.MULTILINE)
SPAN = re.compile(r"`([^`]+)`")


def normalise(text: str) -> str:
    """One space for every run of whitespace, none at the ends."""
    return " ".join(text.split())


def _code_line(line: str) -> str:
    """A shell line without its trailing comment (`  # ...`)."""
    return re.split(r"\s#\s", line, maxsplit=1)[0].strip()


def commands(readme: str) -> list[str]:
    """The commands ``readme`` shows, normalised, each once, in order of appearance."""
    found: list[str] = []
    for lang, body in FENCE.findall(readme):
        for line in body.splitlines():
            if lang == "python":
                if line.strip() and not line.strip().startswith("#"):
                    found.append(line.strip())
            elif lang in ("", "sh", "bash", "shell") and line.strip().startswith(PROGRAMS):
                found.append(_code_line(line))
    prose = FENCE.sub("", readme)
    subcommands = set(re.findall(r"\brandrnn ([a-z][a-z-]*)", readme))
    for span in SPAN.findall(prose):
        words = span.split()
        if not words:
            continue
        if (
            span.startswith(PROGRAMS)
            and len(words) > 1
            or words[0] in subcommands
            and any(w.startswith("--") for w in words[1:])
        ):
            found.append(span)
    unique: dict[str, None] = {}
    for command in found:
        unique.setdefault(normalise(command), None)
    return list(unique)


def docs_text(root: Path = ROOT) -> str:
    """README.md and every docs/*.md of ``root``, normalised into one string."""
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return normalise("\n".join(p.read_text(encoding="utf-8") for p in paths))


def missing(wanted: list[str], text: str) -> list[str]:
    """The commands of ``wanted`` that do not occur in ``text`` (normalised), nor their
    replacement (`REPLACED`)."""
    return [c for c in wanted if normalise(REPLACED.get(c, c)) not in text]


def readme_at(rev: str, root: Path = ROOT) -> str:
    """README.md as it was at git revision ``rev``."""
    done = subprocess.run(
        ["git", "-C", str(root), "show", f"{rev}:README.md"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"error: cannot read README.md at {rev}: {done.stderr.strip()}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default=DEFAULT_REV, help="git revision of the old README")
    parser.add_argument("--list", action="store_true", help="print its commands and stop")
    args = parser.parse_args(argv)
    wanted = commands(readme_at(args.rev))
    if args.list:
        print("\n".join(wanted))
        return 0
    lost = missing(wanted, docs_text())
    for command in lost:
        print(command)
    print(
        f"{len(wanted) - len(lost)} of {len(wanted)} commands of README.md at {args.rev} found",
        file=sys.stderr,
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
