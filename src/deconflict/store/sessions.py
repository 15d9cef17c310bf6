"""The SQL connection under any store session, for modules that write beside it.

Operations, DSS entities, the outbox, agreements and the audit log share one
transaction per request; each of them needs the connection the session holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def connection_of(session: Any) -> Connection:
    """``session.conn``, or ``session`` itself when it is already a connection."""
    if isinstance(session, Connection):
        return session
    conn = getattr(session, "conn", None)
    if not isinstance(conn, Connection):
        raise TypeError(f"{type(session).__name__} holds no SQL connection")
    return conn
