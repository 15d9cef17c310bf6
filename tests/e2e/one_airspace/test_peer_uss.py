"""One airspace: native parties and a real F3548 USS see, respect and notify each other.

The USS is a second process (``peer_uss.py``) that speaks F3548 over real HTTP to a real
``deconflict serve``: it queries the DSS, GETs details from the ``uss_base_url`` the DSS
gives it, plans with the key it learned, and notifies (and is notified by) others. The
first tests prove the harness itself; the rest state the one-airspace rules one by one.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.one_airspace.conftest import CP, DECONFLICT, SC, PeerUss, Service, Sky

T = TypeVar("T")

WAIT_S = 5.0
"""How long something the service sends may take: many delivery-worker polls."""
QUIET_S = 1.5
"""How long nothing must arrive to count as never: thirty delivery-worker polls."""

not_yet = pytest.mark.xfail(reason="issue 14: server side not built yet", strict=True)


def eventually(what: str, find: Callable[[], T | None], timeout: float = WAIT_S) -> T:
    """``find()`` once it is truthy; fails with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def never(what: str, find: Callable[[], Any], quiet: float = QUIET_S) -> None:
    """Fails as soon as ``find()`` is truthy within ``quiet`` seconds."""
    deadline = time.monotonic() + quiet
    while time.monotonic() < deadline:
        found = find()
        if found:
            pytest.fail(f"{what}: {found}")
        time.sleep(0.05)


