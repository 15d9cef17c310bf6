"""Work to run on a transaction's connection right after it commits.

Some bookkeeping must not share the change's SERIALIZABLE transaction (a counter row
that every writer of a party would update makes them abort each other) yet must
follow it promptly: it registers here, keyed so that a transaction registers it once
however many times it asks, and the store runs it after ``COMMIT`` (and drops it on
rollback). A crash in between loses nothing: such work is idempotent and its readers
finish what is left over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Connection

_KEY = "deconflict.after_commit"

H = TypeVar("H", bound=Callable[[Connection], None])


def after_commit(conn: Connection, key: str, new: Callable[[], H]) -> H:
    """The hook registered under ``key`` in this transaction, made by ``new`` if none."""
    hooks: dict[str, Any] = conn.info.setdefault(_KEY, {})
    if key not in hooks:
        hooks[key] = new()
    return cast(H, hooks[key])


def take_after_commit(conn: Connection) -> list[Callable[[Connection], None]]:
    """Remove and return the hooks of the transaction that just ended on ``conn``."""
    hooks: dict[str, Callable[[Connection], None]] = conn.info.pop(_KEY, {})
    return list(hooks.values())
