"""Constraints and versioned zones in the store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import orjson
from sqlalchemy import inspect, select

from deconflict.model.constraint import AgreedZone, ConstraintType, Sector
from deconflict.store import schema_constraints
from deconflict.store.constraints import SqlAirspace
from deconflict.store.schema_notify import party_events
from deconflict.store.sql import SqlStore
from tests.airspace.factories import box, constraint, window
from tests.core.factories import volume


def test_migration_creates_the_constraint_tables(store: SqlStore) -> None:
    found = inspect(store.engine)
    for table in schema_constraints.metadata.sorted_tables:
        if table.name.startswith(("airspace_constraint", "agreed_zone")):
            assert {c["name"] for c in found.get_columns(table.name)} == {
                c.name for c in table.columns
            }


def test_constraint_round_trip_versions_and_candidates(store: SqlStore) -> None:
    c = constraint("ra", ConstraintType.RESTRICTED, parties=frozenset({"a", "b"}), min_priority=7)
    with store.session(write=True) as s:
        first = SqlAirspace(s).put_constraint(c)
        second = SqlAirspace(s).put_constraint(c)
    assert (first.version, second.version) == (1, 2)
    with store.session() as s:
        air = SqlAirspace(s)
        got = air.get_constraint("ra")
        assert got is not None and got.constraint == c
        assert air.near(volume(box(0.004, 0.004, 0.006, 0.006))) == ([c], [])
        # Far away, too high, or outside the validity window: not even a candidate.
        assert air.near(volume(box(5.0, 5.0, 5.01, 5.01))) == ([], [])
        assert air.near(volume(NEAR, lo=600.0, hi=700.0)) == ([], [])
        assert air.near(volume(NEAR, t0=4000.0, t1=5000.0)) == ([], [])
    with store.session(write=True) as s:
        assert SqlAirspace(s).delete_constraint("ra")
        assert SqlAirspace(s).get_constraint("ra") is None


NEAR = box(0.004, 0.004, 0.006, 0.006)


def _events(store: SqlStore) -> list[tuple[str, str, dict[str, object]]]:
    with store.session() as s:
        e = party_events.c
        rows = s.conn.execute(select(party_events).order_by(e.party, e.seq))
        return [(r.party, r.kind, orjson.loads(r.body)) for r in rows]


def test_zone_versions_history_and_events_to_the_parties_concerned(store: SqlStore) -> None:
    west, east = box(-0.05, 0.0, 0.0, 0.05), box(0.0, 0.0, 0.05, 0.05)
    v1 = AgreedZone("river", "op", (Sector(west, "alpha"), Sector(east, "bravo")), window())
    v2 = AgreedZone("river", "op", (Sector(west, "alpha"), Sector(east, "charlie")), window())
    with store.session(write=True) as s:
        assert SqlAirspace(s).put_zone(v1, "op").version == 1
    with store.session(write=True) as s:
        assert SqlAirspace(s).put_zone(v2, "op").version == 2
    with store.session(write=True) as s:
        assert SqlAirspace(s).delete_zone("river", "op")
    with store.session(write=True) as s:
        assert SqlAirspace(s).put_zone(v1, "op").version == 4  # numbering continues
    with store.session() as s:
        air = SqlAirspace(s)
        history = air.zone_history("river")
        assert [(h.version, h.deleted) for h in history] == [
            (1, False),
            (2, False),
            (3, True),
            (4, False),
        ]
        assert history[1].zone is not None and history[1].zone.sectors[1].party == "charlie"
        constraints, zones = air.near(volume(box(0.01, 0.01, 0.02, 0.02)))
        assert (constraints, [z.id for z in zones]) == ([], ["river"])
        assert [z.id for z in air.list_zones(party="bravo")] == ["river"]
        assert air.list_zones(party="charlie") == []
    events = _events(store)
    # bravo lost its sector in v2 and is still told; charlie is told of v2 and the deletion.
    assert [(k, b["version"]) for p, k, b in events if p == "bravo"] == [
        ("zone.created", 1),
        ("zone.updated", 2),
        ("zone.created", 4),
    ]
    assert [(k, b["version"]) for p, k, b in events if p == "charlie"] == [
        ("zone.updated", 2),
        ("zone.deleted", 3),
    ]
    # The owner hears of every change it makes.
    assert [b["version"] for p, _, b in events if p == "op"] == [1, 2, 3, 4]


def test_deleting_a_missing_zone_is_false(store: SqlStore) -> None:
    with store.session(write=True) as s:
        assert not SqlAirspace(s).delete_zone("nope", "alpha")
