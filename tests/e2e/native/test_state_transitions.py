"""Operation states follow one table, transition by transition (issue 16, defect 5).

The table, as F3548-21's state diagram has it (``model/transitions.py`` explains each
row): Ended is terminal, Contingent only ends, an Activated operation cannot be
un-started, and staying in a live state is allowed.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.model.operation import OperationState
from deconflict.model.transitions import ALLOWED
from tests.conftest import Headers
from tests.conftest import native_op as body

A, V, N, C, E = "Accepted", "Activated", "Nonconforming", "Contingent", "Ended"
STATES = (A, V, N, C, E)
EXPECTED = {
    A: {A, V, N, C, E},
    V: {V, N, C, E},
    N: {N, V, C, E},
    C: {C, E},
    E: set(),
}
"""The specification, written out here rather than read from the code under test."""

ROUTE = {A: [], V: [V], N: [V, N], C: [C], E: [E]}
"""Allowed steps from Accepted (a new operation) to each state."""


@pytest.fixture(autouse=True)
def alpha_may_declare_off_nominal(client: TestClient, auth: Headers) -> None:
    """Who may declare an off-nominal state is the operator's grant (issue 21), a check
    apart from this table: alpha gets it, where the service has grants (404 before)."""
    admin = auth("operator", "deconflict.admin")
    r = client.put("/v1/parties/alpha/grant", json={"off_nominal": True}, headers=admin)
    assert r.status_code in (200, 404), r.text


def test_the_code_holds_exactly_the_specified_table() -> None:
    assert {s.value: {t.value for t in ALLOWED[s]} for s in OperationState} == EXPECTED


def in_state(client: TestClient, auth: Headers, state: str) -> None:
    assert client.put("/v1/operations/op1", json=body(), headers=auth()).status_code == 201
    for step in ROUTE[state]:
        r = client.post("/v1/operations/op1/state", json={"state": step}, headers=auth())
        assert r.status_code == 200, r.text


def current(client: TestClient, auth: Headers) -> str:
    r = client.get("/v1/operations/op1", headers=auth())
    assert r.status_code == 200
    value: str = r.json()["state"]
    return value


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s, t in itertools.product(STATES, STATES) if t in EXPECTED[s]],
)
def test_an_allowed_transition_answers_200_and_takes_effect(
    client: TestClient, auth: Headers, start: str, target: str
) -> None:
    in_state(client, auth, start)
    r = client.post("/v1/operations/op1/state", json={"state": target}, headers=auth())
    assert r.status_code == 200, r.text
    assert current(client, auth) == target


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s, t in itertools.product(STATES, STATES) if t not in EXPECTED[s]],
)
def test_a_refused_transition_answers_409_naming_the_allowed_ones_and_changes_nothing(
    client: TestClient, auth: Headers, start: str, target: str
) -> None:
    in_state(client, auth, start)
    r = client.post("/v1/operations/op1/state", json={"state": target}, headers=auth())
    assert r.status_code == 409, r.text
    answer = r.json()
    assert (answer["state"], answer["requested"]) == (start, target)
    assert set(answer["allowed"]) == EXPECTED[start]
    assert f"cannot become {target}" in answer["message"]
    assert current(client, auth) == start


def test_activating_an_ended_operation_is_refused(client: TestClient, auth: Headers) -> None:
    # Issue 16's report: this answered 200.
    in_state(client, auth, E)
    r = client.post("/v1/operations/op1/state", json={"state": V}, headers=auth())
    assert r.status_code == 409
    assert r.json()["allowed"] == []
    assert "Ended is terminal" in r.json()["message"]


def test_replacing_an_ended_operation_cannot_bring_it_back(
    client: TestClient, auth: Headers
) -> None:
    in_state(client, auth, E)
    r = client.put("/v1/operations/op1", json=body(), headers=auth())
    assert r.status_code == 409
    assert r.json()["allowed"] == [] and current(client, auth) == E


def test_replacing_a_live_operation_keeps_to_the_table(client: TestClient, auth: Headers) -> None:
    in_state(client, auth, V)
    assert client.put("/v1/operations/op1", json=body(state=V), headers=auth()).status_code == 200
    r = client.put("/v1/operations/op1", json=body(state=A), headers=auth())
    assert r.status_code == 409 and set(r.json()["allowed"]) == EXPECTED[V]


PLACES = (0.05 * k for k in itertools.count(1))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(STATES), min_size=1, max_size=8))
def test_any_sequence_of_requests_follows_the_table(
    client: TestClient, auth: Headers, requests: list[str]
) -> None:
    # One service for all examples: each walk flies its own operation in its own place.
    op, place = f"walk{uuid.uuid4().hex[:12]}", next(PLACES)
    r = client.put(f"/v1/operations/{op}", json=body(lon=place), headers=auth())
    assert r.status_code == 201, r.text
    state = A
    for target in requests:
        r = client.post(f"/v1/operations/{op}/state", json={"state": target}, headers=auth())
        if target in EXPECTED[state]:
            assert r.status_code == 200, (state, target, r.text)
            state = target
        else:
            assert r.status_code == 409, (state, target, r.text)
            assert set(r.json()["allowed"]) == EXPECTED[state]
    assert client.get(f"/v1/operations/{op}", headers=auth()).json()["state"] == state
