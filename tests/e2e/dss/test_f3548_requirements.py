"""The F3548-21 DSS requirements, one behaviour per test, under the requirement's id.

Ids are those InterUSS's uss_qualifier checks a DSS against (``astm.f3548.v21.*``):

* DSS0005,1 operational intent references (create, get, update, delete);
* DSS0005,2 searching them; DSS0005,3 constraint references; DSS0005,4 searching them;
* DSS0005,5 subscriptions (explicit and implicit), and their notification indices;
* DSS0015 the longest subscription (``DSSMaxSubscriptionDuration``);
* DSS0100,1 USS availability;
* SCD0035 the DSS side of conflict detection: the *key* proves the writer knows every
  relevant intent (and constraint, for a USS that processes them);
* SCD0100 the off-nominal states need the conformance-monitoring scope.

The error codes are the reference DSS's (``shared/specs/f3548-dss-semantics.md``). Where
the public material names no requirement (reports, the area and body limits, auth), the
test is named after the API's operation or the constant. The pool requirements
(DSS0020, DSS0200-0215, DSS0300) concern several DSS instances and are not tested here.

Relevance is the reference DSS's grid (issue 15): an intent is relevant to an airspace
when it shares a level-13 S2 cell with it and its whole span (first start to last end,
lowest to highest altitude) meets the airspace's; time checks against the clock apply
to the whole entity, not to each extent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from deconflict.dss.records import NO_OVN_PHRASE, NULL_SUBSCRIPTION_ID
from deconflict.geo.covering import cells_of
from deconflict.geo.footprint import Circle
from tests.conftest import Headers
from tests.e2e.dss.conftest import (
    AA,
    CM,
    CMSA,
    CP,
    CR,
    OIR,
    SC,
    SUBS,
    Dss,
    Uss,
    circle,
    new_id,
    square,
    volume4d,
)

# --------------------------------------------------------------------------- helpers


def oir(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    got: dict[str, Any] = response.json()["operational_intent_reference"]
    return got


def sub_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    got: dict[str, Any] = response.json()["subscription"]
    return got


def create_constraint(uss: Uss, *extents: dict[str, Any], cid: str | None = None) -> Any:
    body = {"extents": list(extents) or [volume4d()], "uss_base_url": uss.base}
    return uss.call("PUT", f"{CR}/{cid or new_id()}", body, scopes=(CM,))


def query_intents(uss: Uss, area: dict[str, Any]) -> list[str]:
    r = uss.call("POST", f"{OIR}/query", {"area_of_interest": area}, scopes=(SC,))
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["operational_intent_references"]]


def query_constraints(uss: Uss, area: dict[str, Any]) -> list[str]:
    r = uss.call("POST", f"{CR}/query", {"area_of_interest": area}, scopes=(CP,))
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["constraint_references"]]


def missing(response: Any) -> list[str]:
    assert response.status_code == 409, response.text
    return [x["id"] for x in response.json()["missing_operational_intents"]]


def neighbours_in_one_cell(gap_m: float = 100.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two 20 m circles ``gap_m`` apart (centre to centre) that share a level-13 cell:
    they do not intersect, but the reference DSS's grid calls them relevant."""
    dlng = gap_m / 77_000  # metres to degrees of longitude near 46° N
    for step in range(40):
        lng = 7.0 + step * 0.0007
        a, b = Circle(lng, 46.0, 20.0), Circle(lng + dlng, 46.0, 20.0)
        if set(cells_of(a)) & set(cells_of(b)):
            return circle(lng, 46.0, 20.0), circle(lng + dlng, 46.0, 20.0)
    raise AssertionError("no shared cell found near 7° E, 46° N")


# ------------------------------------------------- DSS0005,1 operational intent references


def test_DSS0005_1_create_answers_201_with_version_1_and_the_ovn_for_its_manager(
    dss: Dss,
) -> None:
    intent_id = new_id()
    got = oir(dss.alpha.create_intent(intent_id))
    assert (got["id"], got["manager"], got["version"], got["state"]) == (
        intent_id,
        "uss-alpha",
        1,
        "Accepted",
    )
    assert 16 <= len(got["ovn"]) <= 128 and got["ovn"] != NO_OVN_PHRASE
    assert got["subscription_id"] == NULL_SUBSCRIPTION_ID
    assert got["uss_availability"] == "Unknown"


def test_DSS0005_1_get_shows_the_ovn_only_to_the_manager(dss: Dss) -> None:
    intent_id = new_id()
    ovn = oir(dss.alpha.create_intent(intent_id))["ovn"]
    assert oir(dss.alpha.call("GET", f"{OIR}/{intent_id}"))["ovn"] == ovn
    assert oir(dss.beta.call("GET", f"{OIR}/{intent_id}"))["ovn"] == NO_OVN_PHRASE


