"""Authentication failures in the audit log: counted per source and window in memory,
written as one entry per source and window by a thread of their own.

A 401 is recorded whoever sent it, so the entry names whom a token claimed to be (never
the token) and where the request came from.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from deconflict.audit.entry import ANONYMOUS, AUTH_FAILURE, NO_SUBJECT, AuditEntry
from deconflict.model.times import rfc3339
from deconflict.store.audit import append_audit
from deconflict.store.codec import from_us
from deconflict.store.sql import SqlStore

log = logging.getLogger(__name__)

MAX_REASON = 300


def claimed_subject(authorization: str | None) -> str | None:
    """The ``sub`` an unverified bearer token claims, if it is readable at all.

    Only ``sub`` is kept: the token itself (a credential, even when expired) is never
    recorded. What a forged token claims is still worth recording: it names whom
    someone tried to be.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub[:256] if isinstance(sub, str) and sub else None


AUTH_WINDOW_S = 60.0
"""Authentication failures of one source (client address and claimed ``sub``) within
this window share one entry with their count."""

MAX_SOURCES = 4096
"""Sources counted at once; failures of further sources in the same window are counted
together under client ``*``: memory stays bounded whatever a flood varies."""

MAX_KINDS = 8
"""Distinct reasons and paths named, each with its count, in one entry."""

OVERFLOW_CLIENT = "*"


@dataclass
class _Tally:
    window: int
    client: str | None
    sub: str | None
    first_us: int
    last_us: int = 0
    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    paths: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, path: str, at_us: int) -> None:
        self.count += 1
        self.last_us = at_us
        for counts, value in ((self.reasons, reason[:MAX_REASON]), (self.paths, path[:256])):
            if value in counts or len(counts) < MAX_KINDS:
                counts[value] = counts.get(value, 0) + 1

    def entry(self) -> AuditEntry:
        first_reason = next(iter(self.reasons), "")
        first_path = next(iter(self.paths), "")
        return AuditEntry(
            AUTH_FAILURE,
            ANONYMOUS,
            self.sub or NO_SUBJECT,
            "endpoint",
            first_path,
            {
                "reason": first_reason,
                "claimed_sub": self.sub,
                "client": self.client,
                "count": self.count,
                "first_at": rfc3339(from_us(self.first_us)),
                "last_at": rfc3339(from_us(self.last_us)),
                "reasons": dict(self.reasons),
                "paths": dict(self.paths),
            },
        )


class AuthFailureRecorder:
    """Counts ``auth_failure``s per source and window, and appends one entry per source
    and window (``count`` failures), in a transaction of its own.

    A flood of bad tokens then costs one entry a minute per source instead of one per
    request. The tallies live in memory until their window ends (``flush``, every few
    seconds from ``start``'s thread, and on ``stop``): a crash loses at most the
    current window's counts. A database failure is logged, not raised: the caller
    still gets its 401.
    """

    def __init__(
        self,
        store: SqlStore,
        window_s: float = AUTH_WINDOW_S,
        clock: Callable[[], float] = time.time,
        max_sources: int = MAX_SOURCES,
    ) -> None:
        self.store = store
        self.window_s = window_s
        self.clock = clock
        self.max_sources = max_sources
        self._tallies: dict[tuple[str | None, str | None], _Tally] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(
        self, reason: str, authorization: str | None, path: str, client: str | None
    ) -> None:
        sub = claimed_subject(authorization)
        now = self.clock()
        window = int(now // self.window_s)
        at_us = int(now * 1_000_000)
        ended: list[_Tally] = []
        with self._lock:
            key = (client, sub)
            tally = self._tallies.get(key)
            if tally is not None and tally.window != window:
                ended.append(self._tallies.pop(key))
                tally = None
            if tally is None and len(self._tallies) >= self.max_sources:
                key = (OVERFLOW_CLIENT, None)
                tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = _Tally(window, key[0], key[1], at_us)
            tally.add(reason, path, at_us)
        self._write(ended)

    def flush(self, *, everything: bool = False) -> int:
        """Append the entries of the windows that ended (all of them with
        ``everything``); returns how many entries were appended."""
        window = int(self.clock() // self.window_s)
        with self._lock:
            done = [k for k, t in self._tallies.items() if everything or t.window < window]
            ended = [self._tallies.pop(k) for k in done]
        return self._write(ended)

    def _write(self, ended: list[_Tally]) -> int:
        if not ended:
            return 0
        entries = [t.entry() for t in ended]
        try:
            self.store.run(lambda s: append_audit(s, entries))
        except Exception:
            log.exception("audit: could not record authentication failures")
            return 0
        return len(entries)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._main, name="deconflict-auth-tally", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write every tally, the current window's too (an orderly stop loses none)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout)
        self.flush(everything=True)

    def _main(self) -> None:
        while not self._stop.wait(min(5.0, self.window_s / 4)):
            self.flush()
