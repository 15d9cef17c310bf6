"""The hotline through the API: the conflict's other side without naming it, the
recipient's acknowledgement, nothing for a third party on any route, escalation, and
delivery through the parties' event streams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, Grant
from deconflict.hotline.model import ConflictKind
from deconflict.hotline.service import Hotline
from deconflict.store.hotline import register_conflict
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, disclosures_about, grant_party, native_op
from tests.e2e.hotline.conftest import stream_of


def hotline_of(client: TestClient) -> Hotline:
    hotline: Hotline = client.app.state.services.hotline  # type: ignore[attr-defined]
    return hotline


def strategic_conflict(client: TestClient, auth: Headers) -> str:
    """alpha plans a1; beta's higher-priority b1 overlaps it: a notice to both sides."""
    r = client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 201, r.text
    grant_party(client, auth, "beta", priority_max=5)
    r = client.put("/v1/operations/b1", json=native_op(lon=0.005, priority=5), headers=auth("beta"))
    assert r.status_code == 201, r.text
    [notice] = [d for k, d in stream_of(client, auth("alpha")) if k == "conflict.notice"]
    conflict_id: str = notice["conflict_id"]
    return conflict_id


def send(client: TestClient, auth: Headers, sender: str, to: str, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/v1/messages", json={"to": to, "text": "confirm", **extra}, headers=auth(sender)
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_both_sides_of_a_conflict_see_the_same_opaque_conflict_id(
    client: TestClient, auth: Headers
) -> None:
    conflict_id = strategic_conflict(client, auth)
    [beta_notice] = [d for k, d in stream_of(client, auth("beta")) if k == "conflict.notice"]
    assert beta_notice["conflict_id"] == conflict_id


def test_a_party_messages_the_other_side_of_its_conflict_without_naming_it(
    client: TestClient, auth: Headers
) -> None:
    conflict_id = strategic_conflict(client, auth)
    r = client.post(
        f"/v1/conflicts/{conflict_id}/messages",
        json={"text": "we hold at 100 m until 10:15"},
        headers=auth("alpha"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["to"] is None and r.json()["from"] == "alpha"
    received = [d for k, d in stream_of(client, auth("beta")) if k == "message.received"]
    assert [(m["text"], m["conflict_id"], m["from"]) for m in received] == [
        ("we hold at 100 m until 10:15", conflict_id, None)
    ]
    # Neither side learns the other's name from the exchange.
    assert "beta" not in orjson.dumps(stream_of(client, auth("alpha"))).decode()
    assert "alpha" not in orjson.dumps(received).decode()


def test_parties_that_agreed_to_identify_each_other_see_each_others_name(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    conflict_id = strategic_conflict(client, auth)
    agreement = Agreement("alpha", "beta", frozenset({Grant.CALL_SIGNS}))
    store.run(lambda s: save_agreement(s, agreement, by="operator"))
    r = client.post(
        f"/v1/conflicts/{conflict_id}/messages", json={"text": "x"}, headers=auth("alpha")
    )
    assert r.json()["to"] == "beta"
    [received] = [d for k, d in stream_of(client, auth("beta")) if k == "message.received"]
    assert received["from"] == "alpha"
    listed = client.get("/v1/messages", headers=auth("beta")).json()["messages"]
    assert [(m["from"], m["to"]) for m in listed] == [("alpha", "beta")]


def test_a_registered_tactical_alert_id_reaches_the_other_aircrafts_party(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    # As tactical does when it publishes a new alert between two parties' aircraft.
    store.run(
        lambda s: register_conflict(s, "1764000000000001", "alpha", "beta", ConflictKind.TACTICAL)
    )
    r = client.post(
        "/v1/conflicts/1764000000000001/messages",
        json={"text": "turning right"},
        headers=auth("beta", "deconflict.track"),
    )
    assert r.status_code == 201, r.text
    received = [d for k, d in stream_of(client, auth("alpha")) if k == "message.received"]
    assert [(m["text"], m["conflict_id"]) for m in received] == [
        ("turning right", "1764000000000001")
    ]


def test_a_third_party_cannot_message_someone_elses_conflict(
    client: TestClient, auth: Headers
) -> None:
    conflict_id = strategic_conflict(client, auth)
    r = client.post(
        f"/v1/conflicts/{conflict_id}/messages", json={"text": "hi"}, headers=auth("gamma")
    )
    assert r.status_code == 404
    unknown = client.post(
        "/v1/conflicts/c-nope/messages", json={"text": "hi"}, headers=auth("gamma")
    )
    assert unknown.status_code == 404 and unknown.json() == r.json()


def test_the_recipient_acknowledges_and_the_sender_sees_it_in_its_stream(
    client: TestClient, auth: Headers
) -> None:
    m = send(client, auth, "alpha", "beta")
    r = client.post(f"/v1/messages/{m['id']}/ack", headers=auth("beta"))
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    acks = [d for k, d in stream_of(client, auth("alpha")) if k == "message.acknowledged"]
    assert [a["id"] for a in acks] == [m["id"]]


def test_only_the_recipient_may_acknowledge(client: TestClient, auth: Headers) -> None:
    m = send(client, auth, "alpha", "beta")
    r = client.post(f"/v1/messages/{m['id']}/ack", headers=auth("alpha"))
    assert r.status_code == 403
    assert client.get(f"/v1/messages/{m['id']}", headers=auth("beta")).json()["status"] == (
        "awaiting_ack"
    )


def test_a_third_party_can_neither_read_nor_acknowledge_nor_list_a_message(
    client: TestClient, auth: Headers
) -> None:
    m = send(client, auth, "alpha", "beta")
    gamma = auth("gamma")
    missing = client.get("/v1/messages/m-00000000000000000000000000000000", headers=gamma)
    read = client.get(f"/v1/messages/{m['id']}", headers=gamma)
    ack = client.post(f"/v1/messages/{m['id']}/ack", headers=gamma)
    # 404 like an unknown id: the answer does not even confirm that the message exists.
    assert (read.status_code, read.json()) == (404, missing.json())
    assert (ack.status_code, ack.json()) == (404, missing.json())
    for role in ("any", "sent", "received"):
        listed = client.get("/v1/messages", params={"role": role}, headers=gamma)
        assert listed.status_code == 200 and listed.json() == {"messages": []}
    assert client.get("/v1/messages", params={"all": "true"}, headers=gamma).status_code == 403
    assert stream_of(client, gamma) == []


def test_a_third_party_cannot_see_a_conflict_message_either(
    client: TestClient, auth: Headers
) -> None:
    conflict_id = strategic_conflict(client, auth)
    client.post(f"/v1/conflicts/{conflict_id}/messages", json={"text": "x"}, headers=auth("beta"))
    gamma = auth("gamma")
    listed = client.get("/v1/messages", params={"conflict_id": conflict_id}, headers=gamma)
    assert listed.json() == {"messages": []}


def test_the_operator_lists_every_message(client: TestClient, auth: Headers) -> None:
    send(client, auth, "alpha", "beta")
    send(client, auth, "beta", "gamma")
    r = client.get(
        "/v1/messages", params={"all": "true"}, headers=auth("operator", "deconflict.admin")
    )
    assert r.status_code == 200
    assert sorted((m["from"], m["to"]) for m in r.json()["messages"]) == [
        ("alpha", "beta"),
        ("beta", "gamma"),
    ]


def test_the_operators_list_of_every_message_is_recorded_for_both_sides(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    m = send(client, auth, "alpha", "beta")
    client.get("/v1/messages", params={"all": "true"}, headers=auth("operator", "deconflict.admin"))
    for party in ("alpha", "beta"):
        shown = [e for e in disclosures_about(store, party) if e.object_kind == "message"]
        assert [(e.actor, e.object_id, e.detail["via"]) for e in shown] == [
            ("operator", m["id"], "messages")
        ]


def test_the_operator_reading_one_message_is_recorded_but_a_party_reading_its_own_is_not(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    m = send(client, auth, "alpha", "beta")
    client.get(f"/v1/messages/{m['id']}", headers=auth("beta"))
    client.get(f"/v1/messages/{m['id']}", headers=auth("operator", "deconflict.admin"))
    shown = [e for e in disclosures_about(store, "alpha") if e.object_kind == "message"]
    assert [e.actor for e in shown] == ["operator"]


def test_a_party_lists_its_sent_and_received_messages(client: TestClient, auth: Headers) -> None:
    out = send(client, auth, "alpha", "beta")
    back = send(client, auth, "beta", "alpha")
    alpha = auth("alpha")

    def ids(**params: str) -> list[str]:
        r = client.get("/v1/messages", params=params, headers=alpha)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["messages"]]

    assert sorted(ids()) == sorted([out["id"], back["id"]])
    assert ids(role="sent") == [out["id"]]
    assert ids(role="received") == [back["id"]]


def test_an_unacknowledged_message_escalates_to_the_sender_and_the_operator(
    client: TestClient, auth: Headers
) -> None:
    m = send(client, auth, "alpha", "beta", deadline_s=30)
    deadline = hotline_of(client).get("alpha", m["id"]).deadline
    assert hotline_of(client).escalate_due(deadline - timedelta(seconds=1)) == []
    assert len(hotline_of(client).escalate_due(deadline)) == 1
    assert [k for k, _ in stream_of(client, auth("alpha"))] == ["message.escalated"]
    [(kind, body)] = stream_of(client, auth("operator", "deconflict.read"))
    assert kind == "message.escalated" and (body["from"], body["to"]) == ("alpha", "beta")
    r = client.get(f"/v1/messages/{m['id']}", headers=auth("alpha"))
    assert r.json()["status"] == "escalated" and r.json()["escalated_at"] is not None


def test_a_message_acknowledged_in_time_does_not_escalate(
    client: TestClient, auth: Headers
) -> None:
    m = send(client, auth, "alpha", "beta", deadline_s=30)
    client.post(f"/v1/messages/{m['id']}/ack", headers=auth("beta"))
    deadline = hotline_of(client).get("alpha", m["id"]).deadline
    assert hotline_of(client).escalate_due(deadline + timedelta(hours=1)) == []
    assert stream_of(client, auth("operator", "deconflict.read")) == []


def test_bad_input_is_a_400_naming_the_field(client: TestClient, auth: Headers) -> None:
    for body, field in (
        ({"to": "beta", "text": " "}, "text"),
        ({"to": "beta", "text": "x", "deadline_s": 1}, "deadline_s"),
        ({"to": "alpha", "text": "x"}, "to"),
        ({"text": "x"}, "to"),
    ):
        r = client.post("/v1/messages", json=body, headers=auth("alpha"))
        assert r.status_code == 400 and r.json()["message"].startswith(field), (body, r.text)


def test_sending_needs_a_planning_or_tracking_scope(client: TestClient, auth: Headers) -> None:
    r = client.post(
        "/v1/messages", json={"to": "beta", "text": "x"}, headers=auth("alpha", "deconflict.read")
    )
    assert r.status_code == 403
    r = client.post(
        "/v1/messages", json={"to": "beta", "text": "x"}, headers=auth("alpha", "deconflict.track")
    )
    assert r.status_code == 201


def test_control_characters_in_text_are_a_400_not_a_database_error(
    client: TestClient, auth: Headers
) -> None:
    r = client.post("/v1/messages", json={"to": "beta", "text": "a\x00b"}, headers=auth("alpha"))
    assert r.status_code == 400 and r.json()["message"].startswith("text")
    ok = client.post("/v1/messages", json={"to": "beta", "text": "a\n\tb"}, headers=auth("alpha"))
    assert ok.status_code == 201


def test_ids_no_message_could_have_are_unknown_on_every_route(
    client: TestClient, auth: Headers
) -> None:
    for bad in ("a%00b", "x" * 65):
        assert client.get(f"/v1/messages/{bad}", headers=auth("alpha")).status_code == 404
        assert client.post(f"/v1/messages/{bad}/ack", headers=auth("alpha")).status_code == 404
        r = client.post(f"/v1/conflicts/{bad}/messages", json={"text": "x"}, headers=auth("alpha"))
        assert r.status_code == 404


def test_listing_refuses_a_time_without_a_zone(client: TestClient, auth: Headers) -> None:
    r = client.get("/v1/messages", params={"since": "2030-07-01T10:00:00"}, headers=auth("alpha"))
    assert r.status_code == 400 and r.json()["message"].startswith("since")
    r = client.get("/v1/messages", params={"since": "2030-07-01T10:00:00Z"}, headers=auth("alpha"))
    assert r.status_code == 200
