"""Fuzzing the API bodies through the whole app (issue 16): native plans and F3548
operational intents, well-formed but for a few odd fields, never get a 5xx; a
refusal is a 4xx whose message names the field.

Beside ``test_schemathesis.py`` (which fuzzes from the OpenAPI schema): these bodies
pass the schema and reach the domain rules (geometry, times, altitudes, the poles and
the antimeridian), where an internal error dressed as invalid input once hid.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.api.app import create_app
from deconflict.auth.scopes import Scope
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers
from tests.fuzz_values import (
    MISSING,
    PLACES,
    numbers,
    positions,
    rings,
    times,
    without_missing,
    wrong_kinds,
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_ids = itertools.count()


@pytest.fixture
def lenient(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    """A client that receives a 500 instead of re-raising the server's exception."""
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as c:
        yield c


def odd_or(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], fault: bool) -> Any:
    return st.one_of(odd, st.just(MISSING)) if fault else valid


@st.composite
def native_volumes(draw: st.DrawFn) -> Any:
    fields = [
        "geometry",
        "radius_m",
        "altitude_lower_m",
        "altitude_upper_m",
        "time_start",
        "time_end",
    ]
    fault = draw(st.sampled_from([*[None] * 8, *fields]))
    near = draw(st.sampled_from(PLACES))
    if draw(st.booleans()):
        geometry = {"type": "Point", "coordinates": draw(positions(near))}
    else:
        geometry = {"type": "Polygon", "coordinates": [draw(rings(near))]}
    return without_missing(
        {
            "geometry": draw(odd_or(st.just(geometry), wrong_kinds, fault == "geometry")),
            "radius_m": draw(odd_or(st.floats(0.001, 5000.0), numbers, fault == "radius_m")),
            "altitude_lower_m": draw(
                odd_or(st.sampled_from([0, 50]), numbers, fault == "altitude_lower_m")
            ),
            "altitude_upper_m": draw(
                odd_or(st.sampled_from([50, 120]), numbers, fault == "altitude_upper_m")
            ),
            "time_start": draw(
                odd_or(st.just("2030-07-01T10:00:00Z"), times, fault == "time_start")
            ),
            "time_end": draw(odd_or(st.just("2030-07-01T10:30:00Z"), times, fault == "time_end")),
        }
    )


native_bodies = st.builds(
    lambda volumes, priority: {"volumes": volumes, "priority": priority},
    st.lists(native_volumes(), min_size=1, max_size=3),
    st.one_of(st.integers(0, 3), st.integers(0, 3), numbers, wrong_kinds),
)


def assert_no_server_error(r: Any) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        body = r.json()
        assert body.get("message") or body.get("conflicts"), r.text  # a refusal says why


@FUZZ
@given(body=native_bodies, dry_run=st.booleans())
def test_native_plans_never_get_a_server_error(
    lenient: TestClient, auth: Headers, body: Any, dry_run: bool
) -> None:
    party = auth(f"party{next(_ids) % 3}")
    if dry_run:
        r = lenient.post("/v1/operations:check", json=body, headers=party)
    else:
        r = lenient.put(f"/v1/operations/fuzz-{next(_ids)}", json=body, headers=party)
    assert_no_server_error(r)


def f3548_time(minutes: float) -> dict[str, str]:
    t = datetime.now(UTC) + timedelta(minutes=minutes)
    return {"value": t.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


@st.composite
def f3548_extents(draw: st.DrawFn) -> Any:
    fields = ["outline", "altitude_lower", "altitude_upper", "time_start", "time_end"]
    fault = draw(st.sampled_from([*[None] * 8, *fields]))
    near = draw(st.sampled_from(PLACES))
    if draw(st.booleans()):
        p = draw(positions(near))
        lng, lat = (p[0], p[1]) if len(p) >= 2 else near
        outline = {
            "outline_circle": {
                "center": {"lng": lng, "lat": lat},
                "radius": {"value": draw(st.floats(0.01, 5000.0)), "units": "M"},
            }
        }
    else:
        ring = [p for p in draw(rings(near)) if isinstance(p, list) and len(p) >= 2]
        outline = {"outline_polygon": {"vertices": [{"lng": p[0], "lat": p[1]} for p in ring]}}
    odd_outline = st.one_of(
        st.builds(
            lambda v: {
                "outline_circle": {
                    "center": {"lng": v, "lat": v},
                    "radius": {"value": v, "units": "M"},
                }
            },
            numbers,
        ),
        st.builds(lambda v: {"outline_polygon": {"vertices": v}}, wrong_kinds),
    )
    drawn = draw(odd_or(st.just(outline), odd_outline, fault == "outline"))
    volume: dict[str, Any] = {} if drawn is MISSING else dict(drawn)
    for name, value in (("altitude_lower", 0.0), ("altitude_upper", 120.0)):
        alt = draw(odd_or(st.just(value), numbers, fault == name))
        if alt is not MISSING:
            volume[name] = {"value": alt, "reference": "W84", "units": "M"}
    extent: dict[str, Any] = {"volume": volume}
    for name, minutes in (("time_start", 1.0), ("time_end", 61.0)):
        t = draw(
            odd_or(
                st.just(f3548_time(minutes)),
                st.builds(lambda v: {"value": v, "format": "RFC3339"}, times),
                fault == name,
            )
        )
        if t is not MISSING:
            extent[name] = t
    return extent


@FUZZ
@given(extents=st.lists(f3548_extents(), min_size=1, max_size=3))
def test_f3548_intents_never_get_a_server_error(
    lenient: TestClient, auth: Headers, extents: Any
) -> None:
    body = {
        "extents": extents,
        "state": "Accepted",
        "uss_base_url": "https://uss.example.com",
        "key": [],
    }
    headers = auth(f"uss{next(_ids) % 3}", Scope.STRATEGIC_COORDINATION.value)
    r = lenient.put(
        f"/dss/v1/operational_intent_references/{uuid_of(next(_ids))}", json=body, headers=headers
    )
    assert_no_server_error(r)


def uuid_of(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"
