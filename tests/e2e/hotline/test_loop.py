"""The service's own escalation loop runs: an overdue message escalates with nobody
calling ``escalate_due``. (The other tests step time by hand; this one waits, polling
with a generous deadline that only stops a broken build from hanging.)"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from deconflict.settings import HotlineSettings
from tests.conftest import Headers
from tests.e2e.hotline.conftest import stream_of


@pytest.fixture
def hotline_settings() -> HotlineSettings:
    return HotlineSettings(
        escalation_in_process=True, escalation_interval_s=0.02, min_deadline_s=0.01
    )


def test_serve_escalates_an_overdue_message_by_itself(client: TestClient, auth: Headers) -> None:
    r = client.post(
        "/v1/messages",
        json={"to": "beta", "text": "confirm", "deadline_s": 0.05},
        headers=auth("alpha"),
    )
    assert r.status_code == 201, r.text
    give_up = time.monotonic() + 20.0
    while [k for k, _ in stream_of(client, auth("alpha"))] != ["message.escalated"]:
        assert time.monotonic() < give_up, "the escalation loop never escalated the message"
        time.sleep(0.05)
