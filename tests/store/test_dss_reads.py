"""What an F3548 intent write reads, in fewer round trips: a USS's grant and its
availability in one statement, the availability kept for the rest of the transaction
(the works of a batch share it) and updated by a write of it in that transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from deconflict.dss.records import AvailabilityStatus, UssAvailability
from deconflict.model.operation import OperationState
from deconflict.store.dss import SqlDssSession
from deconflict.store.sql import SqlStore

from ..core.factories import square, volume


@contextmanager
def statements(store: SqlStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", note)


def put(s: SqlDssSession, intent_id: str, lon: float) -> UssAvailability:
    ref = s.put_intent(
        intent_id, "uss1", OperationState.ACCEPTED, [volume(square(lon, 0))], "ovn", "u", None
    )
    return ref.uss_availability


def test_a_write_reads_its_uss_grant_and_availability_once(store: SqlStore) -> None:
    now = datetime.now(UTC)
    with store.session(write=True) as s:
        SqlDssSession(s).put_availability(
            AvailabilityStatus("uss1", UssAvailability.DOWN, "v1"), now
        )
    with store.session(write=True) as s:
        first = SqlDssSession(s)
        with statements(store) as seen:
            assert first.uss_priority("uss1") == 0
            assert first.get_availability("uss1") is not None  # its own statement
            n = len(seen)
            assert put(first, "a", 0) is UssAvailability.DOWN
            assert put(SqlDssSession(s), "b", 0.1) is UssAvailability.DOWN
        reads = [q for q in seen[:n] if "dss_uss_availability" in q]
        assert len(reads) == 2  # with the grant, then get_availability's own
        assert not any("dss_uss_availability" in q for q in seen[n:])
        first.put_availability(AvailabilityStatus("uss1", UssAvailability.NORMAL, "v2"), now)
        assert put(SqlDssSession(s), "c", 0.2) is UssAvailability.NORMAL


def test_a_uss_that_declared_nothing_is_unknown_and_keeps_the_default_grant(
    store: SqlStore,
) -> None:
    with store.session(write=True) as s:
        session = SqlDssSession(s)
        assert session.uss_priority("uss1") == 0
        assert put(session, "a", 0) is UssAvailability.UNKNOWN
