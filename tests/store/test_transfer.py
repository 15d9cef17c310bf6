"""Export/import: a faithful round trip between engines, and all-or-nothing imports."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import insert, select

from deconflict.audit.entry import AuditEntry
from deconflict.dss.records import ConstraintParams, Extent, IntentParams, SubscriptionParams
from deconflict.dss.service import DssService
from deconflict.dss.uuids import new_uuid4
from deconflict.errors import TransferError
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState
from deconflict.store.audit import append_audit, chain_pending, verify_store
from deconflict.store.dss import DssStore
from deconflict.store.integrity import check
from deconflict.store.schema_notify import notify_outbox, party_event_heads, party_events
from deconflict.store.sql import SqlStore, open_store
from deconflict.store.transfer import export_jsonl, import_jsonl
from tests.conftest import BACKENDS
from tests.core.factories import operation, square, volume


@pytest.fixture(params=BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path: Path, pg_schema: Callable[[], str]
) -> Iterator[SqlStore]:
    """An empty store to import into, of each backend (crossed with the source's)."""
    url = f"sqlite:///{tmp_path / 'target.db'}" if request.param == "sqlite" else pg_schema()
    s = open_store(url)
    yield s
    s.close()


def fill(store: SqlStore) -> None:
    """Native operations (one updated twice, one ended, one with details) and DSS rows."""
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2)), volume(Circle(1.0, 2.0, 300.0), t0=700, t1=900)))
        s.put(operation("b", volume(square(5, 6), lo=200, hi=300)))
        s.put(operation("b", volume(square(5, 6), lo=200, hi=310)))
        ended = operation("c", volume(square(8, 9)), state=OperationState.ENDED)
        ended.details["callsign"] = "EAGLE 1"
        s.put(ended)
    dss = DssService(DssStore(store))
    now = datetime.now(UTC)
    area = Extent(Circle(7.0, 46.0, 2000.0), None, None, now, now + timedelta(hours=2))
    dss.put_subscription(
        "uss1", new_uuid4(), None, SubscriptionParams(area, "https://uss1.example.com", True)
    )
    e = Extent(
        Circle(7.0, 46.0, 300.0), 0.0, 100.0, now + timedelta(minutes=5), now + timedelta(hours=1)
    )
    dss.put_intent(
        "uss1",
        new_uuid4(),
        None,
        IntentParams((e,), OperationState.ACCEPTED, "https://uss1.example.com"),
        conformance_monitoring=False,
    )
    dss.put_constraint(
        "authority", new_uuid4(), None, ConstraintParams((e,), "https://zones.example.com")
    )
    dss.set_availability("uss1", "", "Normal")
    dss.make_report("uss1", {"problem": "test"})
    with store.session(write=True) as s:  # tables this module knows only as rows
        s.conn.execute(insert(notify_outbox), [outbox_row("a"), outbox_row("b")])
        s.conn.execute(insert(party_event_heads).values(party="alpha", last_seq=1))
        s.conn.execute(
            insert(party_events).values(
                party="alpha", seq=1, kind="accepted", created_us=1, body='{"id":"a"}'
            )
        )


def outbox_row(entity: str) -> dict[str, object]:
    return {
        "channel": "uss1",
        "url": "https://uss1.example.com/n",
        "kind": "intent",
        "entity_id": entity,
        "body": "{}",
        "status": "pending",
        "attempts": 0,
        "created_us": 1,
        "next_attempt_us": 1,
    }


def dump(store: SqlStore) -> list[bytes]:
    out = io.BytesIO()
    export_jsonl(store, out)
    lines = out.getvalue().splitlines()
    header = orjson.loads(lines[0])
    del header["exported"]
    return [orjson.dumps(header), *lines[1:]]


def test_export_then_import_reproduces_the_database_exactly(
    store: SqlStore, target: SqlStore
) -> None:
    fill(store)
    exported = dump(store)
    kinds = {orjson.loads(line).get("kind") for line in exported[1:]}
    assert {"operation", "dss_subscriptions", "dss_constraints", "end"} <= kinds
    assert {"table:notify_outbox", "table:party_events"} <= kinds
    calls: list[tuple[int, int]] = []
    counts = import_jsonl(target, io.BytesIO(b"\n".join(exported)), lambda *a: calls.append(a))
    assert counts["operation"] == 4
    assert calls[-1] == (sum(counts.values()), sum(counts.values()))
    # Parsed, so that a coordinate stored as 1 and re-imported as 1.0 compares equal.
    assert [orjson.loads(x) for x in dump(target)] == [orjson.loads(x) for x in exported]
    assert check(target) == []
    with target.session() as s:
        b = s.get("b")
    with store.session() as s:
        assert b == s.get("b")
    assert b is not None and b.version == 2
    with target.session(write=True) as s:  # the outbox's ids continue after the imported
        s.conn.execute(insert(notify_outbox), [outbox_row("c")])
        ids = sorted(r[0] for r in s.conn.execute(select(notify_outbox.c.id)))
    assert len(set(ids)) == 3


def test_import_refuses_a_database_that_is_not_empty(store: SqlStore, target: SqlStore) -> None:
    fill(store)
    exported = b"\n".join(dump(store))
    with target.session(write=True) as s:
        s.put(operation("z", volume(square(30, 30))))
    with pytest.raises(TransferError, match="not empty"):
        import_jsonl(target, io.BytesIO(exported))


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda lines: lines[:-1], "truncated"),
        (lambda lines: lines[:-2] + lines[-1:], "do not match"),
        (lambda lines: [*lines[:2], b'{"kind": "operation", "id": "x"}', *lines[2:]], "line 3"),
        (
            lambda lines: [
                *lines[:-1],
                orjson.dumps(
                    {
                        **orjson.loads(lines[2]),
                        "id": "late",
                        "volumes": [
                            {**orjson.loads(lines[2])["volumes"][0], "altitude_lower_m": 1e9}
                        ],
                    }
                ),
                lines[-1],
            ],
            "altitude",
        ),
        (lambda lines: [b'{"format": "something else"}', *lines[1:]], "line 1"),
    ],
    ids=["no end line", "a line missing", "a malformed operation", "a bad volume", "not ours"],
)
def test_a_bad_file_imports_nothing(
    store: SqlStore,
    tmp_path: Path,
    mangle: Callable[[list[bytes]], list[bytes]],
    message: str,
) -> None:
    fill(store)
    lines = mangle(dump(store))
    target = open_store(f"sqlite:///{tmp_path / 'bad.db'}")
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with pytest.raises(TransferError, match=message):
            import_jsonl(target, io.BytesIO(b"\n".join(lines)))
        # Exactly what a new database holds (the rows migrations seed), nothing more.
        assert dump(target)[1:] == dump(fresh)[1:]
    finally:
        target.close()
        fresh.close()


def test_the_audit_chain_moves_whole_and_verifies_on_the_other_side(
    store: SqlStore, target: SqlStore
) -> None:
    with store.session(write=True) as s:
        append_audit(s, [AuditEntry("change", "alpha", "alpha", "operation", x) for x in "abc"])
    chain_pending(store)
    before = verify_store(store)
    import_jsonl(target, io.BytesIO(b"\n".join(dump(store))))
    after = verify_store(target)
    assert after.ok and (after.checked, after.head) == (3, before.head)
