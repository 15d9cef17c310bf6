"""Notification indices kept by audiences: subscriptions told of the same changes share
one counter, and every subscription still sees its own indices 1, 2, 3, ... in its
notifications and its GET, with no gap and no repeat, under concurrent writers, on
SQLite and PostgreSQL."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, insert, select

from deconflict.dss.records import (
    Extent,
    IntentChange,
    IntentParams,
    SubscriptionParams,
    subscribers_to_notify,
)
from deconflict.dss.service import DssService
from deconflict.dss.uuids import new_uuid4
from deconflict.geo.covering import cells_of
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState
from deconflict.store import migrations_runner
from deconflict.store.codec import to_us
from deconflict.store.dss import DssStore
from deconflict.store.schema_dss import dss_audiences, dss_subscriptions, subscription_cells
from deconflict.store.sql import SqlStore, open_store

WRITERS = 6


def subscribe(service: DssService, uss: str, radius_m: float, hours: float = 2.0) -> str:
    now = datetime.now(UTC)
    area = Extent(Circle(7.0, 46.0, radius_m), None, None, now, now + timedelta(hours=hours))
    params = SubscriptionParams(area, f"https://{uss}.example.com", True)
    return service.put_subscription(uss, new_uuid4(), None, params).subscription.id


def change(
    service: DssService, k: int, lon: float = 7.0, start_in: timedelta = timedelta(minutes=1)
) -> IntentChange:
    """An intent of its own altitude band (none conflicts), touching whoever is over
    (lon, 46.0) from ``start_in`` on, for five minutes."""
    start = datetime.now(UTC) + start_in
    e = Extent(Circle(lon, 46.0, 50.0), 10.0 * k, 10.0 * k + 5, start, start + timedelta(minutes=5))
    params = IntentParams((e,), OperationState.ACCEPTED, "https://writer.example.com")
    return service.put_intent("writer", new_uuid4(), None, params, conformance_monitoring=False)


def told(changes: list[IntentChange]) -> dict[str, list[int]]:
    """Each subscription's indices, as the changes' subscriber lists gave them."""
    out: dict[str, list[int]] = {}
    for c in changes:
        for s in c.subscribers:
            for sub_id, index in s.subscriptions:
                out.setdefault(sub_id, []).append(index)
    return out


def audience_rows(store: SqlStore) -> int:
    return int(
        store.run(
            lambda s: s.conn.execute(select(func.count()).select_from(dss_audiences)).scalar(),
            False,
        )
    )


def test_identical_subscriptions_share_one_counter_and_each_counts_from_one(
    store: SqlStore,
) -> None:
    service = DssService(DssStore(store))
    subs = [subscribe(service, f"uss{i % 3}", 2000.0) for i in range(30)]
    assert audience_rows(store) == 1
    changes = [change(service, k) for k in range(4)]
    assert told(changes) == {s: [1, 2, 3, 4] for s in subs}
    assert {
        service.get_subscription(f"uss{i % 3}", s).notification_index for i, s in enumerate(subs)
    } == {4}


def test_a_subscription_created_later_counts_from_its_own_start(store: SqlStore) -> None:
    service = DssService(DssStore(store))
    first = subscribe(service, "a", 2000.0)
    change(service, 0)
    change(service, 1)
    late = subscribe(service, "b", 2000.0)  # same audience, joins at its count
    assert told([change(service, 2)]) == {first: [3], late: [1]}


def test_concurrent_changes_give_every_subscription_its_indices_without_gaps(
    store: SqlStore,
) -> None:
    service = DssService(DssStore(store))
    # Several audiences: identical circles, others larger or shorter, and changes
    # spread so that each touches a different mix of them.
    subs = [
        subscribe(service, f"uss{i}", r, h)
        for i, (r, h) in enumerate(
            [(800.0, 2.0)] * 4 + [(3000.0, 2.0)] * 3 + [(3000.0, 3.0), (300.0, 2.0), (6000.0, 1.0)]
        )
    ]
    rng = random.Random(7)
    lons = [7.0 + rng.uniform(-0.05, 0.05) for _ in range(24)]
    with ThreadPoolExecutor(WRITERS) as pool:
        changes = list(pool.map(lambda k: change(service, k, lons[k]), range(len(lons))))
    indices = told(changes)
    for i, sub_id in enumerate(subs):
        got = sorted(indices.get(sub_id, []))
        assert got == list(range(1, len(got) + 1)), (sub_id, got)
        assert service.get_subscription(f"uss{i}", sub_id).notification_index == len(got)
    assert audience_rows(store) == 4  # by cells and kinds: 800, 3000, 300 and 6000 m


def test_a_member_whose_window_a_change_misses_is_not_told_and_keeps_counting(
    store: SqlStore,
) -> None:
    service = DssService(DssStore(store))
    short = subscribe(service, "a", 2000.0, hours=0.5)  # over before the late change
    long = subscribe(service, "b", 2000.0, hours=3.0)
    assert audience_rows(store) == 1
    assert told([change(service, 0)]) == {short: [1], long: [1]}
    late = change(service, 1, start_in=timedelta(hours=1))
    assert told([late]) == {long: [2]}
    assert service.get_subscription("a", short).notification_index == 1
    assert told([change(service, 2)]) == {short: [2], long: [3]}


def test_an_updated_subscription_keeps_its_index_in_its_new_audience(store: SqlStore) -> None:
    service = DssService(DssStore(store))
    sub_id = subscribe(service, "a", 2000.0)
    other = subscribe(service, "b", 2000.0)
    change(service, 0)
    old = service.get_subscription("a", sub_id)
    now = datetime.now(UTC)
    wider = Extent(Circle(7.0, 46.0, 4000.0), None, None, now, now + timedelta(hours=2))
    params = SubscriptionParams(wider, "https://a.example.com", True)
    service.put_subscription("a", sub_id, old.version, params)
    assert service.get_subscription("a", sub_id).notification_index == 1
    assert told([change(service, 1)]) == {sub_id: [2], other: [2]}
    service.delete_subscription("b", other, service.get_subscription("b", other).version)
    assert audience_rows(store) == 1  # the audience of the deleted one went with it


def test_migration_0016_keeps_every_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations_runner.upgrade(conn, "0015")
        cells = cells_of(Circle(7.0, 46.0, 2000.0))
        for sub_id, index in (("s-five", 5), ("s-nine", 9)):
            conn.execute(
                insert(dss_subscriptions).values(
                    id=sub_id,
                    owner="a",
                    version="v",
                    notification_index=index,
                    uss_base_url="https://a.example.com",
                    notify_for_operational_intents=True,
                    notify_for_constraints=False,
                    implicit=False,
                    time_start_us=to_us(now),
                    time_end_us=to_us(now + timedelta(hours=2)),
                    created_us=0,
                    updated_us=0,
                )
            )
            conn.execute(
                insert(subscription_cells), [{"cell": c, "subscription_id": sub_id} for c in cells]
            )
    engine.dispose()
    store = open_store(url)
    service = DssService(DssStore(store))
    assert told([change(service, 0)]) == {"s-five": [6], "s-nine": [10]}
    assert audience_rows(store) == 1
    store.close()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["https://a.example", "https://b.example", "https://B.example/x"]),
            st.uuids().map(str),
            st.integers(min_value=0, max_value=10**12),
        ),
        unique_by=lambda m: m[1],
    )
)
def test_subscribers_to_notify_group_by_base_url_then_id_as_one_post_each(
    members: list[tuple[str, str, int]],
) -> None:
    """The grouping the DSS answer and the notifications share (plain tuples, one sort)
    equals the straightforward one: per base URL in order, its subscriptions by id, each
    with the index the store gave it."""
    expected: dict[str, list[tuple[str, int]]] = {}
    for url, sub_id, index in sorted(members, key=lambda m: (m[0], m[1])):
        expected.setdefault(url, []).append((sub_id, index))
    got = subscribers_to_notify(list(members))
    assert [(s.uss_base_url, list(s.subscriptions)) for s in got] == list(expected.items())
