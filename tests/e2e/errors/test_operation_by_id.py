"""Issue 18: what ``GET /v1/operations/{id}`` answers for another party's id.

Knowing an operation's id is exactly what an ``operation_ids`` agreement grants
(docs/disclosure.md). Without it the answer is the 404 of an id that does not exist,
whatever else is shared: a ``details`` or ``call_signs`` agreement shows more of the
operation in lists, but never confirms that a guessed id is real.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, parse_grants
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, native_op
from tests.e2e.access.conftest import Share


@pytest.fixture
def share(store: SqlStore) -> Share:
    """An agreement set as the operator sets it (``deconflict parties share``)."""

    def agree(a: str, b: str, *grants: str) -> None:
        agreement = Agreement(a, b, parse_grants(grants))
        store.run(lambda s: save_agreement(s, agreement, by="operator"), write=True)

    return agree


@pytest.mark.parametrize("grants", [(), ("call_signs",), ("details",), ("call_signs", "details")])
def test_without_operation_ids_another_partys_id_answers_as_an_unknown_one(
    client: TestClient, auth: Headers, share: Share, grants: tuple[str, ...]
) -> None:
    r = client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 201
    if grants:
        share("alpha", "beta", *grants)
    hidden = client.get("/v1/operations/a1", headers=auth("beta"))
    unknown = client.get("/v1/operations/zz", headers=auth("beta"))
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == {"message": "no operation 'a1'"}
    assert unknown.json() == {"message": "no operation 'zz'"}


def test_with_operation_ids_another_partys_id_answers_with_its_reference(
    client: TestClient, auth: Headers, share: Share
) -> None:
    assert client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha")).is_success
    share("alpha", "beta", "operation_ids")
    r = client.get("/v1/operations/a1", headers=auth("beta"))
    assert r.status_code == 200
    assert r.json()["id"] == "a1" and r.json()["reference"] is True and "volumes" not in r.json()
