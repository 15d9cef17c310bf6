"""The F3548 ids of native constraints: written with the constraint, backfilled by 0015."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import Constraint, ConstraintType
from deconflict.store import migrations_runner
from deconflict.store.constraints import SqlAirspace
from deconflict.store.schema_dss import dss_constraints, native_constraints
from deconflict.store.sql import SqlSession, SqlStore, open_store

T0 = datetime(2030, 7, 1, 10, tzinfo=UTC)
WINDOW = TimeWindow(T0, T0 + timedelta(hours=1))


def no_fly(constraint_id: str) -> Constraint:
    volume = Volume4D(Circle(7.0, 45.0, 300.0), AltitudeBand(0, 120), WINDOW)
    return Constraint(constraint_id, ConstraintType.NO_FLY, "alpha", (volume,), WINDOW)


def f3548_ids(store: SqlStore) -> dict[str, str]:
    def read(s: SqlSession) -> dict[str, str]:
        rows = s.conn.execute(select(native_constraints))
        return {r.constraint_id: r.reference_id for r in rows}

    return store.run(read, write=False)


def test_a_new_native_constraint_gets_a_random_f3548_id(store: SqlStore) -> None:
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("a")))
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("b")))
    ids = f3548_ids(store)
    assert set(ids) == {"a", "b"} and ids["a"] != ids["b"]
    assert all(len(i) == 36 and i[14] == "4" for i in ids.values())


def test_the_f3548_id_stays_when_the_constraint_changes(store: SqlStore) -> None:
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("a")))
    before = f3548_ids(store)
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("a")))
    assert f3548_ids(store) == before


def test_a_constraint_the_dss_writes_gets_no_second_id(store: SqlStore) -> None:
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("a"), dss=True))
    assert f3548_ids(store) == {}


def test_the_f3548_id_goes_with_its_constraint(store: SqlStore) -> None:
    store.run(lambda s: SqlAirspace(s).put_constraint(no_fly("a")))
    store.run(lambda s: SqlAirspace(s).delete_constraint("a"))
    assert f3548_ids(store) == {}


def test_migration_0015_gives_existing_native_constraints_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations_runner.upgrade(conn, "0014")
    old = SqlStore(engine)
    reference = "c1a6f0f2-1111-4111-8111-111111111111"

    def before_0015(s: SqlSession) -> None:
        air = SqlAirspace(s)
        air.put_constraint(no_fly("native"), dss=True)  # no native_constraints table yet
        air.put_constraint(no_fly(reference), dss=True)
        s.conn.execute(
            insert(dss_constraints).values(
                id=reference,
                manager="uss9",
                version=1,
                ovn="x" * 43,
                uss_base_url="https://u",
                time_start_us=0,
                time_end_us=1,
                extents="[]",
                created_us=0,
                updated_us=0,
            )
        )

    old.run(before_0015)
    engine.dispose()
    store = open_store(url)
    assert list(f3548_ids(store)) == ["native"]
    store.close()