def about(intent_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda n: n["body"].get("operational_intent_id") == intent_id


def on_service(url: str, service: Service) -> bool:
    """Whether ``url`` points at the service (its public URL defaults to its own port)."""
    return urlsplit(url).port == service.port


def put_native(service: Service, party: str, op_id: str, body: dict[str, Any]) -> dict[str, Any]:
    r = service.call("PUT", f"/v1/operations/{op_id}", party, body)
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


def the_native_reference(peer: PeerUss, sky: Sky, service: Service) -> dict[str, Any]:
    """The one reference the peer's query over ``sky`` finds, which the service manages."""
    answer = peer.query(sky.extent())
    assert answer["status"] == 200, answer
    refs = answer["body"]["operational_intent_references"]
    assert len(refs) == 1, refs
    ref: dict[str, Any] = refs[0]
    assert on_service(ref["uss_base_url"], service), ref
    return ref


# the harness ----------------------------------------------------------------------------


def test_the_peer_plans_through_the_real_service_on_an_empty_airspace(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    plan = peer.plan(sky.extent())
    assert plan["status"] == 201, plan["body"]
    assert [q["status"] for q in plan["queries"]] == [200]
    assert plan["queries"][0]["body"]["operational_intent_references"] == []
    assert (plan["key"], plan["reads"]) == ([], [])
    ref = plan["body"]["operational_intent_reference"]
    assert (ref["id"], ref["manager"], ref["uss_base_url"]) == (plan["id"], peer.sub, peer.base)
    # The DSS lists only the peer's own (implicit) subscription: nobody to notify.
    assert {s["uss_base_url"] for s in plan["body"]["subscribers"]} <= {peer.base}
    assert plan["notified"] == []
    # Nothing about anyone else's intent reached it (the service's copy of the peer's
    # own change is the subject of test_the_service_does_not_post_on_behalf_of_a_uss...).
    assert [n for n in peer.notifications() if not about(plan["id"])(n)] == []

    # As a USS it serves what it manages, to bearers of a token only.
    url = f"{peer.base}/uss/v1/operational_intents/{plan['id']}"
    headers = service.headers("someone", SC)
    details = httpx.get(url, headers=headers, timeout=10)
    assert details.status_code == 200, details.text
    assert details.json()["operational_intent"]["reference"]["ovn"] == ref["ovn"]
    assert details.json()["operational_intent"]["details"]["volumes"] == [sky.extent()]
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(f"{url[:-4]}0000", headers=headers, timeout=10).status_code == 404


def test_the_peer_records_a_posted_notification(service: Service, peer: PeerUss, sky: Sky) -> None:
    body = {
        "operational_intent_id": "0d1f2b7c-5d0e-4a7c-9a0f-2f6e3f4b5a6c",
        "subscriptions": [{"subscription_id": "s-1", "notification_index": 3}],
    }
    headers = service.headers("uss-sender", SC)
    intents, constraints = (
        f"{peer.base}/uss/v1/operational_intents",
        f"{peer.base}/uss/v1/constraints",
    )
    posted = httpx.post(intents, json=body, headers=headers, timeout=10)
    assert posted.status_code == 204, posted.text
    assert httpx.post(constraints, json={}, timeout=10).status_code == 401
    assert httpx.post(constraints, json={"subscriptions": []}, headers=headers).status_code == 400

    received = peer.received()
    [got] = received["notifications"]
    assert (got["path"], got["body"]) == ("/uss/v1/operational_intents", body)
    assert (got["claims"]["sub"], got["claims"]["scope"]) == ("uss-sender", SC)
    assert [r["reason"] for r in received["refused"]] == ["constraint_id is required"]


def test_two_peers_learn_each_others_ovn_and_notify_each_other(
    service: Service, peers: Callable[..., PeerUss], sky: Sky
) -> None:
    a, b = peers("a"), peers("b")
    first = a.plan(sky.extent(), priority=2)
    assert first["status"] == 201, first["body"]
    ovn = first["body"]["operational_intent_reference"]["ovn"]

    blind = b.plan(sky.extent(), learn=False)
    assert blind["status"] == 409, blind["body"]
    missing = blind["body"]["missing_operational_intents"]
    assert [(m["id"], m["uss_base_url"]) for m in missing] == [(first["id"], a.base)]

    second = b.plan(sky.extent())
    [read] = second["reads"]
    assert (read["url"], read["status"], read["ovn"]) == (
        f"{a.base}/uss/v1/operational_intents/{first['id']}",
        200,
        ovn,
    )
    assert second["key"] == [ovn]
    assert second["status"] == 201, second["body"]
    assert [(n["url"], n["status"]) for n in second["notified"]] == [
        (f"{a.base}/uss/v1/operational_intents", 204)
    ]
    [told] = [n for n in a.notifications() if n["claims"]["sub"] == b.sub]
    intent = told["body"]["operational_intent"]
    assert told["body"]["operational_intent_id"] == second["id"]
    assert (intent["reference"]["manager"], intent["details"]["volumes"]) == (
        b.sub,
        [sky.extent()],
    )


# the one-airspace rules -----------------------------------------------------------------


def test_a_uss_query_shows_a_native_operation(service: Service, peer: PeerUss, sky: Sky) -> None:
    alpha = sky.name("alpha")
    put_native(service, alpha, f"op-{sky.tag}", sky.operation())

    ref = the_native_reference(peer, sky, service)
    assert ref["state"] == "Accepted"
    assert ref["manager"] != alpha
    assert alpha not in json.dumps(ref)


def test_a_uss_that_lacks_the_native_operations_ovn_gets_409_listing_it(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    put_native(service, sky.name("alpha"), f"op-{sky.tag}", sky.operation())
    ref = the_native_reference(peer, sky, service)

    plan = peer.plan(sky.extent(), learn=False)
    assert plan["status"] == 409, plan["body"]
    missing = plan["body"]["missing_operational_intents"]
    assert [m["id"] for m in missing] == [ref["id"]]
    assert on_service(missing[0]["uss_base_url"], service)


def test_the_peer_learns_the_ovn_from_the_service_as_a_uss_and_plans_with_a_complete_key(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    """A USS granted more than the native operation's priority plans over it."""
    put_native(service, sky.name("alpha"), f"op-{sky.tag}", sky.operation(priority=0))
    service.grant(peer.sub, priority_max=10)

    plan = peer.plan(sky.extent(), priority=10)
    [read] = plan["reads"]
    assert on_service(read["url"], service) and read["status"] == 200, read
    native = read["body"]["operational_intent"]
    assert native["reference"]["ovn"] == read["ovn"] and read["ovn"]
    assert native["reference"]["state"] == "Accepted"
    assert len(native["details"]["volumes"]) == 1
    assert native["details"]["off_nominal_volumes"] == []
    assert isinstance(native["details"]["priority"], int)
    assert plan["key"] == [read["ovn"]]
    assert plan["status"] == 201, plan["body"]


def test_a_complete_key_does_not_let_a_uss_over_a_higher_priority_native_operation(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    alpha = sky.name("alpha")
    service.grant(alpha, priority_max=5)
    put_native(service, alpha, f"op-{sky.tag}", sky.operation(priority=5))

    plan = peer.plan(sky.extent(), priority=100)  # its own claim; no grant: the lowest
    assert plan["reads"][0]["status"] == 200 and plan["key"] == [plan["reads"][0]["ovn"]]
    assert plan["status"] == 409, plan["body"]
    assert plan["body"]["missing_operational_intents"] == []
    assert "priority" in plan["body"]["message"].lower()


def test_a_complete_key_does_not_let_a_uss_over_an_equal_priority_native_operation(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    """Equal priorities under the default ``reject`` policy: the native one keeps its sky."""
    alpha = sky.name("alpha")
    service.grant(alpha, priority_max=5)
    service.grant(peer.sub, priority_max=5)
    put_native(service, alpha, f"op-{sky.tag}", sky.operation(priority=5))

    plan = peer.plan(sky.extent(), priority=5)
    assert plan["reads"][0]["status"] == 200 and plan["key"] == [plan["reads"][0]["ovn"]]
    assert plan["status"] == 409, plan["body"]
    assert plan["body"]["missing_operational_intents"] == []
    assert "priority" in plan["body"]["message"].lower()


def test_a_native_party_sees_the_uss_plan_on_its_event_stream(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    """Both directions: the USS plans over a lower-priority native operation, telling the
    service (a subscriber for its party's airspace) as F3548 asks; the party sees it."""
    alpha = sky.name("alpha")
    put_native(service, alpha, f"op-{sky.tag}", sky.operation(priority=0))
    service.grant(peer.sub, priority_max=10)

    plan = peer.plan(sky.extent(), priority=10)
    assert plan["status"] == 201, plan["body"]
    told = [n for n in plan["notified"] if on_service(n["url"], service)]
    assert [(urlsplit(n["url"]).path, n["status"]) for n in told] == [
        ("/uss/v1/operational_intents", 204)
    ]
    eventually(
        "the USS's intent on the native party's event stream",
        lambda: [e for e in service.events(alpha) if plan["id"] in e["data"]],
    )


def test_the_service_notifies_a_subscribed_uss_of_a_native_operation(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    alpha = sky.name("alpha")
    assert peer.subscribe(sky.extent())["status"] == 200
    put_native(service, alpha, f"op-{sky.tag}", sky.operation(details={"call_sign": "VIPER"}))

    [told] = eventually("a notification of the native operation", peer.notifications)
    assert peer.received()["refused"] == []
    assert told["path"] == "/uss/v1/operational_intents"
    assert told["claims"]["scope"] == SC
    intent = told["body"]["operational_intent"]
    assert on_service(intent["reference"]["uss_base_url"], service)
    assert intent["reference"]["ovn"]
    assert len(intent["details"]["volumes"]) == 1
    assert alpha not in json.dumps(told["body"]) and "VIPER" not in json.dumps(told["body"])
    # The OVN it was handed is the one its manager serves.
    [read] = peer.look(sky.extent())["reads"]
    assert read["ovn"] == intent["reference"]["ovn"]


def test_the_service_does_not_post_on_behalf_of_a_uss_by_default(
    service: Service, peers: Callable[..., PeerUss], sky: Sky
) -> None:
    """The planning USS notifies the subscribers; the service adds no second copy (with
    a priority it does not know and an OVN only the manager may hand out)."""
    a, b = peers("a"), peers("b")
    assert a.subscribe(sky.extent())["status"] == 200
    plan = b.plan(sky.extent(), priority=3)
    assert plan["status"] == 201, plan["body"]
    assert [n["status"] for n in plan["notified"]] == [204]

    never(
        "a notification of B's intent that B did not send",
        lambda: [
            n
            for p in (a, b)
            for n in p.notifications()
            if about(plan["id"])(n) and n["claims"].get("sub") != b.sub
        ],
    )
    assert len([n for n in a.notifications() if about(plan["id"])(n)]) == 1


def test_the_uss_api_of_the_service_checks_tokens_and_scopes(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    put_native(service, sky.name("alpha"), f"op-{sky.tag}", sky.operation())
    ref = the_native_reference(peer, sky, service)
    url = f"{service.url}/uss/v1/operational_intents/{ref['id']}"

    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers=service.headers("nosy"), timeout=10).status_code == 403
    assert httpx.get(url, headers=service.headers("uss-x", SC), timeout=10).status_code == 200
    posted = httpx.post(f"{service.url}/uss/v1/operational_intents", json={}, timeout=10)
    assert posted.status_code == 401


def test_a_uss_reading_native_details_learns_no_party_and_the_owner_is_told(
    service: Service, peer: PeerUss, sky: Sky
) -> None:
    alpha = sky.name("alpha")
    op_id = f"op-{sky.tag}"
    private = {"call_sign": "VIPER-7", "mission": "recce of the north ridge"}
    put_native(service, alpha, op_id, sky.operation(details=private))

    [read] = peer.look(sky.extent())["reads"]
    assert read["status"] == 200, read
    shown = json.dumps(read["body"])
    for secret in (alpha, "VIPER-7", "north ridge"):
        assert secret not in shown

    database = f"sqlite:///{service.data_dir / 'deconflict.db'}"
    export = [DECONFLICT, "audit", "export", "--party", alpha, "--database", database]

    def disclosures() -> list[dict[str, Any]]:
        out = subprocess.run(
            [*export, "--data-dir", str(service.data_dir)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        return [e for e in entries if e["kind"] == "disclosure" and e["actor"] == peer.sub]

    eventually("the read in the owner's audit record", disclosures)


def test_a_native_no_fly_constraint_is_a_constraint_a_uss_reads_from_the_service(
    service: Service, peers: Callable[..., PeerUss], sky: Sky
) -> None:
    peer = peers("uss", SC, CP)
    volume = sky.operation()["volumes"]
    r = service.call(
        "PUT",
        f"/v1/constraints/nfz-{sky.tag}",
        "operator",
        {"type": "no_fly", "volumes": volume},
        "deconflict.admin",
    )
    assert r.status_code == 201, r.text

    looked = peer.look(sky.extent(), constraints=True)
    [query] = looked["constraint_queries"]
    assert query["status"] == 200, query
    [read] = looked["reads"]
    assert on_service(read["url"], service) and read["status"] == 200, read
    constraint = read["body"]["constraint"]
    assert constraint["reference"]["ovn"] == read["ovn"] and read["ovn"]
    assert len(constraint["details"]["volumes"]) == 1
    assert looked["key"] == [read["ovn"]]