def test_DSS0005_1_get_of_an_unknown_intent_is_404(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{OIR}/{new_id()}")
    assert r.status_code == 404
    assert set(r.json()) == {"message"}


def test_DSS0005_1_an_id_that_is_not_a_uuid4_is_400(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{OIR}/not-a-uuid")
    assert r.status_code == 400
    assert "entityid" in r.json()["message"]


def test_DSS0005_1_update_with_the_current_ovn_gives_the_next_version_and_a_new_ovn(
    dss: Dss,
) -> None:
    intent_id = new_id()
    first = oir(dss.alpha.create_intent(intent_id))
    r = dss.alpha.update_intent(intent_id, first["ovn"])
    assert r.status_code == 200
    assert oir(r)["version"] == 2 and oir(r)["ovn"] != first["ovn"]


def test_DSS0005_1_update_with_a_stale_ovn_is_409(dss: Dss) -> None:
    intent_id = new_id()
    ovn = oir(dss.alpha.create_intent(intent_id))["ovn"]
    dss.alpha.update_intent(intent_id, ovn)
    r = dss.alpha.update_intent(intent_id, ovn)
    assert r.status_code == 409
    assert "OVN" in r.json()["message"]


def test_DSS0005_1_update_of_an_unknown_intent_is_400(dss: Dss) -> None:
    r = dss.alpha.update_intent(new_id(), "o" * 44)
    assert r.status_code == 400
    assert "does not exist" in r.json()["message"]


def test_DSS0005_1_creating_an_existing_intent_again_is_409(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id)
    assert dss.alpha.create_intent(intent_id).status_code == 409


def test_DSS0005_1_a_new_intent_must_be_accepted(dss: Dss) -> None:
    r = dss.alpha.create_intent(
        state="Activated", new_subscription={"uss_base_url": dss.alpha.base}
    )
    assert r.status_code == 400
    assert "Accepted" in r.json()["message"]


def test_DSS0005_1_only_the_manager_may_update_or_delete(dss: Dss) -> None:
    intent_id = new_id()
    ovn = oir(dss.alpha.create_intent(intent_id))["ovn"]
    assert dss.beta.update_intent(intent_id, ovn).status_code == 403
    assert dss.beta.call("DELETE", f"{OIR}/{intent_id}/{ovn}").status_code == 403


def test_DSS0005_1_delete_answers_the_old_reference_and_removes_it(dss: Dss) -> None:
    intent_id = new_id()
    ovn = oir(dss.alpha.create_intent(intent_id))["ovn"]
    r = dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{ovn}")
    assert oir(r)["id"] == intent_id
    assert r.json()["subscribers"] == []
    assert dss.alpha.call("GET", f"{OIR}/{intent_id}").status_code == 404


def test_DSS0005_1_delete_with_a_stale_ovn_is_409(dss: Dss) -> None:
    intent_id = new_id()
    ovn = oir(dss.alpha.create_intent(intent_id))["ovn"]
    dss.alpha.update_intent(intent_id, ovn)
    assert dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{ovn}").status_code == 409


def test_DSS0005_1_delete_of_an_unknown_intent_is_404(dss: Dss) -> None:
    assert dss.alpha.call("DELETE", f"{OIR}/{new_id()}/{'o' * 44}").status_code == 404


def test_DSS0005_1_delete_with_an_empty_ovn_is_400_naming_the_ovn_not_a_redirect(
    dss: Dss,
) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id)
    r = dss.client.request(
        "DELETE", f"{OIR}/{intent_id}/", headers=dss.alpha.headers(), follow_redirects=False
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith("ovn: is required")
    assert dss.alpha.call("GET", f"{OIR}/{intent_id}").status_code == 200


def test_DSS0005_1_update_with_an_empty_ovn_is_400_naming_the_ovn(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id)
    r = dss.client.request(
        "PUT", f"{OIR}/{intent_id}/", headers=dss.alpha.headers(), follow_redirects=False
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith("ovn: is required")


def test_DSS0005_1_the_empty_ovn_path_still_needs_a_token(dss: Dss) -> None:
    r = dss.client.request("DELETE", f"{OIR}/{new_id()}/", follow_redirects=False)
    assert r.status_code == 401


def test_DSS0005_1_the_reference_spans_its_extents(dss: Dss) -> None:
    early = volume4d(start=5, end=20)
    late = volume4d(circle(7.01, 46.0), start=10, end=90)
    got = oir(dss.alpha.create_intent(extents=[late, early]))
    assert _t(got["time_start"]) == _t(early["time_start"])
    assert _t(got["time_end"]) == _t(late["time_end"])


def _t(t: dict[str, str]) -> datetime:
    return datetime.fromisoformat(t["value"].replace("Z", "+00:00"))


def test_DSS0005_1_an_intent_ending_in_the_future_is_valid_though_one_extent_has_ended(
    dss: Dss,
) -> None:
    # The whole intent (the union of its extents) is what must not have ended.
    flown = volume4d(start=-120, end=-60)
    ahead = volume4d(circle(7.01, 46.0), start=1, end=60 * 24 * 365 * 2)
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id, extents=[flown, ahead])
    assert r.status_code == 201, r.text
    r = dss.alpha.update_intent(intent_id, oir(r)["ovn"], extents=[flown, ahead])
    assert r.status_code == 200, r.text


def test_DSS0005_1_an_intent_whose_every_extent_has_ended_is_400(dss: Dss) -> None:
    r = dss.alpha.create_intent(
        extents=[volume4d(start=-120, end=-60), volume4d(circle(7.01, 46.0), start=-50, end=-1)]
    )
    assert r.status_code == 400
    assert "extents: the operational intent ends at" in r.json()["message"]
    assert "in the past" in r.json()["message"]


def test_DSS0005_1_an_extent_ending_before_it_starts_is_400_naming_it(dss: Dss) -> None:
    r = dss.alpha.create_intent(extents=[volume4d(), volume4d(start=30, end=20)])
    assert r.status_code == 400
    assert r.json()["message"].startswith("extents[1].time_end")


def test_DSS0005_1_the_plan_horizon_bounds_the_earliest_start(dss: Dss) -> None:
    month = 60 * 24 * 30
    soon = volume4d(start=1, end=60)
    far = volume4d(start=month + 60, end=month + 120)
    assert dss.alpha.create_intent(extents=[soon, far]).status_code == 201
    r = dss.alpha.create_intent(extents=[far])
    assert r.status_code == 400
    assert "plan horizon" in r.json()["message"]


# ----------------------------------------------------- DSS0005,2 searching intent references


def test_DSS0005_2_query_returns_an_intent_sharing_a_grid_cell_though_not_intersecting(
    dss: Dss,
) -> None:
    here, there = neighbours_in_one_cell()
    intent_id = new_id()
    dss.alpha.create_intent(intent_id, extents=[volume4d(here)])
    assert query_intents(dss.beta, volume4d(there)) == [intent_id]


def test_DSS0005_2_query_leaves_out_other_cells_times_and_altitudes(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id, extents=[volume4d(start=1, end=30, lo=0, hi=120)])
    assert query_intents(dss.beta, volume4d(circle(9.0, 46.0))) == []
    assert query_intents(dss.beta, volume4d(start=31, end=60)) == []
    assert query_intents(dss.beta, volume4d(lo=121, hi=300)) == []
    assert query_intents(dss.beta, volume4d(start=29, end=60, lo=120, hi=300)) == [intent_id]


def test_DSS0005_2_relevance_is_of_the_whole_intent_as_the_reference_stores_it(
    dss: Dss,
) -> None:
    # Early over 7.0° E, late over 7.2° E: the reference DSS keeps one cell set and one
    # span per intent, so the intent is relevant over 7.0° E late too.
    intent_id = new_id()
    dss.alpha.create_intent(
        intent_id,
        extents=[volume4d(start=1, end=10), volume4d(circle(7.2, 46.0), start=50, end=60)],
    )
    assert query_intents(dss.beta, volume4d(start=50, end=60)) == [intent_id]


def test_DSS0005_2_query_shows_others_intents_without_their_ovn(dss: Dss) -> None:
    dss.alpha.create_intent()
    r = dss.beta.call("POST", f"{OIR}/query", {"area_of_interest": volume4d()})
    assert [x["ovn"] for x in r.json()["operational_intent_references"]] == [NO_OVN_PHRASE]


def test_DSS0005_2_query_returns_intents_whatever_their_state_or_time(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id, extents=[volume4d(start=1, end=5)])
    area = volume4d()
    del area["time_start"], area["time_end"]  # open time: all of it
    assert query_intents(dss.beta, area) == [intent_id]


def test_DSS0005_2_query_without_an_area_is_400(dss: Dss) -> None:
    assert dss.beta.call("POST", f"{OIR}/query", {}).status_code == 400


# ---------------------------------------------------------- SCD0035 the key (DSS side)


def test_SCD0035_a_key_lacking_a_relevant_intent_is_409_listing_it_without_its_ovn(
    dss: Dss,
) -> None:
    theirs = new_id()
    dss.alpha.create_intent(theirs)
    r = dss.beta.create_intent()
    assert missing(r) == [theirs]
    assert r.json()["missing_operational_intents"][0]["ovn"] == NO_OVN_PHRASE
    assert r.json()["missing_constraints"] == []


def test_SCD0035_an_intent_100_m_away_in_the_same_cell_must_be_keyed(dss: Dss) -> None:
    here, there = neighbours_in_one_cell(100.0)
    theirs, mine = new_id(), new_id()
    dss.alpha.create_intent(theirs, extents=[volume4d(here)])
    created = dss.beta.create_intent(mine, extents=[volume4d(circle(7.5, 46.0))])
    r = dss.beta.update_intent(mine, oir(created)["ovn"], extents=[volume4d(there)])
    assert missing(r) == [theirs]


def test_SCD0035_the_key_needs_exactly_what_a_query_over_the_extent_shows(dss: Dss) -> None:
    here, there = neighbours_in_one_cell(100.0)
    ovns: dict[str, str] = {}
    for extent in (
        volume4d(here),  # same cell
        volume4d(there, lo=100, hi=200),  # same cell, altitudes meet
        volume4d(there, lo=500, hi=600),  # same cell, above
        volume4d(there, start=70, end=80),  # same cell, later
        volume4d(circle(8.0, 46.0)),  # elsewhere
    ):
        intent_id = new_id()
        r = dss.alpha.create_intent(intent_id, extents=[extent], key=list(ovns.values()))
        ovns[intent_id] = oir(r)["ovn"]
    wanted = volume4d(there)
    shown = query_intents(dss.beta, wanted)
    assert sorted(missing(dss.beta.create_intent(extents=[wanted]))) == sorted(shown)
    assert len(shown) == 2
    r = dss.beta.create_intent(extents=[wanted], key=[ovns[i] for i in shown])
    assert r.status_code == 201, r.text


def test_SCD0035_the_current_ovn_admits_the_write_and_extra_ovns_are_ignored(
    dss: Dss,
) -> None:
    ovn = oir(dss.alpha.create_intent())["ovn"]
    assert dss.beta.create_intent(key=[ovn, "an-extra-ovn-is-ignored"]).status_code == 201


def test_SCD0035_a_superseded_ovn_does_not_count(dss: Dss) -> None:
    theirs = new_id()
    old = oir(dss.alpha.create_intent(theirs))["ovn"]
    dss.alpha.update_intent(theirs, old)
    assert missing(dss.beta.create_intent(key=[old])) == [theirs]


def test_SCD0035_an_intent_in_a_shared_cell_but_apart_in_time_or_altitude_needs_no_key(
    dss: Dss,
) -> None:
    dss.alpha.create_intent(extents=[volume4d(start=1, end=30, lo=0, hi=100)])
    assert dss.beta.create_intent(extents=[volume4d(start=31, end=60)]).status_code == 201
    above = volume4d(start=1, end=30, lo=101, hi=200)
    assert dss.beta.create_intent(extents=[above]).status_code == 201


def test_SCD0035_the_key_covers_all_extents_at_once(dss: Dss) -> None:
    # A relevant intent under the second extent only is missing too.
    theirs = new_id()
    dss.alpha.create_intent(theirs, extents=[volume4d(circle(7.3, 46.0))])
    r = dss.beta.create_intent(extents=[volume4d(circle(7.6, 46.0)), volume4d(circle(7.3, 46.0))])
    assert missing(r) == [theirs]


def test_SCD0035_activating_needs_the_key_too(dss: Dss) -> None:
    mine = new_id()
    sub = {"uss_base_url": dss.beta.base}
    ovn = oir(dss.beta.create_intent(mine, new_subscription=sub))["ovn"]
    theirs = new_id()
    dss.alpha.create_intent(theirs, key=[ovn])
    r = dss.beta.update_intent(mine, ovn, state="Activated", new_subscription=sub)
    assert missing(r) == [theirs]


def test_SCD0035_accepted_intents_of_a_down_uss_need_no_key(dss: Dss) -> None:
    dss.alpha.create_intent()
    path = "/dss/v1/uss_availability/uss-alpha"
    r = dss.beta.call("PUT", path, {"old_version": "", "availability": "Down"}, scopes=(AA,))
    assert r.status_code == 200
    assert dss.beta.create_intent().status_code == 201


def test_SCD0035_constraints_are_keyed_only_by_a_uss_that_processes_them(dss: Dss) -> None:
    here, there = neighbours_in_one_cell(100.0)
    cid = new_id()
    created = create_constraint(dss.alpha, volume4d(here), cid=cid)
    ovn = created.json()["constraint_reference"]["ovn"]
    plain = {"uss_base_url": dss.beta.base}
    first = dss.beta.create_intent(extents=[volume4d(there)], new_subscription=plain)
    mine = oir(first)["ovn"]  # later writes there must key it too
    processing = {"uss_base_url": dss.beta.base, "notify_for_constraints": True}
    r = dss.beta.create_intent(extents=[volume4d(there)], new_subscription=processing, key=[mine])
    assert r.status_code == 409, r.text
    assert [c["id"] for c in r.json()["missing_constraints"]] == [cid]
    r = dss.beta.create_intent(
        extents=[volume4d(there)], new_subscription=processing, key=[mine, ovn]
    )
    assert r.status_code == 201, r.text


# -------------------------------------------------------------- SCD0100 off-nominal states


def test_SCD0100_nonconforming_and_contingent_need_the_cmsa_scope(dss: Dss) -> None:
    intent_id = new_id()
    sub = {"uss_base_url": dss.alpha.base}
    ovn = oir(dss.alpha.create_intent(intent_id, new_subscription=sub))["ovn"]
    for state in ("Nonconforming", "Contingent"):
        r = dss.alpha.update_intent(intent_id, ovn, state=state, new_subscription=sub, scopes=(SC,))
        assert r.status_code == 403
        assert "conformance_monitoring_sa" in r.json()["message"]


def test_SCD0100_off_nominal_states_need_no_key(dss: Dss) -> None:
    intent_id = new_id()
    sub = {"uss_base_url": dss.beta.base}
    ovn = oir(dss.beta.create_intent(intent_id, new_subscription=sub))["ovn"]
    dss.alpha.create_intent(key=[ovn])
    r = dss.beta.update_intent(
        intent_id, ovn, state="Nonconforming", new_subscription=sub, scopes=(SC, CMSA)
    )
    assert r.status_code == 200, r.text


# ------------------------------------------------------------ DSS0005,5 subscriptions


def test_DSS0005_5_create_answers_200_with_a_version_and_index_0(dss: Dss) -> None:
    got = sub_of(dss.alpha.create_sub())
    assert got["version"] and got["notification_index"] == 0
    assert got["implicit_subscription"] is False


def test_DSS0005_5_creating_an_existing_subscription_again_is_409(dss: Dss) -> None:
    sub_id = new_id()
    dss.alpha.create_sub(sub_id)
    assert dss.alpha.create_sub(sub_id).status_code == 409


def test_DSS0005_5_a_subscription_must_ask_for_some_notification(dss: Dss) -> None:
    r = dss.alpha.create_sub(ops=False, constraints=False)
    assert r.status_code == 400
    assert "notify_for" in r.json()["message"]


def test_DSS0005_5_the_response_lists_only_the_kinds_it_notifies_for(dss: Dss) -> None:
    here, there = neighbours_in_one_cell()
    intent_id = new_id()
    dss.beta.create_intent(intent_id, extents=[volume4d(here)])
    ops = dss.alpha.create_sub(extent=volume4d(there)).json()
    assert [x["id"] for x in ops["operational_intent_references"]] == [intent_id]
    assert "constraint_references" not in ops
    cons = dss.alpha.create_sub(extent=volume4d(there), ops=False, constraints=True).json()
    assert "operational_intent_references" not in cons


def test_DSS0005_5_update_with_the_version_changes_it_and_keeps_the_index(dss: Dss) -> None:
    sub_id = new_id()
    version = sub_of(dss.alpha.create_sub(sub_id))["version"]
    dss.beta.create_intent()  # bumps the index
    r = dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _sub_body(dss.alpha))
    got = sub_of(r)
    assert got["version"] != version and got["notification_index"] == 1


def _sub_body(uss: Uss, extent: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "extents": extent or volume4d(),
        "uss_base_url": uss.base,
        "notify_for_operational_intents": True,
        "notify_for_constraints": False,
    }


def test_DSS0005_5_update_with_a_stale_version_is_409(dss: Dss) -> None:
    sub_id = new_id()
    version = sub_of(dss.alpha.create_sub(sub_id))["version"]
    sub_of(dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _sub_body(dss.alpha)))
    r = dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _sub_body(dss.alpha))
    assert r.status_code == 409


