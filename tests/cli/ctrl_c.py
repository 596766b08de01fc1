"""Ctrl-C for subprocess tests: start a command, interrupt it once it is under way."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

INTERRUPTED = "interrupted: finished work is saved; run the command again to resume"


def interrupt(args: list[str], ready: Callable[[], bool], within: float = 60.0) -> None:
    """Run ``args``, send SIGINT once ``ready()`` (polled; at most ``within`` seconds), and
    check the command's answer: exit code 130 and the one line on stderr."""
    # A test runner started in the background (a non-interactive shell's `&`) ignores SIGINT,
    # and an ignored signal stays ignored across exec: handle it here while the child starts,
    # so the child gets the default and Python raises KeyboardInterrupt in it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.time() + within
    while not ready():
        assert proc.poll() is None, "the command ended before it could be interrupted"
        assert time.time() < deadline, f"not under way after {within:.0f} s"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.strip().splitlines() == [INTERRUPTED]
