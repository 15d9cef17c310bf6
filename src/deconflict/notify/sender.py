"""One POST to a USS, on kept-alive connections: the delivery worker's HTTP client.

At 100 changes/s over 10 receivers the worker makes 1,000 POSTs a second. httpx spent
0.57 ms of CPU on each here, ``http.client`` 0.13 ms (``bench/notify.py``'s profile:
the worker, not the network, was what delivery waited for). So the worker posts with
the standard library: each receiver's origin (scheme, host, port) keeps a few idle
connections, a channel's sender thread takes one for a POST and gives it back after
reading the whole answer, and nothing is shared while a request runs (httpx's pool
lock was where its sender threads queued).

A kept-alive connection may have been closed by the receiver while it sat idle; the
first write or read on it then fails at once. Such a POST is sent again, once, on a
fresh connection: the receiver closed the connection, so it did not act on this
request (and delivery is at least once anyway). TLS uses httpx's default context (the
same trust store as before). Where the environment names a proxy (``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY``), ``sender_for`` gives httpx instead, which honours them
and ``NO_PROXY`` as every other outgoing call of the service does: a deployment that
must go through a proxy keeps working, at httpx's cost per POST.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx

_MAX_ANSWER = 64 * 1024
"""Bytes of an answer read; a longer one costs its connection, not our memory."""

_STALE = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)
"""What a kept-alive connection the receiver closed while idle fails with."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str
    """The start of the answer's body, for the outbox's ``last_error``."""


class SendError(Exception):
    """No answer: the receiver could not be reached, or stopped answering in time."""


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer: ...

    def close(self) -> None: ...


Origin = tuple[str, str, int]


class HttpSender:
    """POSTs over ``http.client``; safe to call from several threads at once."""

    def __init__(
        self,
        timeout_s: float,
        *,
        idle_per_origin: int = 8,
        tls: Callable[[], ssl.SSLContext] = httpx.create_ssl_context,
    ) -> None:
        self._timeout_s = timeout_s
        self._idle_per_origin = idle_per_origin
        self._tls_factory = tls
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self.opened = 0
        """Connections opened so far (a test's view of reuse)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise SendError(f"not an http(s) URL: {url!r}")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise SendError(f"bad port in {url!r}") from exc
        origin = (scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn, reused = self._take(origin)
        try:
            return self._exchange(origin, conn, target, body, headers)
        except _STALE as exc:
            conn.close()
            if not reused:
                raise SendError(f"{type(exc).__name__}: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise SendError(f"{type(exc).__name__}: {exc}") from exc
        # The idle connection was gone: once more, on a new one.
        conn = self._open(origin)
        try:
            return self._exchange(origin, conn, target, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise SendError(f"{type(exc).__name__}: {exc}") from exc

    def _exchange(
        self,
        origin: Origin,
        conn: http.client.HTTPConnection,
        target: str,
        body: bytes,
        headers: Mapping[str, str],
    ) -> Answer:
        conn.request("POST", target, body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read(_MAX_ANSWER)
        if response.isclosed() and not response.will_close:
            self._give_back(origin, conn)
        else:
            conn.close()
        return Answer(response.status, data[:300].decode("utf-8", "replace"))

    def _take(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(origin)
            if idle:
                return idle.pop(), True
        return self._open(origin), False

    def _open(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        self.opened += 1
        if scheme == "https":
            if self._tls is None:
                self._tls = self._tls_factory()
            return http.client.HTTPSConnection(
                host, port, timeout=self._timeout_s, context=self._tls
            )
        return http.client.HTTPConnection(host, port, timeout=self._timeout_s)

    def _give_back(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self._idle_per_origin:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for c in conns:
            c.close()


class HttpxSender:
    """POSTs through an httpx transport: the tests' scripted receivers
    (``httpx.MockTransport``) answer the worker through this."""

    def __init__(self, timeout_s: float, transport: httpx.BaseTransport | None = None) -> None:
        # No transport: httpx's own, which reads the proxy variables.
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        try:
            response = self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from exc
        return Answer(response.status_code, response.text[:300])

    def close(self) -> None:
        self._client.close()


def proxied() -> bool:
    """Whether the environment names a proxy for HTTP or HTTPS."""
    return bool({"http", "https", "all"} & urllib.request.getproxies().keys())


def sender_for(
    timeout_s: float, transport: httpx.BaseTransport | None = None, *, idle_per_origin: int = 4
) -> Sender:
    """The worker's client: a given transport (tests' scripted receivers) and a proxied
    environment go through httpx; otherwise the standard library's, on kept-alive
    connections."""
    if transport is not None or proxied():
        return HttpxSender(timeout_s, transport)
    return HttpSender(timeout_s, idle_per_origin=idle_per_origin)
