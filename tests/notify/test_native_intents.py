"""Which changes the service tells subscribed USSs of as a native intent's manager, on
each store: native operations only, never an F3548 intent (its manager tells), never
an operation USSs never saw, and never the service itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from deconflict.core.engine import ChangeKind, OperationChange
from deconflict.dss.checks import volumes_cells
from deconflict.dss.native_intents import NativeIdentity
from deconflict.dss.records import SubscriptionRec
from deconflict.geo.footprint import Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.notify.native_intents import native_notice
from deconflict.notify.recorder import Notifier
from deconflict.settings import NotifySettings
from deconflict.store.dss import SqlDssSession
from deconflict.store.schema_notify import notify_outbox
from deconflict.store.sql import SqlSession, SqlStore

SERVICE = "http://deconflict.example:8080"
START = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)


def operation(state: OperationState = OperationState.ACCEPTED, op_id: str = "op-1") -> Operation:
    square = Polygon(((7.0, 46.0), (7.002, 46.0), (7.002, 46.002), (7.0, 46.002)))
    window = TimeWindow(START, START + timedelta(minutes=30))
    return Operation(op_id, "alpha", 0, state, (Volume4D(square, AltitudeBand(0, 120), window),))


def subscribe(dss: SqlDssSession, base_url: str, sub_id: str = "sub-1") -> None:
    """A subscription over ``operation()``'s airspace that asks for intents."""
    sub = SubscriptionRec(
        id=sub_id,
        owner="uss-a",
        version="v1",
        notification_index=0,
        uss_base_url=base_url,
        notify_for_operational_intents=True,
        notify_for_constraints=False,
        implicit=False,
        time_start=START - timedelta(minutes=5),
        time_end=START + timedelta(hours=1),
    )
    dss.put_subscription(sub, volumes_cells(operation().volumes))


def index_of(dss: SqlDssSession, sub_id: str = "sub-1") -> int:
    sub = dss.get_subscription(sub_id)
    assert sub is not None
    return sub.notification_index


def test_an_f3548_intent_is_not_told_as_a_native_operation(store: SqlStore) -> None:
    def work(s: SqlSession) -> tuple[object, int]:
        dss = SqlDssSession(s)
        subscribe(dss, "http://uss-a.example")
        op = operation()
        stored = s.put(op, native=False)  # how the DSS writes a USS's intent
        notice = native_notice(dss, OperationChange(ChangeKind.CREATED, op, stored.version))
        return notice, index_of(dss)

    assert store.run(work) == (None, 0)


def test_an_operation_uss_never_saw_is_not_told(store: SqlStore) -> None:
    """Created Ended: never a reference, so nothing to tell (and no index to bump)."""

    def work(s: SqlSession) -> tuple[object, int]:
        dss = SqlDssSession(s)
        subscribe(dss, "http://uss-a.example")
        op = operation(OperationState.ENDED)
        stored = s.put(op)
        notice = native_notice(dss, OperationChange(ChangeKind.CREATED, op, stored.version))
        return notice, index_of(dss)

    assert store.run(work) == (None, 0)


def test_the_services_own_subscriptions_are_bumped_but_not_posted_to(store: SqlStore) -> None:
    notifier = Notifier(NotifySettings(), identity=NativeIdentity("deconflict", SERVICE))

    def work(s: SqlSession) -> tuple[int, int]:
        dss = SqlDssSession(s)
        subscribe(dss, SERVICE + "/")
        op = operation()
        stored = s.put(op)
        notifier.operation_changed(s, OperationChange(ChangeKind.CREATED, op, stored.version))
        queued = len(s.conn.execute(select(notify_outbox.c.id)).all())
        return index_of(dss), queued

    assert store.run(work) == (1, 0)


def test_one_notification_goes_to_each_base_url(store: SqlStore) -> None:
    """Two subscriptions of one USS: one POST listing both, as the DSS groups them."""
    notifier = Notifier(NotifySettings(), identity=NativeIdentity("deconflict", SERVICE))

    def work(s: SqlSession) -> list[str]:
        dss = SqlDssSession(s)
        subscribe(dss, "http://uss-a.example", "sub-1")
        subscribe(dss, "http://uss-a.example", "sub-2")
        op = operation()
        stored = s.put(op)
        notifier.operation_changed(s, OperationChange(ChangeKind.CREATED, op, stored.version))
        return [r.url for r in s.conn.execute(select(notify_outbox.c.url)).all()]

    assert store.run(work) == ["http://uss-a.example/uss/v1/operational_intents"]
