"""A real USS receiver on 127.0.0.1 and fast delivery settings, for the worker, the
CLI and the end-to-end notification tests.

The receiver is ``http.server`` in a thread: it records every POST (path, headers,
JSON body) and can be stopped and restarted on the same port to play a USS that is
down for a while."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deconflict.settings import NotifySettings

DEADLINE_S = 20.0


def wait_for(predicate: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Poll until true; the deadline only stops a broken test from hanging."""
    end = time.monotonic() + deadline_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 204
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver._lock:
                    if receiver.status < 300:
                        receiver.received.append(
                            Received(self.path, dict(self.headers.items()), body)
                        )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.received if path is None or r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    r.start()
    yield r
    r.stop()


def fast_notify(**overrides: Any) -> NotifySettings:
    values: dict[str, Any] = {
        "retry_base_s": 0.05,
        "retry_max_s": 0.2,
        "poll_interval_s": 0.02,
        "request_timeout_s": 2.0,
        "lease_s": 5.0,
    }
    values.update(overrides)
    return NotifySettings(**values)
