"""Constraint references, and how they enter the key and notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import select

from deconflict.core.constraints import ConstraintReason
from deconflict.core.engine import StrategicEngine
from deconflict.core.rules import Verdict
from deconflict.dss.records import NO_OVN_PHRASE
from deconflict.errors import ManagedByDss
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import Constraint, ConstraintType
from deconflict.model.operation import Operation, OperationState
from deconflict.settings import EqualPriorityPolicy
from deconflict.store import migrations_runner
from deconflict.store.constraints import SqlAirspace, airspace_of
from deconflict.store.dss import backfill_constraints
from deconflict.store.schema_notify import party_events
from deconflict.store.sql import SqlStore
from tests.e2e.dss.conftest import CM, CP, CR, SC, Dss, circle, new_id, volume4d


def body(*extents: dict[str, Any], base: str = "https://alpha.example.com/utm") -> dict[str, Any]:
    return {"extents": list(extents) or [volume4d(lo=None, hi=None)], "uss_base_url": base}


def create(dss: Dss, constraint_id: str | None = None, *extents: dict[str, Any]) -> Any:
    r = dss.alpha.call("PUT", f"{CR}/{constraint_id or new_id()}", body(*extents))
    assert r.status_code == 201, r.text
    return r.json()["constraint_reference"]


def test_create_answers_201_with_version_1_and_the_managers_ovn(dss: Dss) -> None:
    ref = create(dss)
    assert ref["version"] == 1
    assert ref["manager"] == "uss-alpha"
    assert ref["ovn"] != NO_OVN_PHRASE and len(ref["ovn"]) >= 16
    assert ref["uss_availability"] == "Unknown"


def test_constraints_need_the_constraint_management_scope_to_write(dss: Dss) -> None:
    r = dss.alpha.call("PUT", f"{CR}/{new_id()}", body(), scopes=(SC, CP))
    assert r.status_code == 403


def test_creating_an_existing_constraint_is_a_conflict(dss: Dss) -> None:
    constraint_id = new_id()
    create(dss, constraint_id)
    assert dss.alpha.call("PUT", f"{CR}/{constraint_id}", body()).status_code == 409


def test_update_needs_the_current_ovn(dss: Dss) -> None:
    ref = create(dss)
    r = dss.alpha.call("PUT", f"{CR}/{ref['id']}/{ref['ovn']}", body())
    assert r.status_code == 200
    assert r.json()["constraint_reference"]["version"] == 2
    assert dss.alpha.call("PUT", f"{CR}/{ref['id']}/{ref['ovn']}", body()).status_code == 409


def test_updating_a_missing_constraint_is_a_conflict(dss: Dss) -> None:
    assert dss.alpha.call("PUT", f"{CR}/{new_id()}/{'o' * 43}", body()).status_code == 409


def test_only_the_manager_may_update_or_delete(dss: Dss) -> None:
    ref = create(dss)
    assert dss.beta.call("PUT", f"{CR}/{ref['id']}/{ref['ovn']}", body()).status_code == 403
    assert dss.beta.call("DELETE", f"{CR}/{ref['id']}/{ref['ovn']}").status_code == 403


def test_delete_removes_and_a_stale_ovn_is_a_conflict(dss: Dss) -> None:
    ref = create(dss)
    assert dss.alpha.call("DELETE", f"{CR}/{ref['id']}/{'s' * 43}").status_code == 409
    assert dss.alpha.call("DELETE", f"{CR}/{ref['id']}/{ref['ovn']}").status_code == 200
    assert dss.alpha.call("GET", f"{CR}/{ref['id']}").status_code == 404
    assert dss.alpha.call("DELETE", f"{CR}/{ref['id']}/{ref['ovn']}").status_code == 404


def test_others_see_the_constraint_without_its_ovn(dss: Dss) -> None:
    ref = create(dss)
    got = dss.beta.call("GET", f"{CR}/{ref['id']}", scopes=(CP,)).json()["constraint_reference"]
    assert got["ovn"] == NO_OVN_PHRASE


def test_query_finds_constraints_in_the_area_whatever_their_altitude(dss: Dss) -> None:
    here = create(dss, None, volume4d(lo=500, hi=600))["id"]
    r = dss.beta.call(
        "POST",
        f"{CR}/query",
        {"area_of_interest": volume4d(circle(7.0, 46.0, 10.0), lo=2000, hi=3000)},
        scopes=(CP,),
    )
    assert r.status_code == 200, r.text
    assert here in [c["id"] for c in r.json()["constraint_references"]]
    far = dss.beta.call(
        "POST", f"{CR}/query", {"area_of_interest": volume4d(circle(9.0, 46.0))}, scopes=(CP,)
    )
    assert far.json()["constraint_references"] == []


def test_constraint_changes_notify_subscriptions_for_constraints_only(dss: Dss) -> None:
    for_constraints = dss.beta.create_sub(ops=False, constraints=True).json()["subscription"]["id"]
    dss.beta.create_sub(ops=True, constraints=False)
    r = dss.alpha.call("PUT", f"{CR}/{new_id()}", body())
    notified = [s["subscription_id"] for x in r.json()["subscribers"] for s in x["subscriptions"]]
    assert notified == [for_constraints]


def test_constraint_ovns_are_keyed_when_the_subscription_processes_constraints(dss: Dss) -> None:
    ref = create(dss)
    implicit = {"uss_base_url": dss.beta.base, "notify_for_constraints": True}
    r = dss.beta.create_intent(new_subscription=implicit)
    assert r.status_code == 409, r.text
    assert [c["id"] for c in r.json()["missing_constraints"]] == [ref["id"]]
    assert r.json()["missing_constraints"][0]["ovn"] == NO_OVN_PHRASE
    # The constraint's manager hands out the OVN with the details; with it the write passes.
    assert dss.beta.create_intent(new_subscription=implicit, key=[ref["ovn"]]).status_code == 201


def test_constraint_ovns_are_not_keyed_without_constraint_processing(dss: Dss) -> None:
    create(dss)
    r = dss.beta.create_intent(new_subscription={"uss_base_url": dss.beta.base})
    assert r.status_code == 201, r.text


def test_a_constraint_needs_time_bounds(dss: Dss) -> None:
    extent = volume4d(lo=None, hi=None)
    del extent["time_end"]
    r = dss.alpha.call("PUT", f"{CR}/{new_id()}", body(extent), scopes=(CM,))
    assert r.status_code == 400
    assert "time_end" in r.json()["message"]


# --- the planner's view: a constraint reference is a constraint it enforces ------------


def _planned(party: str, lng: float = 7.0, lat: float = 46.0) -> Operation:
    """A native operation 10-20 minutes from now, 100-200 m, over ``(lng, lat)``."""
    now = datetime.now(UTC)
    window = TimeWindow(now + timedelta(minutes=10), now + timedelta(minutes=20))
    v = Volume4D(Circle(lng, lat, 100.0), AltitudeBand(100.0, 200.0), window)
    return Operation(f"{party}-op", party, 0, OperationState.ACCEPTED, (v,))


def _engine(store: SqlStore) -> StrategicEngine:
    return StrategicEngine(store, EqualPriorityPolicy.REJECT, airspace=airspace_of)


def test_a_native_operation_planned_into_a_dss_constraint_is_refused_naming_it(
    dss: Dss, store: SqlStore
) -> None:
    ref = create(dss)  # a 300 m circle at (7, 46), 1-61 minutes from now, altitude open
    decision = _engine(store).submit(_planned("bravo"))
    assert not decision.accepted and decision.stored is None
    (hit,) = decision.airspace
    assert (hit.ref_id, hit.ref_type, hit.verdict) == (ref["id"], "restricted", Verdict.BLOCKING)
    assert hit.to_json()["constraint"] == ref["id"]
    assert hit.to_json()["overlaps"][0]["altitude_lower_m"] == 100.0


def test_the_managing_uss_may_plan_inside_its_own_constraint_and_is_told(
    dss: Dss, store: SqlStore
) -> None:
    create(dss)
    decision = _engine(store).submit(_planned("uss-alpha"))
    assert decision.accepted
    assert [(c.verdict, c.reason) for c in decision.airspace] == [
        (Verdict.NOTICE, ConstraintReason.ALLOWED_PARTY)
    ]


def test_moving_or_deleting_a_dss_constraint_frees_the_airspace(dss: Dss, store: SqlStore) -> None:
    ref = create(dss)
    far = body(volume4d(circle(9.0, 46.0), lo=None, hi=None))
    r = dss.alpha.call("PUT", f"{CR}/{ref['id']}/{ref['ovn']}", far)
    assert r.status_code == 200, r.text
    assert _engine(store).check(_planned("bravo")).accepted
    assert not _engine(store).check(_planned("bravo", lng=9.0)).accepted
    moved = r.json()["constraint_reference"]
    assert dss.alpha.call("DELETE", f"{CR}/{ref['id']}/{moved['ovn']}").status_code == 200
    assert _engine(store).check(_planned("bravo", lng=9.0)).accepted


def test_an_id_a_native_constraint_uses_is_taken_for_the_dss(dss: Dss, store: SqlStore) -> None:
    taken = new_id()
    native = _planned("operator").volumes[0]
    with store.session(write=True) as s:
        SqlAirspace(s).put_constraint(
            Constraint(taken, ConstraintType.NO_FLY, "operator", (native,), native.time)
        )
    assert dss.alpha.call("PUT", f"{CR}/{taken}", body()).status_code == 409
    # Native constraints are not published to DSS readers (no USS serves their details).
    assert dss.alpha.call("GET", f"{CR}/{taken}").status_code == 404


def test_native_writes_to_a_dss_constraint_are_refused(dss: Dss, store: SqlStore) -> None:
    ref = create(dss)
    with store.session(write=True) as s:
        air = SqlAirspace(s)
        stored = air.get_constraint(ref["id"])
        assert stored is not None
        with pytest.raises(ManagedByDss, match="uss-alpha"):
            air.put_constraint(stored.constraint)
        with pytest.raises(ManagedByDss):
            air.delete_constraint(ref["id"])


def test_parties_with_operations_inside_hear_of_a_dss_constraint(dss: Dss, store: SqlStore) -> None:
    assert _engine(store).submit(_planned("bravo")).accepted
    ref = create(dss)
    events = party_events_of(store, "bravo")
    assert [k for k, _ in events] == ["constraint.created"]
    body_ = events[0][1]
    assert body_["constraint"] == ref["id"] and body_["why"] == ["operations"]
    assert [c["operation"] for c in body_["your_conflicts"]] == ["bravo-op"]
    # The manager hears of it from the DSS's own event, not twice.
    assert [k for k, _ in party_events_of(store, "uss-alpha")] == []


def party_events_of(store: SqlStore, party: str) -> list[tuple[str, dict[str, Any]]]:
    with store.session() as s:
        rows = s.conn.execute(
            select(party_events).where(party_events.c.party == party).order_by(party_events.c.seq)
        )
        return [(r.kind, orjson.loads(r.body)) for r in rows]


def test_backfill_brings_references_stored_before_the_merge_into_the_planners_view(
    dss: Dss, store: SqlStore
) -> None:
    ref = create(dss)
    with store.session(write=True) as s:  # as an older version left it: no native row
        SqlAirspace(s).delete_constraint(ref["id"], dss=True)
    assert _engine(store).check(_planned("bravo")).accepted
    with store.session(write=True) as s:
        assert backfill_constraints(s.conn) == 1
        assert backfill_constraints(s.conn) == 0
    assert not _engine(store).check(_planned("bravo")).accepted
    assert dss.alpha.call("GET", f"{CR}/{ref['id']}").json()["constraint_reference"] == ref


def test_upgrading_the_schema_backfills_references_stored_before_the_merge(
    dss: Dss, store: SqlStore
) -> None:
    ref = create(dss)
    with store.session(write=True) as s:  # as an older version left it: no native row
        SqlAirspace(s).delete_constraint(ref["id"], dss=True)
    with store.engine.begin() as conn:  # the database as of revision 0007, upgraded
        cfg = migrations_runner.config(conn)
        command.stamp(cfg, "0007")
        command.upgrade(cfg, "0008")
        command.stamp(cfg, "head")
    assert not _engine(store).check(_planned("bravo")).accepted