def test_DSS0005_5_update_of_an_unknown_subscription_is_400(dss: Dss) -> None:
    r = dss.alpha.call("PUT", f"{SUBS}/{new_id()}/v1", _sub_body(dss.alpha))
    assert r.status_code == 400


def test_DSS0005_5_only_the_owner_may_get_update_or_delete(dss: Dss) -> None:
    sub_id = new_id()
    version = sub_of(dss.alpha.create_sub(sub_id))["version"]
    assert dss.beta.call("GET", f"{SUBS}/{sub_id}").status_code == 403
    r = dss.beta.call("PUT", f"{SUBS}/{sub_id}/{version}", _sub_body(dss.beta))
    assert r.status_code == 403
    assert dss.beta.call("DELETE", f"{SUBS}/{sub_id}/{version}").status_code == 403


def test_DSS0005_5_another_uss_deleting_is_403_before_any_version_check(dss: Dss) -> None:
    # The reference DSS checks the owner first on delete: another USS learns nothing
    # about the subscription's version.
    sub_id = sub_of(dss.alpha.create_sub())["id"]
    assert dss.beta.call("DELETE", f"{SUBS}/{sub_id}/stale").status_code == 403


def test_DSS0005_5_get_of_an_unknown_subscription_is_404(dss: Dss) -> None:
    assert dss.alpha.call("GET", f"{SUBS}/{new_id()}").status_code == 404


