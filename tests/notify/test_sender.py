"""The worker's HTTP client against real receivers: kept-alive connections are reused,
a connection the receiver closed while idle costs one fresh connection and no
notification, answers and failures reach the worker as they are."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deconflict.notify.sender import HttpSender, SendError, sender_for
from tests.notify.helpers import free_port


class KeepAliveReceiver:
    """HTTP/1.1 receiver recording bodies; ``silent_close`` drops each connection after
    its answer without saying so (as a receiver's idle timeout would)."""

    def __init__(self, *, status: int = 204, answer: bytes = b"", silent_close: bool = False):
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        self.connections = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                receiver.connections += 1

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.paths.append(self.path)
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                if silent_close:
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/uss/v1/operational_intents"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sender() -> Iterator[HttpSender]:
    s = HttpSender(2.0)
    yield s
    s.close()


def test_posts_in_order_on_one_kept_alive_connection(sender: HttpSender) -> None:
    r = KeepAliveReceiver()
    try:
        answers = [sender.post(r.url, b'{"n": %d}' % i, {"X": "1"}) for i in range(5)]
    finally:
        r.stop()
    assert [a.status for a in answers] == [204] * 5
    assert r.bodies == [b'{"n": %d}' % i for i in range(5)]
    assert sender.opened == 1
    assert r.connections == 1


def test_a_connection_closed_while_idle_is_replaced_and_nothing_is_lost(
    sender: HttpSender,
) -> None:
    r = KeepAliveReceiver(silent_close=True)
    try:
        answers = [sender.post(r.url, b'{"n": %d}' % i, {}) for i in range(4)]
    finally:
        r.stop()
    assert [a.status for a in answers] == [204] * 4
    # Each body arrived exactly once, in order, though every reuse found a dead socket.
    assert r.bodies == [b'{"n": %d}' % i for i in range(4)]
    assert sender.opened == 4


def test_an_error_answer_comes_back_with_its_text(sender: HttpSender) -> None:
    r = KeepAliveReceiver(status=422, answer=b'{"message": "bad index"}')
    try:
        answer = sender.post(r.url, b"{}", {})
        again = sender.post(r.url, b"{}", {})
    finally:
        r.stop()
    assert (answer.status, answer.text) == (422, '{"message": "bad index"}')
    assert again.status == 422
    assert sender.opened == 1  # an answer read to its end keeps its connection


def test_an_unreachable_receiver_is_a_send_error(sender: HttpSender) -> None:
    with pytest.raises(SendError, match="ConnectionRefused"):
        sender.post(f"http://127.0.0.1:{free_port()}/x", b"{}", {})


def test_a_url_that_is_not_http_is_a_send_error(sender: HttpSender) -> None:
    with pytest.raises(SendError, match="not an http"):
        sender.post("ftp://example.com/x", b"{}", {})


def test_a_proxy_named_by_the_environment_carries_the_notification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = KeepAliveReceiver()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server.server_address[1]}")
    # A receiver this machine cannot resolve: only the proxy can have delivered it.
    target = "http://uss.invalid:8080/uss/v1/operational_intents"
    sender = sender_for(2.0)
    try:
        answer = sender.post(target, b'{"n": 1}', {})
    finally:
        sender.close()
        proxy.stop()
    assert answer.status == 204
    assert proxy.paths == [target]
    assert proxy.bodies == [b'{"n": 1}']


def test_without_a_proxy_the_worker_posts_on_kept_alive_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    r = KeepAliveReceiver()
    sender = sender_for(2.0)
    try:
        for i in range(3):
            sender.post(r.url, b'{"n": %d}' % i, {})
    finally:
        sender.close()
        r.stop()
    assert r.connections == 1
    assert r.paths == ["/uss/v1/operational_intents"] * 3
