"""The F3548 ids of native operations: written with the operation, backfilled by 0014."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.store import migrations_runner
from deconflict.store.schema_dss import dss_intents, native_intents, service_secrets
from deconflict.store.sql import SqlSession, SqlStore, open_store


def operation(op_id: str) -> Operation:
    t0 = datetime(2030, 7, 1, 10, tzinfo=UTC)
    volume = Volume4D(
        Circle(7.0, 45.0, 300.0), AltitudeBand(0, 120), TimeWindow(t0, t0 + timedelta(hours=1))
    )
    return Operation(op_id, "alpha", 0, OperationState.ACCEPTED, (volume,))


def f3548_ids(store: SqlStore) -> dict[str, str]:
    def read(s: SqlSession) -> dict[str, str]:
        return {r.operation_id: r.intent_id for r in s.conn.execute(select(native_intents))}

    return store.run(read, write=False)


def test_a_new_native_operation_gets_a_random_f3548_id(store: SqlStore) -> None:
    store.run(lambda s: s.put(operation("a")))
    store.run(lambda s: s.put(operation("b")))
    ids = f3548_ids(store)
    assert set(ids) == {"a", "b"} and ids["a"] != ids["b"]
    assert all(len(i) == 36 and i[14] == "4" for i in ids.values())


def test_an_f3548_intent_gets_no_second_id(store: SqlStore) -> None:
    store.run(lambda s: s.put(operation("c1a6f0f2-1111-4111-8111-111111111111"), native=False))
    assert f3548_ids(store) == {}


def test_the_f3548_id_stays_when_the_operation_changes(store: SqlStore) -> None:
    store.run(lambda s: s.put(operation("a")))
    before = f3548_ids(store)
    store.run(lambda s: s.put(operation("a")))
    assert f3548_ids(store) == before


def test_the_f3548_id_goes_with_its_operation(store: SqlStore) -> None:
    store.run(lambda s: s.put(operation("a")))
    store.run(lambda s: s.delete("a"))
    assert f3548_ids(store) == {}


def test_migration_0014_gives_existing_native_operations_ids_and_the_database_a_secret(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations_runner.upgrade(conn, "0013")
    old = SqlStore(engine)
    intent = "c1a6f0f2-1111-4111-8111-111111111111"

    def before_0014(s: SqlSession) -> None:
        s.put(operation("native"), native=False)  # no native_intents table yet
        s.put(operation(intent), native=False)
        s.conn.execute(
            insert(dss_intents).values(operation_id=intent, ovn="x" * 43, uss_base_url="https://u")
        )

    old.run(before_0014)
    engine.dispose()
    store = open_store(url)
    assert list(f3548_ids(store)) == ["native"]
    secrets = store.run(lambda s: s.conn.execute(select(service_secrets)).all(), write=False)
    assert [(r.name, len(r.secret)) for r in secrets] == [("native_ovn", 32)]
    store.close()