def test_DSS0005_5_delete_answers_the_subscription_and_removes_it(dss: Dss) -> None:
    sub_id = new_id()
    version = sub_of(dss.alpha.create_sub(sub_id))["version"]
    assert sub_of(dss.alpha.call("DELETE", f"{SUBS}/{sub_id}/{version}"))["id"] == sub_id
    assert dss.alpha.call("GET", f"{SUBS}/{sub_id}").status_code == 404


def test_DSS0005_5_delete_with_a_stale_version_is_409_and_unknown_is_404(dss: Dss) -> None:
    sub_id = new_id()
    dss.alpha.create_sub(sub_id)
    assert dss.alpha.call("DELETE", f"{SUBS}/{sub_id}/stale").status_code == 409
    assert dss.alpha.call("DELETE", f"{SUBS}/{new_id()}/stale").status_code == 404


def test_DSS0005_5_delete_or_update_with_an_empty_version_is_400_naming_it(dss: Dss) -> None:
    sub_id = new_id()
    dss.alpha.create_sub(sub_id)
    for method in ("DELETE", "PUT"):
        r = dss.client.request(
            method, f"{SUBS}/{sub_id}/", headers=dss.alpha.headers(), follow_redirects=False
        )
        assert r.status_code == 400, (method, r.text)
        assert r.json()["message"].startswith("version: is required")
    assert dss.alpha.call("GET", f"{SUBS}/{sub_id}").status_code == 200


