"""The order of ``GET /v1/operations`` reveals nothing the viewer may not see (issue 21,
High 2).

The attack: the list was sorted by id, so a party that created probe operations with
chosen ids and watched where another party's reference fell among them recovered the
hidden id by bisection (470 requests). The property: the same airspace, with the other
party's operations under different hidden ids, lists identically to the viewer: the
same references in the same order, cut at the same place by ``limit``.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Headers, native_op

IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


def _at(minute: int, lon: float, lat: float) -> dict[str, Any]:
    body = native_op(lon=lon, lat=lat)
    body["volumes"][0]["time_start"] = f"2030-07-01T10:{minute:02d}:00Z"
    return body


def _listing(
    client: TestClient,
    auth: Headers,
    theirs: list[tuple[str, int]],
    mine: list[int],
    limit: int,
    bbox: bool = False,
) -> list[dict[str, Any]]:
    """Bravo plans ``theirs`` (id, start minute), alpha plans ``mine``; alpha's list,
    after which everything is removed again."""
    bravo, alpha = auth("bravo"), auth("alpha")
    planned = []
    for k, (op_id, minute) in enumerate(theirs):
        r = client.put(f"/v1/operations/{op_id}", json=_at(minute, 0.05 * k, 0.0), headers=bravo)
        assert r.status_code == 201, r.text
        planned.append((op_id, bravo))
    for k, minute in enumerate(mine):
        op_id = f"mine-{k}"
        r = client.put(f"/v1/operations/{op_id}", json=_at(minute, 0.05 * k, 0.2), headers=alpha)
        assert r.status_code == 201, r.text
        planned.append((op_id, alpha))
    # With a bbox the candidates come from the cell index, without one from SQL.
    area = {"bbox": "-0.01,-0.01,0.27,0.22"} if bbox else {}
    r = client.get("/v1/operations", params={"limit": limit, **area}, headers=alpha)
    assert r.status_code == 200, r.text
    for op_id, headers in planned:
        assert client.delete(f"/v1/operations/{op_id}", headers=headers).status_code == 200
    # When the viewer's own operations were written differs from run to run; it is
    # not what this compares.
    return [
        {k: v for k, v in o.items() if k not in ("created", "updated")}
        for o in r.json()["operations"]
    ]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    starts=st.lists(st.sampled_from([0, 10, 20]), min_size=1, max_size=6),
    mine=st.lists(st.sampled_from([0, 10, 20]), max_size=2),
    labels=st.data(),
    cut=st.integers(min_value=1, max_value=8),
    bbox=st.booleans(),
)
def test_the_list_order_does_not_depend_on_the_hidden_ids_of_others_operations(
    client: TestClient,
    auth: Headers,
    starts: list[int],
    mine: list[int],
    labels: st.DataObject,
    cut: int,
    bbox: bool,
) -> None:
    n = len(starts)
    first = labels.draw(st.lists(IDS, min_size=n, max_size=n, unique=True), label="ids")
    second = labels.draw(st.lists(IDS, min_size=n, max_size=n, unique=True), label="other ids")
    limit = min(cut, n + len(mine))

    seen = _listing(client, auth, list(zip(first, starts, strict=True)), mine, limit, bbox)
    again = _listing(client, auth, list(zip(second, starts, strict=True)), mine, limit, bbox)

    assert seen == again
    assert len(seen) == limit


def test_the_list_is_ordered_by_start_time(client: TestClient, auth: Headers) -> None:
    listed = _listing(client, auth, [("zz", 0), ("aa", 20)], [10], limit=10)
    starts = [o.get("time_start") or o["volumes"][0]["time_start"] for o in listed]
    assert [t[11:16] for t in starts] == ["10:00", "10:10", "10:20"]


def _check_answer(
    client: TestClient, auth: Headers, theirs: list[str], mine: list[str]
) -> dict[str, Any]:
    """Bravo plans ``theirs`` and alpha ``mine`` side by side at 10:00 (alpha's ids are its
    probes); alpha dry-runs one box over all of them; everything is removed again."""
    bravo, alpha = auth("bravo"), auth("alpha")
    planned = []
    for k, op_id in enumerate(theirs):
        r = client.put(f"/v1/operations/{op_id}", json=_at(0, 0.02 * k, 0.0), headers=bravo)
        assert r.status_code == 201, r.text
        planned.append((op_id, bravo))
    for k, op_id in enumerate(mine):
        r = client.put(f"/v1/operations/{op_id}", json=_at(0, 0.02 * k, 0.1), headers=alpha)
        assert r.status_code == 201, r.text
        planned.append((op_id, alpha))
    box = [[-0.005, -0.005], [0.2, -0.005], [0.2, 0.12], [-0.005, 0.12], [-0.005, -0.005]]
    probe = _at(0, 0.0, 0.0)
    probe["volumes"][0]["geometry"]["coordinates"] = [box]
    r = client.post("/v1/operations:check", json={"id": "probe", **probe}, headers=alpha)
    assert r.status_code == 200, r.text
    for op_id, headers in planned:
        assert client.delete(f"/v1/operations/{op_id}", headers=headers).status_code == 200
    answer: dict[str, Any] = r.json()
    return answer


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ids=st.lists(IDS, min_size=2, max_size=4, unique=True),
    probes=st.lists(IDS.map(lambda s: f"p{s}"), min_size=1, max_size=3, unique=True),
)
def test_the_order_of_conflicts_does_not_depend_on_the_hidden_ids_of_others_operations(
    client: TestClient, auth: Headers, ids: list[str], probes: list[str]
) -> None:
    # The same airspace under the hidden ids and under their reverse.
    first = _check_answer(client, auth, ids, probes)
    second = _check_answer(client, auth, list(reversed(ids)), probes)
    assert first["conflicts"] == second["conflicts"]
