"""What a ``--database`` URL may say, checked before anything connects, and how it is shown.

A replicated PostgreSQL (Patroni, issue 19) is reached through every node's address:
the service must find the primary itself after a failover. Two spellings name several
hosts, and both are accepted:

- libpq's: ``postgresql://user@h1:5432,h2:5433,h3:5434/db?target_session_attrs=read-write``;
- SQLAlchemy's: ``postgresql+psycopg://user@/db?host=h1:5432&host=h2:5433&...``.

The first is rewritten into the second (SQLAlchemy cannot read a comma-separated netloc),
so psycopg gets ``host=h1,h2,h3 port=5432,5433,5434`` and tries them in order. With more
than one host and no ``target_session_attrs``, ``read-write`` is added: this service
writes, and a standby would refuse every write. A malformed URL (a port that is not a
number, an unknown ``target_session_attrs``, an empty host) is an ``InvalidInput`` naming
the problem, which the command line turns into exit 2, instead of a driver's traceback on
the first connection. ``masked`` is the form for logs: no password.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from deconflict.errors import InvalidInput

FIELD = "--database"

SESSION_ATTRS = frozenset(
    {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}
)
"""libpq's ``target_session_attrs`` values."""


def _from_libpq_hosts(url: str) -> str:
    """``scheme://user@h1:p1,h2:p2/db?q`` as ``scheme://user@/db?host=h1:p1&host=h2:p2&q``;
    any other URL unchanged."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, _, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return url
    if any(not h.strip() for h in hosts.split(",")):
        raise InvalidInput(FIELD, "names an empty host")
    host_params = "&".join(f"host={quote(h, safe=':[]')}" for h in hosts.split(","))
    query = f"{host_params}&{parts.query}" if parts.query else host_params
    auth = f"{userinfo}@" if userinfo else ""
    return f"{parts.scheme}://{auth}{parts.path}?{query}"


def _hosts(url: URL) -> list[str]:
    raw = url.query.get("host")
    if raw is None:
        return [url.host] if url.host else []
    values = [raw] if isinstance(raw, str) else list(raw)
    return [h for v in values for h in v.split(",")]


def _check_host(host: str) -> None:
    if not host.strip():
        raise InvalidInput(FIELD, "names an empty host")
    if host.startswith("/"):
        return  # a Unix socket directory
    name, sep, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if sep and not name:
        raise InvalidInput(FIELD, f"host {host!r} has a port but no name")
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise InvalidInput(FIELD, f"host {host!r}: the port must be a number from 1 to 65535")


def checked_url(url: str) -> str:
    """``url`` in the form ``open_store`` uses, or ``InvalidInput`` naming what is wrong.

    SQLite URLs pass through; PostgreSQL ones get the psycopg driver, their hosts and
    ports checked, and ``target_session_attrs=read-write`` when they list several hosts.
    """
    if url.startswith("sqlite:"):
        return url
    for plain, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("cockroachdb://", "cockroachdb+psycopg://"),
    ):
        if url.startswith(plain):
            url = driver + url.removeprefix(plain)
    try:
        parsed = make_url(_from_libpq_hosts(url))
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput(FIELD, f"is not a database URL: {exc}") from None
    if not parsed.drivername.startswith(("postgresql", "cockroachdb")):
        raise InvalidInput(FIELD, f"unknown kind of database {parsed.drivername!r}")
    if parsed.host is not None and parsed.query.get("host") is not None:
        raise InvalidInput(FIELD, "give the hosts either before the path or as ?host=, not both")
    hosts = _hosts(parsed)
    for host in hosts:
        _check_host(host)
    ports = parsed.query.get("port")
    if ports is not None:
        for port in ",".join([ports] if isinstance(ports, str) else ports).split(","):
            if not (port.isdigit() and 0 < int(port) < 65536):
                raise InvalidInput(FIELD, f"port {port!r} must be a number from 1 to 65535")
    attrs = parsed.query.get("target_session_attrs")
    if attrs is not None:
        if not isinstance(attrs, str) or attrs not in SESSION_ATTRS:
            allowed = ", ".join(sorted(SESSION_ATTRS))
            raise InvalidInput(FIELD, f"target_session_attrs must be one of {allowed}")
    elif len(hosts) > 1:
        parsed = parsed.update_query_dict({"target_session_attrs": "read-write"})
    return parsed.render_as_string(hide_password=False)


def masked(url: str) -> str:
    """``url`` without its password, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unreadable database URL>"


def host_count(url: str) -> int:
    """How many servers ``url`` lists (1 for a plain URL)."""
    try:
        return max(1, len(_hosts(make_url(url))))
    except (ArgumentError, ValueError):
        return 1