def test_DSS0005_5_query_returns_only_the_callers_current_subscriptions(dss: Dss) -> None:
    mine = sub_of(dss.alpha.create_sub())["id"]
    dss.beta.create_sub()
    r = dss.alpha.call("POST", f"{SUBS}/query", {"area_of_interest": volume4d()})
    assert [s["id"] for s in r.json()["subscriptions"]] == [mine]


def test_DSS0005_5_a_subscription_may_not_start_more_than_5_minutes_ago(dss: Dss) -> None:
    r = dss.alpha.create_sub(extent=volume4d(start=-10, end=60))
    assert r.status_code == 400
    assert "extents.time_start" in r.json()["message"]


def test_DSS0005_5_a_subscription_that_has_ended_is_400(dss: Dss) -> None:
    r = dss.alpha.create_sub(extent=volume4d(start=-4, end=-1))
    assert r.status_code == 400
    assert "extents.time_end" in r.json()["message"]


def test_DSS0015_a_subscription_may_last_at_most_24_hours(dss: Dss) -> None:
    r = dss.alpha.create_sub(extent=volume4d(start=1, end=60 * 24 + 2))
    assert r.status_code == 400
    assert "24 hours" in r.json()["message"]
    assert dss.alpha.create_sub(extent=volume4d(start=1, end=60 * 24)).status_code == 200


def test_DSS0005_5_each_change_bumps_the_index_of_the_subscriptions_it_touches(
    dss: Dss,
) -> None:
    sub_id = sub_of(dss.alpha.create_sub())["id"]
    intent_id = new_id()
    r = dss.beta.create_intent(intent_id)
    assert r.json()["subscribers"] == [
        {
            "uss_base_url": dss.alpha.base,
            "subscriptions": [{"subscription_id": sub_id, "notification_index": 1}],
        }
    ]
    ovn = oir(r)["ovn"]
    r = dss.beta.call("DELETE", f"{OIR}/{intent_id}/{ovn}")
    assert r.json()["subscribers"][0]["subscriptions"][0]["notification_index"] == 2


# -------------------------------------------------- DSS0005,5 implicit subscriptions


def test_DSS0005_5_new_subscription_creates_an_implicit_one_serving_the_intent(
    dss: Dss,
) -> None:
    intent_id = new_id()
    got = oir(dss.alpha.create_intent(intent_id, new_subscription={"uss_base_url": dss.alpha.base}))
    sub = sub_of(dss.alpha.call("GET", f"{SUBS}/{got['subscription_id']}"))
    assert sub["implicit_subscription"] is True
    assert sub["notify_for_operational_intents"] is True
    assert sub["dependent_operational_intents"] == [intent_id]


