"""The console every command writes its messages to stderr with.

Rich wraps text at the console's width, 80 columns when stderr is a file or a pipe: an
error message in a log or under grep came out cut in two. A soft-wrapping console
leaves wrapping to the terminal; progress bars and tables still fit its width.
"""

from __future__ import annotations

from rich.console import Console


def error_console() -> Console:
    return Console(stderr=True, soft_wrap=True)
