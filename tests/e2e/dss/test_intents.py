"""Operational intent references: lifecycle, OVNs, ownership, states and the key."""

from __future__ import annotations

from typing import Any

from deconflict.dss.records import NO_OVN_PHRASE, NULL_SUBSCRIPTION_ID
from tests.e2e.dss.conftest import CMSA, OIR, SC, SUBS, Dss, circle, new_id, square, volume4d


def ref(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body["operational_intent_reference"]  # type: ignore[no-any-return]


def test_create_answers_201_with_the_manager_version_1_and_the_managers_ovn(dss: Dss) -> None:
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id)
    assert r.status_code == 201, r.text
    got = ref(r)
    assert got["id"] == intent_id
    assert got["manager"] == "uss-alpha"
    assert got["version"] == 1
    assert got["state"] == "Accepted"
    assert 16 <= len(got["ovn"]) <= 128 and got["ovn"] != NO_OVN_PHRASE
    assert got["uss_availability"] == "Unknown"
    assert got["subscription_id"] == NULL_SUBSCRIPTION_ID
    assert r.json()["subscribers"] == []


def test_every_write_gets_a_new_ovn_and_the_next_version(dss: Dss) -> None:
    intent_id = new_id()
    first = ref(dss.alpha.create_intent(intent_id))
    r = dss.alpha.update_intent(intent_id, first["ovn"])
    assert r.status_code == 200, r.text
    second = ref(r)
    assert second["version"] == 2
    assert second["ovn"] != first["ovn"]


def test_creating_an_existing_intent_is_a_conflict(dss: Dss) -> None:
    intent_id = new_id()
    assert dss.alpha.create_intent(intent_id).status_code == 201
    r = dss.alpha.create_intent(intent_id)
    assert r.status_code == 409
    assert "already exists" in r.json()["message"]


def test_a_new_intent_must_be_accepted(dss: Dss) -> None:
    r = dss.alpha.create_intent(
        state="Activated", new_subscription={"uss_base_url": dss.alpha.base}
    )
    assert r.status_code == 400
    assert "Accepted" in r.json()["message"]


