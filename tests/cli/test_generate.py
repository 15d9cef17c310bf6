"""``deconflict generate`` as the head of a pipeline (issue 18)."""

from __future__ import annotations

import subprocess
import sys


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    # `generate | head`: the reader closes the pipe after a few bytes.
    proc = subprocess.Popen(
        [sys.executable, "-m", "deconflict.cli.main", "generate", "-n", "3000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert stderr == ""
