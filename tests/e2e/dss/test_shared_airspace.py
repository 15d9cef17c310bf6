"""The DSS and the native planner share one airspace: intents are operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.store.sql import SqlSession, SqlStore
from tests.e2e.dss.conftest import OIR, Dss, new_id, volume4d


def native_volume() -> Volume4D:
    now = datetime.now(UTC)
    return Volume4D(
        Circle(7.0, 46.0, 300.0),
        AltitudeBand(0, 120),
        TimeWindow(now + timedelta(minutes=1), now + timedelta(hours=1)),
    )


def test_an_intent_is_an_operation_the_planner_finds(dss: Dss, store: SqlStore) -> None:
    intent_id = new_id()
    assert dss.alpha.create_intent(intent_id).status_code == 201

    def look(s: SqlSession) -> list[Operation]:
        return [c.operation for c in s.candidates(native_volume())]

    found = store.run(look, write=False)
    assert [(o.id, o.party, o.priority, o.state) for o in found] == [
        (intent_id, "uss-alpha", 0, OperationState.ACCEPTED)
    ]


def test_an_id_taken_by_a_native_operation_cannot_be_created(dss: Dss, store: SqlStore) -> None:
    taken = new_id()
    native = Operation(taken, "army", 5, OperationState.ACCEPTED, (native_volume(),))
    store.run(lambda s: s.put(native))
    assert dss.alpha.create_intent(taken).status_code == 409


def test_native_operations_are_references_under_an_f3548_id_of_their_own(
    dss: Dss, store: SqlStore
) -> None:
    native = Operation(new_id(), "army", 5, OperationState.ACCEPTED, (native_volume(),))
    store.run(lambda s: s.put(native))
    r = dss.beta.call("POST", f"{OIR}/query", {"area_of_interest": volume4d()})
    [ref] = r.json()["operational_intent_references"]
    assert (ref["manager"], ref["id"] != native.id) == ("deconflict", True)
    assert dss.beta.call("GET", f"{OIR}/{native.id}").status_code == 404


def parse(t: dict[str, str]) -> datetime:
    return datetime.fromisoformat(t["value"])


def test_times_come_back_exactly_as_sent(dss: Dss) -> None:
    first, second = volume4d(start=1.000001, end=30), volume4d(start=20, end=61.123457)
    ref = dss.alpha.create_intent(extents=[first, second]).json()["operational_intent_reference"]
    assert parse(ref["time_start"]) == parse(first["time_start"])
    assert parse(ref["time_end"]) == parse(second["time_end"])
    assert ref["time_start"]["format"] == "RFC3339"
