"""Text printed by the CLI is printed as written: ":name:" is not turned into an emoji."""

from __future__ import annotations

import pandas as pd

from randrnn.cli import console, err_console
from randrnn.cli.output import View, render_text

COMMAND = "randrnn prune --levels 10:100:10 --target both"


def test_the_consoles_keep_colon_words() -> None:
    for each in (console, err_console):
        with each.capture() as captured:
            each.print(COMMAND)
        assert COMMAND in captured.get()


def test_written_tables_keep_colon_words() -> None:
    view = View(title="plan", frame=pd.DataFrame({"command": [COMMAND]}), text=("command",))
    assert COMMAND in render_text([view])
