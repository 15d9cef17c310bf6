"""A flood of bad tokens costs one audit entry per source and minute, with its count."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from deconflict.service.auth_failures import AuthFailureRecorder
from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import SqlStore

FROZEN = 1_800_000_010.0
"""A time early in a minute, so the requests of a test share their window."""


class Clock:
    def __init__(self, now: float = FROZEN) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _failures(store: SqlStore, subject: str) -> list[Any]:
    chain_pending(store)
    with store.session() as s:
        return [e.entry for e in entries_about(s.conn, subject) if e.entry.kind == "auth_failure"]


def _count_log(store: SqlStore) -> int:
    chain_pending(store)
    with store.session() as s:
        return sum(1 for _ in entries_about(s.conn, ""))


def test_bad_token_requests_from_one_source_within_a_minute_write_one_entry_with_their_count(
    client: TestClient, store: SqlStore
) -> None:
    recorder: AuthFailureRecorder = client.app.state.services.auth_failures  # type: ignore[attr-defined]
    recorder.clock = Clock()
    for _ in range(40):
        r = client.get("/v1/operations", headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401
    recorder.flush(everything=True)
    (entry,) = _failures(store, "")
    assert entry.detail["count"] == 40
    assert entry.detail["client"] == "testclient"
    assert entry.object_id == "/v1/operations"


def test_nothing_is_written_until_the_window_ends(store: SqlStore) -> None:
    clock = Clock()
    recorder = AuthFailureRecorder(store, clock=clock)
    for _ in range(3):
        recorder("bad token", None, "/v1/operations", "10.0.0.1")
    assert recorder.flush() == 0
    clock.now += 60
    assert recorder.flush() == 1
    (entry,) = _failures(store, "")
    assert entry.detail["count"] == 3


def test_a_new_minute_starts_a_new_entry(store: SqlStore) -> None:
    clock = Clock()
    recorder = AuthFailureRecorder(store, clock=clock)
    recorder("bad token", None, "/v1/operations", "10.0.0.1")
    clock.now += 60
    recorder("bad token", None, "/v1/operations", "10.0.0.1")
    recorder.flush(everything=True)
    assert [e.detail["count"] for e in _failures(store, "")] == [1, 1]


def test_each_source_and_claimed_party_gets_its_own_entry(store: SqlStore) -> None:
    recorder = AuthFailureRecorder(store, clock=Clock())
    forged_alpha = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbHBoYSJ9."  # {"sub": "alpha"}
    recorder("bad token", None, "/v1/operations", "10.0.0.1")
    recorder("bad token", None, "/v1/operations", "10.0.0.2")
    recorder("bad signature", forged_alpha, "/v1/operations", "10.0.0.1")
    recorder("bad signature", forged_alpha, "/v1/zones", "10.0.0.1")
    recorder.flush(everything=True)
    assert sorted(e.detail["client"] for e in _failures(store, "")) == ["10.0.0.1", "10.0.0.2"]
    (alpha,) = _failures(store, "alpha")
    assert alpha.detail["count"] == 2
    assert alpha.detail["paths"] == {"/v1/operations": 1, "/v1/zones": 1}


def test_a_flood_from_many_sources_is_counted_in_bounded_memory(store: SqlStore) -> None:
    recorder = AuthFailureRecorder(store, clock=Clock(), max_sources=4)
    for n in range(100):
        recorder("bad token", None, "/v1/operations", f"10.0.{n // 256}.{n % 256}")
    recorder.flush(everything=True)
    entries = _failures(store, "")
    assert len(entries) == 5
    assert sum(e.detail["count"] for e in entries) == 100
    assert [e.detail["count"] for e in entries if e.detail["client"] == "*"] == [96]


def test_stopping_writes_the_current_window(store: SqlStore) -> None:
    recorder = AuthFailureRecorder(store, clock=Clock())
    recorder.start()
    recorder("bad token", None, "/v1/operations", "10.0.0.1")
    recorder.stop()
    assert _count_log(store) == 1