def test_DSS0005_5_an_implicit_subscription_goes_with_its_last_intent(dss: Dss) -> None:
    intent_id = new_id()
    got = oir(dss.alpha.create_intent(intent_id, new_subscription={"uss_base_url": dss.alpha.base}))
    dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{got['ovn']}")
    assert dss.alpha.call("GET", f"{SUBS}/{got['subscription_id']}").status_code == 404


def test_DSS0005_5_an_implicit_subscription_grows_to_cover_an_intent_that_uses_it(
    dss: Dss,
) -> None:
    first = oir(dss.alpha.create_intent(new_subscription={"uss_base_url": dss.alpha.base}))
    wider = volume4d(circle(7.0, 46.0, 3000.0), start=1, end=240)
    r = dss.alpha.create_intent(
        extents=[wider], subscription_id=first["subscription_id"], key=[first["ovn"]]
    )
    assert oir(r)["subscription_id"] == first["subscription_id"]
    sub = sub_of(dss.alpha.call("GET", f"{SUBS}/{first['subscription_id']}"))
    assert _t(sub["time_end"]) == _t(wider["time_end"])
    assert sorted(sub["dependent_operational_intents"]) == sorted([first["id"], oir(r)["id"]])


def test_DSS0005_5_an_explicit_subscription_must_already_cover_the_intent(dss: Dss) -> None:
    sub_id = sub_of(dss.alpha.create_sub(extent=volume4d(circle(9.0, 46.0))))["id"]
    r = dss.alpha.create_intent(subscription_id=sub_id)
    assert r.status_code == 400
    assert "does not cover" in r.json()["message"]


def test_DSS0005_5_another_uss_subscription_cannot_serve_an_intent(dss: Dss) -> None:
    sub_id = sub_of(dss.beta.create_sub())["id"]
    assert dss.alpha.create_intent(subscription_id=sub_id).status_code == 403


def test_DSS0005_5_an_implicit_subscription_a_uss_updates_is_its_own_and_outlives_the_intent(
    dss: Dss,
) -> None:
    intent_id = new_id()
    got = oir(dss.alpha.create_intent(intent_id, new_subscription={"uss_base_url": dss.alpha.base}))
    sub_id = got["subscription_id"]
    version = sub_of(dss.alpha.call("GET", f"{SUBS}/{sub_id}"))["version"]
    taken = sub_of(
        dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _sub_body(dss.alpha, volume4d()))
    )
    assert taken["implicit_subscription"] is False
    assert dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{got['ovn']}").status_code == 200
    kept = sub_of(dss.alpha.call("GET", f"{SUBS}/{sub_id}"))
    assert kept["version"] == taken["version"]
    assert kept["dependent_operational_intents"] == []


def test_DSS0005_5_a_subscription_serving_intents_cannot_be_deleted(dss: Dss) -> None:
    got = oir(dss.alpha.create_intent(new_subscription={"uss_base_url": dss.alpha.base}))
    sub = sub_of(dss.alpha.call("GET", f"{SUBS}/{got['subscription_id']}"))
    r = dss.alpha.call("DELETE", f"{SUBS}/{sub['id']}/{sub['version']}")
    assert r.status_code == 400
    assert got["id"] in r.json()["message"]


def test_DSS0005_5_an_update_must_keep_covering_the_dependent_intents(dss: Dss) -> None:
    got = oir(dss.alpha.create_intent(new_subscription={"uss_base_url": dss.alpha.base}))
    sub = sub_of(dss.alpha.call("GET", f"{SUBS}/{got['subscription_id']}"))
    elsewhere = _sub_body(dss.alpha, volume4d(circle(9.0, 46.0)))
    r = dss.alpha.call("PUT", f"{SUBS}/{sub['id']}/{sub['version']}", elsewhere)
    assert r.status_code == 400
    assert "no longer cover" in r.json()["message"]


# ----------------------------------------------- DSS0005,3 constraint references


def test_DSS0005_3_create_answers_201_with_version_1_and_the_managers_ovn(dss: Dss) -> None:
    r = create_constraint(dss.alpha)
    assert r.status_code == 201, r.text
    got = r.json()["constraint_reference"]
    assert got["version"] == 1 and got["manager"] == "uss-alpha" and got["ovn"] != NO_OVN_PHRASE


def test_DSS0005_3_writing_needs_the_constraint_management_scope(dss: Dss) -> None:
    body = {"extents": [volume4d()], "uss_base_url": dss.alpha.base}
    r = dss.alpha.call("PUT", f"{CR}/{new_id()}", body, scopes=(CP, SC))
    assert r.status_code == 403


def test_DSS0005_3_update_stale_or_unknown_is_409_and_another_manager_is_403(
    dss: Dss,
) -> None:
    cid = new_id()
    ovn = create_constraint(dss.alpha, cid=cid).json()["constraint_reference"]["ovn"]
    body = {"extents": [volume4d()], "uss_base_url": dss.alpha.base}
    assert dss.beta.call("PUT", f"{CR}/{cid}/{ovn}", body, scopes=(CM,)).status_code == 403
    r = dss.alpha.call("PUT", f"{CR}/{cid}/{ovn}", body, scopes=(CM,))
    assert r.status_code == 200 and r.json()["constraint_reference"]["version"] == 2
    assert dss.alpha.call("PUT", f"{CR}/{cid}/{ovn}", body, scopes=(CM,)).status_code == 409
    r = dss.alpha.call("PUT", f"{CR}/{new_id()}/{ovn}", body, scopes=(CM,))
    assert r.status_code == 409


