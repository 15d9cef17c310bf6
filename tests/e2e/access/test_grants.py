"""Priority and off-nominal states are granted by the operator, not self-declared (issue
21, High 3).

The attacks: a party created an operation with priority 2^63-1 over another's and got
201; a party declared ``Contingent`` at creation. The operator now grants each party its
priority range and whether it may declare off-nominal states; the defaults are priority
0 and no off-nominal declaration.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconflict.access.grants import PartyGrant
from deconflict.model.operation import OperationState
from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, native_op

TOP = 2**63 - 1


def test_a_party_cannot_give_itself_the_top_priority_over_another(
    client: TestClient, auth: Headers
) -> None:
    assert client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha")).is_success
    r = client.put("/v1/operations/b1", json=native_op(priority=TOP), headers=auth("beta"))
    assert r.status_code == 403
    message = r.json()["message"]
    assert message.startswith("priority:") and "granted 'beta' (0..0)" in message
    assert client.get("/v1/operations?party=beta", headers=auth("beta")).json()["operations"] == []


def test_a_party_cannot_declare_an_off_nominal_state_at_creation(
    client: TestClient, auth: Headers
) -> None:
    body = native_op(state="Contingent")
    r = client.put("/v1/operations/b1", json=body, headers=auth("beta"))
    assert r.status_code == 403
    assert r.json()["message"].startswith("state: Contingent is an off-nominal state")


def test_a_party_cannot_switch_its_operation_to_an_off_nominal_state_without_the_grant(
    client: TestClient, auth: Headers
) -> None:
    assert client.put("/v1/operations/b1", json=native_op(), headers=auth("beta")).is_success
    r = client.post(
        "/v1/operations/b1/state", json={"state": "Nonconforming"}, headers=auth("beta")
    )
    assert r.status_code == 403 and "not granted 'beta'" in r.json()["message"]
    ended = client.post("/v1/operations/b1/state", json={"state": "Ended"}, headers=auth("beta"))
    assert ended.status_code == 200, ended.text


def test_the_operators_grant_admits_priorities_in_its_range_and_no_more(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    grant("beta", priority_max=10)
    beta = auth("beta")
    assert client.put("/v1/operations/b1", json=native_op(priority=10), headers=beta).is_success
    r = client.put("/v1/operations/b2", json=native_op(lon=1, priority=11), headers=beta)
    assert r.status_code == 403 and "(0..10)" in r.json()["message"]
    below = client.put("/v1/operations/b3", json=native_op(lon=2, priority=-1), headers=beta)
    assert below.status_code == 403


def test_the_off_nominal_grant_lets_a_party_declare_contingent(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    grant("beta", off_nominal=True)
    r = client.put("/v1/operations/b1", json=native_op(state="Contingent"), headers=auth("beta"))
    assert r.status_code == 201, r.text


def test_a_dry_run_beyond_the_grant_is_refused_too(client: TestClient, auth: Headers) -> None:
    r = client.post("/v1/operations:check", json=native_op(priority=5), headers=auth("beta"))
    assert r.status_code == 403 and r.json()["message"].startswith("priority:")


def test_a_batch_refuses_only_the_items_beyond_the_grant(client: TestClient, auth: Headers) -> None:
    items = [{"id": "b1", **native_op(priority=TOP)}, {"id": "b2", **native_op(lon=1)}]
    r = client.post("/v1/operations:batch", json={"operations": items}, headers=auth("beta"))
    assert r.status_code == 207
    first, second = r.json()["results"]
    assert (first["status"], second["status"]) == (403, 201)
    assert first["message"].startswith("priority:")


def test_only_the_operator_sets_grants(client: TestClient, auth: Headers) -> None:
    body = {"priority_max": 100}
    r = client.put("/v1/parties/beta/grant", json=body, headers=auth("beta"))
    assert r.status_code == 403
    assert client.get("/v1/parties/beta/grant", headers=auth("beta")).json() == {
        "party": "beta",
        "priority_min": 0,
        "priority_max": 0,
        "off_nominal": False,
    }
    assert client.get("/v1/parties/beta/grant", headers=auth("alpha")).status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"priority_min": 5, "priority_max": 1}, {"priority_max": 2**63}, {"priority_max": "9"}],
)
def test_a_grant_must_be_a_range_of_64_bit_priorities(
    client: TestClient, auth: Headers, body: dict[str, object]
) -> None:
    admin = auth("operator", "deconflict.admin")
    r = client.put("/v1/parties/beta/grant", json=body, headers=admin)
    assert r.status_code == 400 and "priority" in r.json()["message"]


def test_a_grant_change_is_in_the_partys_audit_trail(
    client: TestClient, store: SqlStore, grant: Grant
) -> None:
    grant("beta", priority_max=7)
    chain_pending(store)
    entries = store.run(lambda s: [c.entry for c in entries_about(s.conn, "beta")], write=False)
    (entry,) = [e for e in entries if e.object_kind == "grant"]
    assert entry.detail["before"]["priority_max"] == 0
    assert entry.detail["after"]["priority_max"] == 7


def test_the_default_grant_is_priority_zero_and_no_off_nominal_state() -> None:
    grant = PartyGrant("anyone")
    assert grant.refusal(0, OperationState.ACCEPTED) is None
    assert grant.refusal(1, OperationState.ACCEPTED) is not None
    assert grant.refusal(0, OperationState.CONTINGENT) is not None
    assert grant.refusal(0, OperationState.NONCONFORMING) is not None
