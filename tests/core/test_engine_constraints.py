"""The strategic engine checks constraints and zones in force, in the submit transaction."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from deconflict.core.constraints import ConstraintReason
from deconflict.core.engine import StrategicEngine
from deconflict.model.constraint import AgreedZone, ConstraintType
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.constraints import SqlAirspace, airspace_of
from deconflict.store.sql import SqlStore
from tests.airspace.factories import box, constraint, deg, window
from tests.conftest import Headers
from tests.core.factories import operation, volume

INSIDE = box(0.002, 0.002, 0.008, 0.008)


def _engine(store: SqlStore) -> StrategicEngine:
    return StrategicEngine(store, EqualPriorityPolicy.REJECT, airspace=airspace_of)


def _put(store: SqlStore, *items: Any) -> None:
    with store.session(write=True) as s:
        air = SqlAirspace(s)
        for x in items:
            if isinstance(x, AgreedZone):
                air.put_zone(x, "operator")
            else:
                air.put_constraint(x)


def test_no_fly_blocks_and_5_cm_outside_does_not(store: SqlStore) -> None:
    _put(store, constraint())
    engine = _engine(store)
    clip = engine.submit(operation("clip", volume(box(-0.01, 0.002, deg(0.05), 0.008))))
    assert not clip.accepted and clip.stored is None
    assert [(c.ref_id, c.reason) for c in clip.airspace] == [("nfz", ConstraintReason.NO_FLY)]
    clear = engine.submit(operation("clear", volume(box(-0.01, 0.002, -deg(0.05), 0.008))))
    assert clear.accepted and clear.airspace == []


def test_priority_opens_a_restricted_area_and_advisories_are_told(store: SqlStore) -> None:
    _put(
        store,
        constraint("ra", ConstraintType.RESTRICTED, min_priority=50),
        constraint("adv", ConstraintType.ADVISORY),
    )
    engine = _engine(store)
    low = engine.check(operation("low", volume(INSIDE), priority=10))
    assert not low.accepted
    high = engine.submit(operation("high", volume(INSIDE), priority=50))
    assert high.accepted and high.stored is not None
    assert sorted((c.ref_id, c.reason) for c in high.airspace) == [
        ("adv", ConstraintReason.ADVISORY),
        ("ra", ConstraintReason.ALLOWED_PRIORITY),
    ]


def test_wrong_party_in_an_assigned_sector_is_refused(store: SqlStore) -> None:
    _put(
        store,
        AgreedZone.from_line("river", "op", [(0.0, 0.0), (0.0, 0.1)], 2000.0, "a", "b", window()),
    )
    engine = _engine(store)
    west = volume(box(-0.01, 0.01, -0.005, 0.02))  # 556-1,112 m west of the line
    assert not engine.submit(operation("b1", west, party="b")).accepted
    assert engine.submit(operation("a1", west, party="a")).accepted


def test_the_api_reports_constraint_conflicts(client: TestClient, auth: Headers) -> None:
    ring = [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]
    v = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 500,
        "time_start": "2026-07-01T12:00:00Z",
        "time_end": "2026-07-01T13:00:00Z",
    }
    admin = auth("ops", "deconflict.admin")
    assert (
        client.put(
            "/v1/constraints/nfz", json={"type": "no_fly", "volumes": [v]}, headers=admin
        ).status_code
        == 201
    )
    r = client.put("/v1/operations/op1", json={"volumes": [v]}, headers=auth("alpha"))
    assert r.status_code == 409, r.text
    (hit,) = r.json()["constraint_conflicts"]
    assert (hit["constraint"], hit["verdict"], hit["reason"]) == ("nfz", "blocking", "no_fly")


def test_wrong_party_beside_a_line_on_the_antimeridian_is_refused_through_the_store(
    store: SqlStore,
) -> None:
    # Walking north along 180: "w" has the 1 km west of it, "e" the 1 km east.
    line = [(180.0, -17.0), (180.0, -16.0)]
    _put(store, AgreedZone.from_line("dateline", "op", line, 1000.0, "w", "e", window()))
    lat = -16.5
    # 400-500 m east of the line, across the antimeridian from the sector of "w".
    east = volume(box(-180.0 + deg(400.0, lat), -16.6, -180.0 + deg(500.0, lat), -16.4))
    refused = _engine(store).submit(operation("w1", east, party="w"))
    assert not refused.accepted
    (hit,) = refused.airspace
    assert (hit.ref_id, hit.assigned_party) == ("dateline", "e")
    assert _engine(store).submit(operation("e1", east, party="e")).accepted
