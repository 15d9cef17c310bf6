"""A client leaving the event stream is routine, not a crash (issue 18, dead end 2).

A browser tab leaving ``/v1/events`` logged about 80 lines of ``RuntimeError: aclose():
asynchronous generator is already running``. This runs a real server on loopback (the
test client does not disconnect mid-stream), disconnects, stops the server so every
task has finished, and asserts nothing was logged at warning level or above.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from deconflict.api import events
from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore


def _token(settings: Settings) -> str:
    key = load_or_create_signing_key(settings.data_dir)
    return mint_token(
        key,
        sub="alpha",
        scopes=["deconflict.read"],
        audience="localhost",
        issuer=settings.auth.issuer,
        lifetime_s=600,
    )


def test_leaving_the_event_stream_logs_no_error(
    settings: Settings,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server learns of the disconnect when a keep-alive fails to send.
    monkeypatch.setattr(events, "KEEPALIVE_S", 0.1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # log_config=None: uvicorn's loggers propagate to the root, where caplog listens.
    config = uvicorn.Config(
        create_app(settings, store), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.WARNING)
    thread.start()
    for _ in range(250):
        if server.started:
            break
        time.sleep(0.02)
    headers = {"Authorization": f"Bearer {_token(settings)}"}
    for _ in range(3):
        with httpx.stream(
            "GET", f"http://127.0.0.1:{port}/v1/events", headers=headers, timeout=10.0
        ) as r:
            assert r.status_code == 200
            assert next(r.iter_bytes()).startswith(b"retry:")
        # Leaving the block closes the connection mid-stream, as a browser tab does.
        time.sleep(0.3)
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive()
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]
