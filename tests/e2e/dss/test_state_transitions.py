"""F3548 intent states keep to the native transition table (issue 16, defect 5).

F3548's four states are the native ones by name; its "Ended" is a DELETE, allowed from
every state. An update to a state the table does not allow after the current one is a
409 naming the allowed states (F3548: Contingent "must transition to Ended").
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.e2e.dss.conftest import Dss, new_id

A, V, N, C = "Accepted", "Activated", "Nonconforming", "Contingent"
STATES = (A, V, N, C)
EXPECTED = {A: {A, V, N, C}, V: {V, N, C}, N: {N, V, C}, C: {C}}
"""The table on the F3548 side, written out: the native one without Ended (a DELETE)."""
ROUTE = {A: [], V: [V], N: [V, N], C: [C]}


def reference(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()["operational_intent_reference"]
    return body


def in_state(dss: Dss, state: str) -> tuple[str, str]:
    """A new intent of alpha's moved along allowed steps to ``state``: (id, ovn)."""
    intent_id = new_id()
    sub = {"uss_base_url": dss.alpha.base}
    ovn = reference(dss.alpha.create_intent(intent_id, new_subscription=sub))["ovn"]
    for step in ROUTE[state]:
        ovn = reference(dss.alpha.update_intent(intent_id, ovn, state=step, new_subscription=sub))[
            "ovn"
        ]
    return intent_id, ovn


@pytest.mark.parametrize(("start", "target"), list(itertools.product(STATES, STATES)))
def test_an_update_keeps_to_the_transition_table(dss: Dss, start: str, target: str) -> None:
    intent_id, ovn = in_state(dss, start)
    sub = {"uss_base_url": dss.alpha.base}
    r = dss.alpha.update_intent(intent_id, ovn, state=target, new_subscription=sub)
    if target in EXPECTED[start]:
        assert reference(r)["state"] == target
        return
    assert r.status_code == 409, r.text
    message = r.json()["message"]
    assert f"cannot become {target}" in message
    allowed = message.rsplit(": ", 1)[1].split(", ")
    assert set(allowed) == EXPECTED[start] | {"Ended"}


@pytest.mark.parametrize("start", STATES)
def test_ending_by_delete_is_allowed_from_every_state(dss: Dss, start: str) -> None:
    intent_id, ovn = in_state(dss, start)
    assert (
        dss.alpha.call(
            "DELETE", f"/dss/v1/operational_intent_references/{intent_id}/{ovn}"
        ).status_code
        == 200
    )
