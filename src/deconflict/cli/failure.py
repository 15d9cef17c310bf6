"""How a command ends on an error: the exit code is the error class's own.

``deconflict.errors`` gives every error its ``exit_code`` (2: the operator's or the
input's to fix; 3: ours). Two kinds of failure come from below this package without
one: a database driver's error, which is ours as a ``StoreUnavailable`` is, and an
``OSError`` on a path the operator gave, theirs to fix.
"""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from deconflict.errors import DeconflictError, StoreUnavailable, UserError

FAILURES = (DeconflictError, SQLAlchemyError, OSError)
"""What a command reports as one readable line (and ``exit_code``) instead of a traceback."""


def exit_code(exc: BaseException) -> int:
    """The exit code for ``exc``: its class's, or the one its kind has (see above)."""
    if isinstance(exc, DeconflictError):
        return exc.exit_code
    if isinstance(exc, SQLAlchemyError):
        return StoreUnavailable.exit_code
    if isinstance(exc, OSError):
        return UserError.exit_code
    return DeconflictError.exit_code


def exit_for(exc: BaseException) -> typer.Exit:
    """``raise exit_for(exc) from None`` once the command has printed what went wrong."""
    return typer.Exit(exit_code(exc))


def fail(console: Console, message: str, exc: BaseException | None = None) -> typer.Exit:
    """Print ``message``; ``raise fail(...) from None`` exits with ``exc``'s code, or 2
    for a mistake the command found itself."""
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return exit_for(exc) if exc is not None else typer.Exit(UserError.exit_code)
