"""Need-to-know on every read path: what beta learns of alpha's operation.

alpha plans ``a1`` with a call sign and private details; beta plans against it. Without
an agreement beta sees a reference (where, when, whose, how urgent), never the id, the
shape or the details; an agreement widens exactly what it grants.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Grant, Headers
from tests.e2e.access.conftest import Share, events, plan

SECRET = {"call_sign": "EAGLE1", "mission": "strike"}


def alpha_plans(client: TestClient, auth: Headers) -> None:
    r = client.put("/v1/operations/a1", json=plan(details=SECRET), headers=auth("alpha"))
    assert r.status_code == 201, r.text


def listed(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    r = client.get("/v1/operations", headers=headers)
    assert r.status_code == 200, r.text
    ops: list[dict[str, object]] = r.json()["operations"]
    return ops


def test_a_listed_operation_of_another_party_is_a_reference_without_id_or_details(
    client: TestClient, auth: Headers
) -> None:
    alpha_plans(client, auth)
    [seen] = listed(client, auth("beta"))
    assert seen["reference"] is True and seen["party"] == "alpha"
    assert "id" not in seen and "details" not in seen and "volumes" not in seen
    assert "EAGLE1" not in str(seen) and "a1" not in str(seen)


def test_another_partys_operation_cannot_be_read_by_id_without_an_agreement(
    client: TestClient, auth: Headers
) -> None:
    alpha_plans(client, auth)
    r = client.get("/v1/operations/a1", headers=auth("beta"))
    assert r.status_code == 404
    assert r.json() == client.get("/v1/operations/nope", headers=auth("beta")).json() | {
        "message": r.json()["message"]
    }


def test_an_operation_ids_agreement_shows_the_id_in_lists_and_by_id(
    client: TestClient, auth: Headers, share: Share
) -> None:
    alpha_plans(client, auth)
    share("alpha", "beta", "operation_ids")
    [seen] = listed(client, auth("beta"))
    assert seen["id"] == "a1" and "call_sign" not in seen and "details" not in seen
    got = client.get("/v1/operations/a1", headers=auth("beta")).json()
    assert got["reference"] is True and "volumes" not in got


def test_a_call_signs_agreement_shows_the_call_sign_and_nothing_else_private(
    client: TestClient, auth: Headers, share: Share
) -> None:
    alpha_plans(client, auth)
    share("alpha", "beta", "call_signs")
    [seen] = listed(client, auth("beta"))
    assert seen["call_sign"] == "EAGLE1" and "mission" not in str(seen) and "id" not in seen


def test_an_agreement_between_alpha_and_gamma_shows_beta_nothing_more(
    client: TestClient, auth: Headers, share: Share
) -> None:
    alpha_plans(client, auth)
    share("alpha", "gamma", "operation_ids", "details")
    [seen] = listed(client, auth("beta"))
    assert "id" not in seen and "details" not in seen
    assert listed(client, auth("gamma"))[0]["details"] == SECRET


def test_a_refusal_says_where_when_and_whose_but_not_which_operation(
    client: TestClient, auth: Headers
) -> None:
    alpha_plans(client, auth)
    r = client.put("/v1/operations/b1", json=plan(lon=0.005), headers=auth("beta"))
    assert r.status_code == 409
    [c] = r.json()["conflicts"]
    assert c["other_party"] == "alpha" and "other_operation" not in c
    assert c["overlaps"][0]["time_start"] == "2030-07-01T10:00:00Z"
    assert "EAGLE1" not in r.text


def test_a_refusal_names_the_other_operation_under_an_agreement(
    client: TestClient, auth: Headers, share: Share
) -> None:
    alpha_plans(client, auth)
    share("alpha", "beta", "operation_ids")
    r = client.put("/v1/operations/b1", json=plan(lon=0.005), headers=auth("beta"))
    assert r.json()["conflicts"][0]["other_operation"] == "a1"


def test_a_dry_run_check_and_a_batch_hide_the_other_operation_alike(
    client: TestClient, auth: Headers
) -> None:
    alpha_plans(client, auth)
    checked = client.post("/v1/operations:check", json=plan(lon=0.005), headers=auth("beta"))
    batch = client.post(
        "/v1/operations:batch",
        json={"operations": [{"id": "b1", **plan(lon=0.005)}]},
        headers=auth("beta"),
    )
    assert "other_operation" not in checked.json()["conflicts"][0]
    assert "other_operation" not in batch.json()["results"][0]["conflicts"][0]


def test_a_conflict_notice_names_the_other_side_only_under_an_agreement(
    client: TestClient, auth: Headers, share: Share, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    alpha_plans(client, auth)
    r = client.put("/v1/operations/b1", json=plan(lon=0.005, priority=5), headers=auth("beta"))
    assert r.status_code == 201
    [notice] = [e["data"] for e in events(client, auth("alpha")) if e["kind"] == "conflict.notice"]
    assert "other_operation_id" not in notice and "beta" not in str(notice)

    share("alpha", "beta", "operation_ids")
    assert client.put("/v1/operations/a2", json=plan(lon=1), headers=auth("alpha")).is_success
    r = client.put("/v1/operations/b2", json=plan(lon=1.005, priority=5), headers=auth("beta"))
    assert r.status_code == 201
    notices = [e["data"] for e in events(client, auth("alpha")) if e["kind"] == "conflict.notice"]
    assert notices[-1]["other_operation_id"] == "b2"


def test_the_consoles_standing_conflicts_hide_the_other_operation(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    alpha_plans(client, auth)
    client.put("/v1/operations/b1", json=plan(lon=0.005, priority=5), headers=auth("beta"))
    r = client.get("/v1/console/conflicts", headers=auth("alpha"))
    [c] = r.json()["conflicts"]
    assert c["operation"] == "a1" and "other_operation" not in c and "b1" not in r.text


def test_the_operator_sees_every_operation_in_full(client: TestClient, auth: Headers) -> None:
    alpha_plans(client, auth)
    [seen] = listed(client, auth("ops", "deconflict.read", "deconflict.admin"))
    assert seen["details"] == SECRET and "volumes" in seen


def test_another_partys_constraint_is_a_reference_unless_a_details_agreement_exists(
    client: TestClient, auth: Headers, share: Share
) -> None:
    no_fly = {"type": "no_fly", "volumes": plan()["volumes"]}
    assert client.put("/v1/constraints/base", json=no_fly, headers=auth("alpha")).is_success
    before = client.get("/v1/constraints/base", headers=auth("beta")).json()
    assert before["reference"] is True and "volumes" not in before
    share("alpha", "beta", "details")
    after = client.get("/v1/constraints/base", headers=auth("beta")).json()
    assert "reference" not in after and after["volumes"]