def test_DSS0005_3_delete_removes_it_and_stale_unknown_or_empty_ovns_fail(dss: Dss) -> None:
    cid = new_id()
    ovn = create_constraint(dss.alpha, cid=cid).json()["constraint_reference"]["ovn"]
    headers = dss.alpha.headers(CM)
    r = dss.client.request("DELETE", f"{CR}/{cid}/", headers=headers, follow_redirects=False)
    assert r.status_code == 400 and r.json()["message"].startswith("ovn: is required")
    assert dss.alpha.call("DELETE", f"{CR}/{cid}/stale" + "x" * 16, scopes=(CM,)).status_code == 409
    assert dss.alpha.call("DELETE", f"{CR}/{new_id()}/{ovn}", scopes=(CM,)).status_code == 404
    assert dss.alpha.call("DELETE", f"{CR}/{cid}/{ovn}", scopes=(CM,)).status_code == 200
    assert dss.alpha.call("GET", f"{CR}/{cid}", scopes=(CP,)).status_code == 404


def test_DSS0005_3_update_with_an_empty_ovn_is_400_naming_the_ovn(dss: Dss) -> None:
    cid = new_id()
    create_constraint(dss.alpha, cid=cid)
    body = {"extents": [volume4d()], "uss_base_url": dss.alpha.base}
    r = dss.client.request(
        "PUT", f"{CR}/{cid}/", json=body, headers=dss.alpha.headers(CM), follow_redirects=False
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith("ovn: is required")


def test_DSS0005_3_a_constraint_ending_in_the_future_is_valid_though_one_extent_ended(
    dss: Dss,
) -> None:
    r = create_constraint(
        dss.alpha, volume4d(start=-120, end=-60), volume4d(circle(7.01, 46.0), start=1, end=600)
    )
    assert r.status_code == 201, r.text


def test_DSS0005_3_a_constraint_whose_every_extent_ended_is_400(dss: Dss) -> None:
    r = create_constraint(dss.alpha, volume4d(start=-120, end=-60))
    assert r.status_code == 400
    assert "extents: the constraint ends at" in r.json()["message"]


def test_DSS0005_3_others_see_a_constraint_without_its_ovn(dss: Dss) -> None:
    cid = new_id()
    create_constraint(dss.alpha, cid=cid)
    got = dss.beta.call("GET", f"{CR}/{cid}", scopes=(CP,)).json()["constraint_reference"]
    assert got["ovn"] == NO_OVN_PHRASE


# ------------------------------------------------ DSS0005,4 searching constraint references


def test_DSS0005_4_query_returns_a_constraint_sharing_a_grid_cell_whatever_its_altitude(
    dss: Dss,
) -> None:
    here, there = neighbours_in_one_cell()
    cid = new_id()
    create_constraint(dss.alpha, volume4d(here, lo=500, hi=600), cid=cid)
    assert query_constraints(dss.beta, volume4d(there, lo=0, hi=10)) == [cid]
    assert query_constraints(dss.beta, volume4d(there, start=70, end=80)) == []
    assert query_constraints(dss.beta, volume4d(circle(9.0, 46.0))) == []


# ----------------------------------------------------------- DSS0100,1 USS availability


def test_DSS0100_1_an_unknown_uss_is_unknown_with_an_empty_version(dss: Dss) -> None:
    r = dss.alpha.call("GET", "/dss/v1/uss_availability/nobody", scopes=(SC,))
    assert r.json() == {"status": {"uss": "nobody", "availability": "Unknown"}, "version": ""}


def test_DSS0100_1_availability_is_set_with_the_current_version(dss: Dss) -> None:
    path = "/dss/v1/uss_availability/uss-beta"
    r = dss.alpha.call("PUT", path, {"old_version": "", "availability": "Normal"}, scopes=(AA,))
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    stale = dss.alpha.call("PUT", path, {"old_version": "", "availability": "Down"}, scopes=(AA,))
    assert stale.status_code == 409
    r = dss.alpha.call("PUT", path, {"old_version": version, "availability": "Down"}, scopes=(AA,))
    assert r.json()["status"]["availability"] == "Down"


def test_DSS0100_1_setting_availability_needs_the_arbitration_scope(dss: Dss) -> None:
    path = "/dss/v1/uss_availability/uss-beta"
    r = dss.alpha.call("PUT", path, {"old_version": "", "availability": "Down"}, scopes=(SC,))
    assert r.status_code == 403


def test_DSS0100_1_an_unknown_availability_state_is_400(dss: Dss) -> None:
    path = "/dss/v1/uss_availability/uss-beta"
    r = dss.alpha.call("PUT", path, {"old_version": "", "availability": "Away"}, scopes=(AA,))
    assert r.status_code == 400
    assert "availability" in r.json()["message"]


# -------------------------------------------------------------- makeDssReport (reports)


def test_makeDssReport_answers_201_with_a_report_id(dss: Dss) -> None:
    exchange = {
        "url": "https://uss.example.com/uss/v1/operational_intents/x",
        "method": "GET",
        "headers": [],
        "recorder_role": "Client",
        "request_time": {"value": "2026-01-01T00:00:00Z", "format": "RFC3339"},
        "problem": "timeout",
    }
    r = dss.alpha.call("POST", "/dss/v1/reports", {"exchange": exchange}, scopes=(SC,))
    assert r.status_code == 201, r.text
    assert r.json()["report_id"]


# ------------------------------------------------------------------- limits and errors


def test_limit_a_footprint_over_2500_km2_is_400_on_put_and_query(dss: Dss) -> None:
    big = volume4d(square(7.0, 46.0, 0.5))
    r = dss.alpha.create_intent(extents=[big])
    assert r.status_code == 400 and "km²" in r.json()["message"]
    r = dss.alpha.call("POST", f"{OIR}/query", {"area_of_interest": big})
    assert r.status_code == 400


def test_limit_a_subscription_query_over_2500_km2_is_413(dss: Dss) -> None:
    r = dss.alpha.call(
        "POST", f"{SUBS}/query", {"area_of_interest": volume4d(square(7.0, 46.0, 0.5))}
    )
    assert r.status_code == 413


def test_errors_no_token_is_401_and_a_wrong_scope_is_403_each_with_a_message(dss: Dss) -> None:
    r = dss.client.get(f"{OIR}/{new_id()}")
    assert r.status_code == 401 and set(r.json()) == {"message"}
    r = dss.alpha.call("GET", f"{OIR}/{new_id()}", scopes=(CM,))
    assert r.status_code == 403 and set(r.json()) == {"message"}


def test_errors_a_malformed_body_is_400_not_422(dss: Dss) -> None:
    r = dss.alpha.call("PUT", f"{OIR}/{new_id()}", {"extents": "nonsense"})
    assert r.status_code == 400
    assert "extents" in r.json()["message"]


def test_errors_a_trailing_slash_is_a_404_that_says_so_never_a_redirect(dss: Dss) -> None:
    r = dss.client.get(f"{OIR}/{new_id()}/", headers=dss.alpha.headers(), follow_redirects=False)
    assert r.status_code == 404
    assert "no trailing slash" in r.json()["message"]


def test_errors_a_method_a_path_does_not_take_is_405_naming_the_ones_it_does(dss: Dss) -> None:
    r = dss.client.request(
        "PATCH", f"{OIR}/{new_id()}", headers=dss.alpha.headers(), follow_redirects=False
    )
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PUT"
    assert "PATCH is not allowed" in r.json()["message"]


def test_errors_the_whole_service_answers_a_trailing_slash_without_redirecting(
    client: TestClient, auth: Headers
) -> None:
    native = client.get("/v1/operations/", headers=auth(), follow_redirects=False)
    assert native.status_code == 404, native.text
    dss = client.request(
        "DELETE", f"{OIR}/{new_id()}/", headers=auth("uss", SC), follow_redirects=False
    )
    assert dss.status_code == 400, dss.text
    assert dss.json()["message"].startswith("ovn: is required")


def test_DSS0005_5_subscribers_are_grouped_by_uss_base_url(dss: Dss) -> None:
    one = sub_of(dss.beta.create_sub())["id"]
    two = sub_of(dss.beta.create_sub())["id"]
    other = sub_of(dss.beta.create_sub(base="https://other.example.com"))["id"]
    subscribers = dss.alpha.create_intent().json()["subscribers"]
    by_url = {
        s["uss_base_url"]: sorted(x["subscription_id"] for x in s["subscriptions"])
        for s in subscribers
    }
    assert by_url == {dss.beta.base: sorted([one, two]), "https://other.example.com": [other]}


def test_DSS0100_1_the_managers_availability_shows_in_its_intents(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id)
    path = "/dss/v1/uss_availability/uss-alpha"
    dss.beta.call("PUT", path, {"old_version": "", "availability": "Normal"}, scopes=(AA,))
    assert oir(dss.beta.call("GET", f"{OIR}/{intent_id}"))["uss_availability"] == "Normal"


def test_DSS0005_1_ids_in_other_uuid_spellings_come_back_canonical(dss: Dss) -> None:
    intent_id = new_id()
    r = dss.alpha.call("PUT", f"{OIR}/{intent_id.replace('-', '').upper()}", _intent())
    assert oir(r)["id"] == intent_id


def _intent(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extents": [volume4d()],
        "state": "Accepted",
        "uss_base_url": "https://alpha.example.com/utm",
        **extra,
    }
    return body


def test_errors_unknown_fields_are_ignored_and_null_means_absent(dss: Dss) -> None:
    r = dss.alpha.call(
        "PUT",
        f"{OIR}/{new_id()}",
        _intent(key=None, subscription_id=None, notify_for_operations=True, old_version=3),
    )
    assert r.status_code == 201, r.text


def test_limit_a_circle_over_2500_km2_is_400_too(dss: Dss) -> None:
    r = dss.alpha.create_intent(extents=[volume4d(circle(radius=30_000))])
    assert r.status_code == 400
    assert "km²" in r.json()["message"]


def test_limit_a_request_body_over_4_mib_is_413(dss: Dss) -> None:
    body = _intent(padding="x" * (4 * 1024 * 1024 + 1))
    r = dss.alpha.call("PUT", f"{OIR}/{new_id()}", body)
    assert r.status_code == 413
    assert "4 MiB" in r.json()["message"]


def test_limit_altitudes_are_metres_above_wgs84(dss: Dss) -> None:
    extent = volume4d()
    extent["volume"]["altitude_lower"] = {"value": 0, "reference": "W84", "units": "FT"}
    r = dss.alpha.create_intent(extents=[extent])
    assert r.status_code == 400
    assert "altitude_lower" in r.json()["message"]


def test_errors_each_endpoint_family_answers_403_to_a_token_without_its_scopes(
    dss: Dss,
) -> None:
    area = {"area_of_interest": volume4d()}
    cases = [
        ("POST", f"{OIR}/query", area, (CM,)),  # intents: SC or CMSA
        ("POST", f"{CR}/query", area, (SC,)),  # constraints: CM or CP
        ("POST", f"{SUBS}/query", area, (CM,)),  # subscriptions: CP or SC
        ("GET", "/dss/v1/uss_availability/uss-beta", None, (CP,)),  # AA, SC or CMSA
    ]
    for method, path, body, scopes in cases:
        r = dss.alpha.call(method, path, body, scopes=scopes)
        assert r.status_code == 403, (path, r.text)
        assert set(r.json()) == {"message"}
