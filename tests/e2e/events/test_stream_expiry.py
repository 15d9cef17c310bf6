"""Event and track streams end when the token that opened them does (issue 21, Low).

The attack: an SSE stream kept delivering 18 s after its 3 s token had expired. Each
stream now closes at its token's ``exp`` and says why. These run a real server on
loopback so that a stream that does not end fails on a read timeout instead of hanging.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import served

LIFETIME_S = 2
READ_TIMEOUT_S = 8.0
"""Far longer than the token lives, far shorter than the 15 s keep-alive: a stream
that outlives its token fails on this timeout."""


@pytest.fixture
def server(settings: Settings, store: SqlStore) -> Iterator[str]:
    with served(create_app(settings, store)) as port:
        yield f"127.0.0.1:{port}"


def short_token(settings: Settings, *scopes: str) -> str:
    key = load_or_create_signing_key(settings.data_dir)
    return mint_token(
        key,
        sub="alpha",
        scopes=scopes,
        audience="localhost",
        issuer=settings.auth.issuer,
        lifetime_s=LIFETIME_S,
    )


def test_the_event_stream_ends_at_the_tokens_expiry_with_a_reason(
    server: str, settings: Settings
) -> None:
    token = short_token(settings, "deconflict.read")
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(READ_TIMEOUT_S)
    with httpx.stream("GET", f"http://{server}/v1/events", headers=headers, timeout=timeout) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    last = text.strip().split("\n\n")[-1].splitlines()
    assert last[0] == "event: expired"
    assert orjson.loads(last[1].removeprefix("data: ")) == {"reason": "token expired"}


@pytest.mark.parametrize(
    ("path", "scope"),
    [("/v1/stream", "deconflict.read"), ("/v1/stream/tracks", "deconflict.track")],
)
def test_websockets_close_at_the_tokens_expiry_with_a_reason(
    server: str, settings: Settings, path: str, scope: str
) -> None:
    token = short_token(settings, scope)
    with (
        connect(f"ws://{server}{path}?access_token={token}") as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=READ_TIMEOUT_S)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "token expired")