def test_ended_is_not_a_state_ending_is_delete(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    r = dss.alpha.update_intent(intent_id, ovn, state="Ended")
    assert r.status_code == 400
    assert "state" in r.json()["message"]


def test_update_with_a_stale_ovn_is_a_conflict(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    assert dss.alpha.update_intent(intent_id, ovn).status_code == 200
    r = dss.alpha.update_intent(intent_id, ovn)
    assert r.status_code == 409
    assert "OVN" in r.json()["message"]


def test_updating_a_missing_intent_is_a_bad_request(dss: Dss) -> None:
    r = dss.alpha.update_intent(new_id(), "x" * 43)
    assert r.status_code == 400
    assert "does not exist" in r.json()["message"]


def test_only_the_manager_may_update(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    r = dss.beta.update_intent(intent_id, ovn)
    assert r.status_code == 403
    assert "another USS" in r.json()["message"]


def test_only_the_manager_may_delete(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    r = dss.beta.call("DELETE", f"{OIR}/{intent_id}/{ovn}")
    assert r.status_code == 403


def test_delete_returns_the_old_reference_and_removes_it(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    r = dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{ovn}")
    assert r.status_code == 200, r.text
    assert ref(r)["id"] == intent_id and ref(r)["ovn"] == ovn
    assert dss.alpha.call("GET", f"{OIR}/{intent_id}").status_code == 404


def test_delete_with_a_stale_ovn_is_a_conflict(dss: Dss) -> None:
    intent_id = new_id()
    dss.alpha.create_intent(intent_id)
    r = dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{'y' * 43}")
    assert r.status_code == 409


def test_deleting_a_missing_intent_is_not_found(dss: Dss) -> None:
    assert dss.alpha.call("DELETE", f"{OIR}/{new_id()}/{'y' * 43}").status_code == 404


def test_others_see_the_ovn_as_available_from_uss(dss: Dss) -> None:
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    assert ref(dss.alpha.call("GET", f"{OIR}/{intent_id}"))["ovn"] == ovn
    assert ref(dss.beta.call("GET", f"{OIR}/{intent_id}"))["ovn"] == NO_OVN_PHRASE


def test_getting_a_missing_intent_is_not_found(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{OIR}/{new_id()}")
    assert r.status_code == 404
    assert set(r.json()) == {"message"}


# --- the key ------------------------------------------------------------------------


def test_an_intersecting_intent_without_its_ovn_in_the_key_is_a_409_listing_it(dss: Dss) -> None:
    theirs = new_id()
    dss.alpha.create_intent(theirs)
    r = dss.beta.create_intent()
    assert r.status_code == 409, r.text
    body = r.json()
    assert [m["id"] for m in body["missing_operational_intents"]] == [theirs]
    assert body["missing_operational_intents"][0]["ovn"] == NO_OVN_PHRASE
    assert body["missing_constraints"] == []


def test_the_key_with_the_current_ovn_admits_the_write(dss: Dss) -> None:
    ovn = ref(dss.alpha.create_intent())["ovn"]
    assert dss.beta.create_intent(key=[ovn, "an-extra-ovn-is-ignored"]).status_code == 201


def test_an_old_ovn_in_the_key_does_not_count(dss: Dss) -> None:
    theirs = new_id()
    old = ref(dss.alpha.create_intent(theirs))["ovn"]
    dss.alpha.update_intent(theirs, old)
    assert dss.beta.create_intent(key=[old]).status_code == 409


def test_intents_apart_in_time_altitude_or_space_need_no_key(dss: Dss) -> None:
    dss.alpha.create_intent(extents=[volume4d(circle(7.0, 46.0), start=1, end=30)])
    later = volume4d(circle(7.0, 46.0), start=31, end=60)
    above = volume4d(circle(7.0, 46.0), start=1, end=30, lo=200, hi=300)
    beside = volume4d(circle(7.02, 46.0), start=1, end=30)
    for extent in (later, above, beside):
        assert dss.beta.create_intent(extents=[extent]).status_code == 201


def test_the_key_check_is_by_grid_cell_not_exact(dss: Dss) -> None:
    # Two squares 2 m apart share S2 cells without intersecting: the reference DSS
    # (issue 15) counts the other one as relevant, so the key must hold its OVN.
    theirs = new_id()
    dss.alpha.create_intent(theirs, extents=[volume4d(square(7.0, 46.0, 0.001))])
    gap = 0.002 + 2 / 111_000
    neighbour = volume4d(square(7.0 + gap, 46.0, 0.001))
    r = dss.beta.create_intent(extents=[neighbour])
    assert r.status_code == 409, r.text
    assert [m["id"] for m in r.json()["missing_operational_intents"]] == [theirs]


def test_activating_needs_the_key_too(dss: Dss) -> None:
    mine = new_id()
    sub = {"uss_base_url": dss.beta.base}
    ovn = ref(dss.beta.create_intent(mine, new_subscription=sub))["ovn"]
    dss.alpha.create_intent(key=[ovn])
    r = dss.beta.update_intent(mine, ovn, state="Activated", new_subscription=sub)
    assert r.status_code == 409


def test_off_nominal_states_need_the_conformance_monitoring_scope(dss: Dss) -> None:
    mine = new_id()
    sub = {"uss_base_url": dss.alpha.base}
    ovn = ref(dss.alpha.create_intent(mine, new_subscription=sub))["ovn"]
    r = dss.alpha.update_intent(
        mine, ovn, state="Nonconforming", new_subscription=sub, scopes=(SC,)
    )
    assert r.status_code == 403
    assert "conformance_monitoring_sa" in r.json()["message"]


def test_off_nominal_states_need_no_key(dss: Dss) -> None:
    mine = new_id()
    sub = {"uss_base_url": dss.beta.base}
    ovn = ref(dss.beta.create_intent(mine, new_subscription=sub))["ovn"]
    dss.alpha.create_intent(key=[ovn])
    r = dss.beta.update_intent(
        mine, ovn, state="Contingent", new_subscription=sub, scopes=(SC, CMSA)
    )
    assert r.status_code == 200, r.text
    assert ref(r)["state"] == "Contingent"


def test_states_beyond_accepted_need_a_subscription(dss: Dss) -> None:
    mine = new_id()
    ovn = ref(dss.alpha.create_intent(mine))["ovn"]
    r = dss.alpha.update_intent(mine, ovn, state="Activated")
    assert r.status_code == 400
    assert "subscription" in r.json()["message"]


def test_subscription_id_and_new_subscription_are_exclusive(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub().json()["subscription"]["id"]
    r = dss.alpha.create_intent(
        subscription_id=sub_id, new_subscription={"uss_base_url": dss.alpha.base}
    )
    assert r.status_code == 400


def test_accepted_intents_of_a_down_uss_need_no_key(dss: Dss) -> None:
    dss.alpha.create_intent()
    r = dss.beta.call(
        "PUT", "/dss/v1/uss_availability/uss-alpha", {"old_version": "", "availability": "Down"}
    )
    assert r.status_code == 200, r.text
    assert dss.beta.create_intent().status_code == 201


# --- subscriptions attached to intents ----------------------------------------------


def test_new_subscription_creates_an_implicit_subscription_serving_the_intent(dss: Dss) -> None:
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id, new_subscription={"uss_base_url": dss.alpha.base})
    sub_id = ref(r)["subscription_id"]
    assert sub_id != NULL_SUBSCRIPTION_ID
    sub = dss.alpha.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]
    assert sub["implicit_subscription"] is True
    assert sub["notify_for_operational_intents"] is True
    assert sub["dependent_operational_intents"] == [intent_id]


def test_the_implicit_subscription_goes_with_its_last_intent(dss: Dss) -> None:
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id, new_subscription={"uss_base_url": dss.alpha.base})
    sub_id, ovn = ref(r)["subscription_id"], ref(r)["ovn"]
    assert dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{ovn}").status_code == 200
    assert dss.alpha.call("GET", f"{SUBS}/{sub_id}").status_code == 404


def test_an_implicit_subscription_grows_to_cover_a_larger_intent(dss: Dss) -> None:
    r = dss.alpha.create_intent(new_subscription={"uss_base_url": dss.alpha.base})
    sub_id = ref(r)["subscription_id"]
    wider = volume4d(circle(7.0, 46.0, 3000.0), start=1, end=240)
    r = dss.alpha.create_intent(extents=[wider], subscription_id=sub_id, key=[ref(r)["ovn"]])
    assert r.status_code == 201, r.text
    # A change where and when only the wider intent is now reaches the grown subscription.
    elsewhere = volume4d(circle(7.02, 46.0), start=200, end=220)
    r = dss.beta.create_intent(extents=[elsewhere], key=[ref(r)["ovn"]])
    assert r.status_code == 201, r.text
    notified = [s["subscription_id"] for x in r.json()["subscribers"] for s in x["subscriptions"]]
    assert notified == [sub_id]


def test_an_explicit_subscription_must_already_cover_the_intent(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub(extent=volume4d(circle(7.0, 46.0, 100.0))).json()["subscription"][
        "id"
    ]
    wider = volume4d(circle(7.0, 46.0, 2000.0))
    r = dss.alpha.create_intent(extents=[wider], subscription_id=sub_id)
    assert r.status_code == 400
    assert "cover" in r.json()["message"]


def test_another_uss_subscription_cannot_be_used(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub().json()["subscription"]["id"]
    r = dss.beta.create_intent(subscription_id=sub_id)
    assert r.status_code == 403


def test_an_unknown_subscription_id_is_a_bad_request(dss: Dss) -> None:
    assert dss.alpha.create_intent(subscription_id=new_id()).status_code == 400


# --- notifications ----------------------------------------------------------------


def test_each_change_increments_the_notification_index_of_overlapping_subscriptions(
    dss: Dss,
) -> None:
    sub_id = dss.beta.create_sub().json()["subscription"]["id"]
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id)
    assert r.json()["subscribers"] == [
        {
            "uss_base_url": dss.beta.base,
            "subscriptions": [{"subscription_id": sub_id, "notification_index": 1}],
        }
    ]
    r = dss.alpha.update_intent(intent_id, ref(r)["ovn"])
    assert r.json()["subscribers"][0]["subscriptions"][0]["notification_index"] == 2
    r = dss.alpha.call("DELETE", f"{OIR}/{intent_id}/{ref(r)['ovn']}")
    assert r.json()["subscribers"][0]["subscriptions"][0]["notification_index"] == 3
    assert (
        dss.beta.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]["notification_index"] == 3
    )


def test_subscribers_are_grouped_by_uss_base_url(dss: Dss) -> None:
    one = dss.beta.create_sub().json()["subscription"]["id"]
    two = dss.beta.create_sub().json()["subscription"]["id"]
    other = dss.beta.create_sub(base="https://other.example.com").json()["subscription"]["id"]
    subscribers = dss.alpha.create_intent().json()["subscribers"]
    by_url = {
        s["uss_base_url"]: sorted(x["subscription_id"] for x in s["subscriptions"])
        for s in subscribers
    }
    assert by_url == {dss.beta.base: sorted([one, two]), "https://other.example.com": [other]}
    assert len(subscribers) == 2


def test_subscriptions_elsewhere_or_not_for_intents_are_not_notified(dss: Dss) -> None:
    dss.beta.create_sub(extent=volume4d(circle(8.0, 46.0)))
    dss.beta.create_sub(ops=False, constraints=True)
    assert dss.alpha.create_intent().json()["subscribers"] == []


def test_the_old_volume_is_notified_when_an_intent_moves_away(dss: Dss) -> None:
    sub_id = dss.beta.create_sub(extent=volume4d(circle(7.0, 46.0))).json()["subscription"]["id"]
    intent_id = new_id()
    ovn = ref(dss.alpha.create_intent(intent_id))["ovn"]
    moved = dss.alpha.update_intent(intent_id, ovn, extents=[volume4d(circle(9.0, 46.0))])
    assert [s["subscription_id"] for s in moved.json()["subscribers"][0]["subscriptions"]] == [
        sub_id
    ]


# --- query --------------------------------------------------------------------------


def test_query_returns_the_intersecting_intents_only(dss: Dss) -> None:
    here = new_id()
    dss.alpha.create_intent(here)
    dss.alpha.create_intent(extents=[volume4d(circle(9.0, 46.0))])
    r = dss.beta.call(
        "POST", f"{OIR}/query", {"area_of_interest": volume4d(circle(7.0, 46.0, 50.0))}
    )
    assert r.status_code == 200, r.text
    found = r.json()["operational_intent_references"]
    assert [x["id"] for x in found] == [here]
    assert found[0]["ovn"] == NO_OVN_PHRASE


def test_query_needs_an_area_of_interest(dss: Dss) -> None:
    assert dss.beta.call("POST", f"{OIR}/query", {}).status_code == 400


def test_query_over_a_too_large_area_is_a_bad_request(dss: Dss) -> None:
    r = dss.beta.call(
        "POST", f"{OIR}/query", {"area_of_interest": volume4d(square(7.0, 46.0, 0.5))}
    )
    assert r.status_code == 400
    assert "km²" in r.json()["message"]
