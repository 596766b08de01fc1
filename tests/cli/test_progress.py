"""Progress where output is not a terminal: plain lines with done/total, rate and ETA."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from randrnn import reber
from randrnn.callbacks import Progress
from randrnn.cli import app
from randrnn.cli.progress import ProgressDisplay, plain_line


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _plain(every: float = 60.0) -> tuple[ProgressDisplay, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=False, width=200)
    return ProgressDisplay(console, every=every, clock=clock), out, clock


def test_plain_lines_at_the_start_every_five_percent_and_at_the_end() -> None:
    """1000 units one by one: a line at 0, at every 5 % passed (50, 100, ...) and at 1000."""
    display, out, clock = _plain(every=1e9)
    with display:
        for done in range(1001):
            clock.now = done / 10  # 10 units a second
            display.show(Progress(done, 1000, "models"))
    lines = out.getvalue().splitlines()
    assert [int(re.match(r"models (\d+)/1000", line)[1]) for line in lines] == list(
        range(0, 1001, 50)
    )
    assert lines[1] == "models 50/1000 (5%) · 10.00/s · elapsed 0:00:05 · eta 0:01:35"


def test_plain_lines_every_minute_when_work_is_slow() -> None:
    """Less than 5 % a minute: a line each minute in which something finished, none else."""
    display, out, clock = _plain()
    display.show(Progress(0, 1000, "levels"))
    for minute in range(1, 4):
        clock.now = 60.0 * minute
        display.show(Progress(minute, 1000, "levels"))
        clock.now += 30
        display.show(Progress(minute, 1000, "levels"))  # nothing new: no line
    lines = out.getvalue().splitlines()
    assert [line.split(" · ")[0] for line in lines] == [
        "levels 0/1000 (0%)", "levels 1/1000 (0%)", "levels 2/1000 (0%)", "levels 3/1000 (0%)",
    ]  # fmt: skip
    assert lines[-1].split(" · ")[1:] == ["1.00/min", "elapsed 0:03:00", "eta 16:37:00"]


def test_plain_line_shows_what_finished_last_and_an_unknown_total() -> None:
    """``current`` is appended; a total not known yet shows as '?' with no ETA."""
    assert plain_line(Progress(3, None, "models", "graph 2 gru: acc 0.912"), 3, 6.0) == (
        "models 3/? · 30.00/min · elapsed 0:00:06 · graph 2 gru: acc 0.912"
    )


def test_train_all_and_generate_print_plain_progress_lines_when_not_a_terminal(
    tmp_path: Path,
) -> None:
    """CliRunner's output is no terminal: generate and train-all print done/total lines."""
    data = tmp_path / "data"
    reber.write_dataset(*reber.make_dataset(n=200, seed=3, test_fraction=0.25), data)
    runner, study = CliRunner(), str(tmp_path / "s")
    result = runner.invoke(app, ["generate", "--n", "3", "--nodes", "10:12", "--study", study])
    assert result.exit_code == 0, result.output
    assert "graphs 0/3 (0%)" in result.output and "graphs 3/3 (100%)" in result.output
    result = runner.invoke(app, ["train-all", "--study", study, "--cells", "gru", "--epochs", "1",
                                 "--data", str(data), "--chunk", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("models ")]
    assert [line.split(" · ")[0] for line in lines] == [
        "models 0/3 (0%)", "models 1/3 (33%)", "models 2/3 (67%)", "models 3/3 (100%)"
    ]  # fmt: skip
    assert re.search(r" · eta \d+:\d\d:\d\d · graph \d gru: acc 0\.\d{3}$", lines[-1])


def test_prune_prints_plain_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    """prune prints its two stages, base models and levels, with done/total."""
    data = tmp_path / "data"
    reber.write_dataset(*reber.make_dataset(n=300, seed=3, test_fraction=0.25), data)
    result = CliRunner().invoke(app, ["prune", "--study", str(tmp_path / "s"), "--data",
                                      str(data), "--cells", "rnn_tanh", "--base-epochs", "1",
                                      "--retrain-epochs", "1", "--max-train", "100", "--max-test",
                                      "50", "--hidden", "4", "--levels", "50,90"])  # fmt: skip
    assert result.exit_code == 0, result.output
    starts = [line.split(" · ")[0] for line in result.output.splitlines()
              if line.startswith(("base models ", "levels "))]  # fmt: skip
    assert starts == [
        "base models 0/1 (0%)", "levels 0/2 (0%)", "base models 1/1 (100%)", "levels 2/2 (100%)"
    ]  # fmt: skip
