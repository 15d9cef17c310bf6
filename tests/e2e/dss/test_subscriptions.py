"""Explicit subscriptions: create, update, query, get, delete, and their limits."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.dss.conftest import OIR, SUBS, Dss, at, circle, new_id, rfc3339, square, volume4d


def test_create_answers_200_with_version_and_index_0(dss: Dss) -> None:
    sub_id = new_id()
    r = dss.alpha.create_sub(sub_id)
    assert r.status_code == 200, r.text
    sub = r.json()["subscription"]
    assert sub["id"] == sub_id
    assert sub["notification_index"] == 0
    assert sub["version"]
    assert sub["implicit_subscription"] is False
    assert sub["dependent_operational_intents"] == []


def test_the_response_lists_intents_only_when_it_notifies_for_them(dss: Dss) -> None:
    intent_id = new_id()
    dss.beta.create_intent(intent_id)
    with_ops = dss.alpha.create_sub(ops=True).json()
    assert [x["id"] for x in with_ops["operational_intent_references"]] == [intent_id]
    assert "constraint_references" not in with_ops
    only_constraints = dss.alpha.create_sub(ops=False, constraints=True).json()
    assert "operational_intent_references" not in only_constraints
    assert only_constraints["constraint_references"] == []


def test_creating_an_existing_subscription_is_a_conflict(dss: Dss) -> None:
    sub_id = new_id()
    dss.alpha.create_sub(sub_id)
    assert dss.alpha.create_sub(sub_id).status_code == 409


def test_at_least_one_notify_flag_is_required(dss: Dss) -> None:
    r = dss.alpha.create_sub(ops=False, constraints=False)
    assert r.status_code == 400
    assert "notify_for" in r.json()["message"]


def test_a_subscription_may_last_at_most_24_hours(dss: Dss) -> None:
    r = dss.alpha.create_sub(extent=volume4d(start=1, end=24 * 60 + 5))
    assert r.status_code == 400
    assert "24 hours" in r.json()["message"]


def test_a_subscription_may_not_start_more_than_5_minutes_ago(dss: Dss) -> None:
    assert dss.alpha.create_sub(extent=volume4d(start=-10, end=30)).status_code == 400
    assert dss.alpha.create_sub(extent=volume4d(start=-1, end=30)).status_code == 200


def test_an_open_end_defaults_to_24_hours_after_the_start(dss: Dss) -> None:
    extent = volume4d(start=10)
    del extent["time_end"]
    sub = dss.alpha.create_sub(extent=extent).json()["subscription"]
    start = datetime.fromisoformat(sub["time_start"]["value"])
    end = datetime.fromisoformat(sub["time_end"]["value"])
    assert end - start == timedelta(hours=24)


def test_update_changes_the_version_and_keeps_the_notification_index(dss: Dss) -> None:
    sub_id = new_id()
    sub = dss.alpha.create_sub(sub_id).json()["subscription"]
    dss.beta.create_intent()
    r = dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{sub['version']}", _body(dss))
    assert r.status_code == 200, r.text
    updated = r.json()["subscription"]
    assert updated["version"] != sub["version"]
    assert updated["notification_index"] == 1


def test_update_with_a_stale_version_is_a_conflict(dss: Dss) -> None:
    sub_id = new_id()
    version = dss.alpha.create_sub(sub_id).json()["subscription"]["version"]
    assert dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _body(dss)).status_code == 200
    assert dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", _body(dss)).status_code == 409


def test_updating_a_missing_subscription_is_a_bad_request(dss: Dss) -> None:
    assert dss.alpha.call("PUT", f"{SUBS}/{new_id()}/abc", _body(dss)).status_code == 400


def test_only_the_owner_may_update_get_or_delete(dss: Dss) -> None:
    sub_id = new_id()
    version = dss.alpha.create_sub(sub_id).json()["subscription"]["version"]
    assert dss.beta.call("PUT", f"{SUBS}/{sub_id}/{version}", _body(dss)).status_code == 403
    assert dss.beta.call("GET", f"{SUBS}/{sub_id}").status_code == 403
    assert dss.beta.call("DELETE", f"{SUBS}/{sub_id}/{version}").status_code == 403


def test_getting_a_missing_subscription_is_not_found(dss: Dss) -> None:
    assert dss.alpha.call("GET", f"{SUBS}/{new_id()}").status_code == 404


def test_delete_returns_the_subscription_and_removes_it(dss: Dss) -> None:
    sub_id = new_id()
    version = dss.alpha.create_sub(sub_id).json()["subscription"]["version"]
    r = dss.alpha.call("DELETE", f"{SUBS}/{sub_id}/{version}")
    assert r.status_code == 200
    assert r.json()["subscription"]["id"] == sub_id
    assert dss.alpha.call("GET", f"{SUBS}/{sub_id}").status_code == 404


def test_delete_with_a_stale_version_is_a_conflict(dss: Dss) -> None:
    sub_id = new_id()
    dss.alpha.create_sub(sub_id)
    assert dss.alpha.call("DELETE", f"{SUBS}/{sub_id}/stale").status_code == 409


def test_deleting_a_missing_subscription_is_not_found(dss: Dss) -> None:
    assert dss.alpha.call("DELETE", f"{SUBS}/{new_id()}/v").status_code == 404


def test_a_subscription_serving_intents_cannot_be_deleted(dss: Dss) -> None:
    r = dss.alpha.create_intent(new_subscription={"uss_base_url": dss.alpha.base})
    sub_id = r.json()["operational_intent_reference"]["subscription_id"]
    version = dss.alpha.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]["version"]
    r = dss.alpha.call("DELETE", f"{SUBS}/{sub_id}/{version}")
    assert r.status_code == 400
    assert "still serves" in r.json()["message"]


def test_an_update_must_keep_covering_the_dependent_intents(dss: Dss) -> None:
    r = dss.alpha.create_intent(
        extents=[volume4d(circle(7.0, 46.0, 1000.0))],
        new_subscription={"uss_base_url": dss.alpha.base},
    )
    sub_id = r.json()["operational_intent_reference"]["subscription_id"]
    version = dss.alpha.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]["version"]
    smaller = _body(dss, volume4d(circle(7.0, 46.0, 100.0)))
    r = dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", smaller)
    assert r.status_code == 400
    assert "no longer cover" in r.json()["message"]
    shorter = _body(dss, volume4d(circle(7.0, 46.0, 1000.0), start=1, end=20))
    assert dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", shorter).status_code == 400


def test_an_explicit_subscription_serves_an_intent_it_covers(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub(extent=volume4d(circle(7.0, 46.0, 2000.0), start=0.5, end=120))
    sub_id = sub_id.json()["subscription"]["id"]
    r = dss.alpha.create_intent(subscription_id=sub_id)
    assert r.status_code == 201, r.text
    assert r.json()["operational_intent_reference"]["subscription_id"] == sub_id
    sub = dss.alpha.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]
    assert sub["dependent_operational_intents"] == [r.json()["operational_intent_reference"]["id"]]


def test_query_returns_only_the_callers_own_subscriptions(dss: Dss) -> None:
    mine = dss.alpha.create_sub().json()["subscription"]["id"]
    dss.beta.create_sub()
    r = dss.alpha.call("POST", f"{SUBS}/query", {"area_of_interest": volume4d()})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["subscriptions"]] == [mine]


def test_query_over_a_too_large_area_is_413(dss: Dss) -> None:
    r = dss.alpha.call(
        "POST", f"{SUBS}/query", {"area_of_interest": volume4d(square(7.0, 46.0, 0.5))}
    )
    assert r.status_code == 413
    assert "km²" in r.json()["message"]


def test_an_update_may_omit_the_outline_and_keep_the_area(dss: Dss) -> None:
    sub_id = new_id()
    version = dss.alpha.create_sub(sub_id).json()["subscription"]["version"]
    body = _body(dss, {"volume": {}, "time_start": rfc3339(at(1)), "time_end": rfc3339(at(90))})
    assert dss.alpha.call("PUT", f"{SUBS}/{sub_id}/{version}", body).status_code == 200
    notified = dss.beta.create_intent().json()["subscribers"]
    assert [s["subscription_id"] for x in notified for s in x["subscriptions"]] == [sub_id]


def test_deleting_an_intent_notifies_but_keeps_an_explicit_subscription(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub(extent=volume4d(circle(7.0, 46.0, 2000.0), start=0.5, end=120))
    sub_id = sub_id.json()["subscription"]["id"]
    ref = dss.alpha.create_intent(subscription_id=sub_id).json()["operational_intent_reference"]
    r = dss.alpha.call("DELETE", f"{OIR}/{ref['id']}/{ref['ovn']}")
    assert r.status_code == 200
    assert (
        dss.alpha.call("GET", f"{SUBS}/{sub_id}").json()["subscription"]["notification_index"] == 2
    )


def _body(dss: Dss, extent: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "extents": extent or volume4d(start=1, end=90),
        "uss_base_url": dss.alpha.base,
        "notify_for_operational_intents": True,
    }


def test_a_start_at_the_end_of_time_is_refused_not_a_crash(dss: Dss) -> None:
    extent = {
        "volume": circle(),
        "time_start": {"value": "9999-12-31T23:59:00Z", "format": "RFC3339"},
    }
    r = dss.alpha.create_sub(extent=extent)
    assert r.status_code == 400, r.text


def test_an_intent_cannot_rely_on_a_subscription_that_ignores_intents(dss: Dss) -> None:
    sub_id = dss.alpha.create_sub(ops=False, constraints=True).json()["subscription"]["id"]
    r = dss.alpha.create_intent(subscription_id=sub_id)
    assert r.status_code == 400
    assert "does not notify for operational intents" in r.json()["message"]


def test_a_subscription_in_coarse_cells_covers_an_intent_inside_it(dss: Dss) -> None:
    """A subscription too ragged for the level-13 cell budget (an 11 m strip along
    13,000 km of the equator) is covered in coarser cells; an intent inside it is covered
    in the hierarchy sense (its level-13 cells lie inside the subscription's coarser
    ones), so the USS may plan with that subscription."""
    strip = {
        "outline_polygon": {
            "vertices": [
                {"lng": 0.0, "lat": 0.0},
                {"lng": 120.0, "lat": 0.0},
                {"lng": 120.0, "lat": 0.0001},
                {"lng": 0.0, "lat": 0.0001},
            ]
        }
    }
    sub_id = new_id()
    r = dss.alpha.create_sub(sub_id, extent=volume4d(strip, start=1, end=120))
    assert r.status_code == 200, r.text
    inside = volume4d(square(lng=50.0, lat=0.00005, half=0.00001), start=5, end=60)
    r = dss.alpha.create_intent(subscription_id=sub_id, extents=[inside])
    assert r.status_code == 201, r.text
    assert r.json()["operational_intent_reference"]["subscription_id"] == sub_id
