"""The fast lane for intent PUT bodies reads what the full path (the pydantic model,
``convert.intent_params``) reads, and leaves everything else to it: on valid bodies
and on bodies broken anywhere (wrong types, values pydantic would coerce, missing or
extra fields, out-of-range numbers, bad times, ids and polygons)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from deconflict.dss.records import IntentParams
from deconflict.dss.wire import convert, fast
from deconflict.dss.wire import models as w
from deconflict.errors import DssError

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))

REFUSED = "refused"


def full_path(body: Any) -> IntentParams | str:
    """What the service is given by the full path, or ``REFUSED`` when that path
    answers an error."""
    try:
        model = w.PutOperationalIntentReferenceParameters.model_validate(body, from_attributes=True)
        return convert.intent_params(model)
    except (ValidationError, DssError):
        return REFUSED


def _when(t: str) -> dict[str, Any]:
    return {"value": t, "format": "RFC3339"}


def _extent(lng: float, lat: float, lower: float) -> dict[str, Any]:
    d = 0.001
    return {
        "volume": {
            "outline_polygon": {
                "vertices": [
                    {"lng": lng, "lat": lat},
                    {"lng": lng + d, "lat": lat},
                    {"lng": lng + d, "lat": lat + d / 10},
                    {"lng": lng, "lat": lat + d / 10},
                ]
            },
            "altitude_lower": {"value": lower, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": lower + 1, "reference": "W84", "units": "M"},
        },
        "time_start": _when("2030-01-01T10:00:00Z"),
        "time_end": _when("2030-01-01T10:01:00.5+01:00"),
    }


def valid_body(n: int = 3, keys: int = 4) -> dict[str, Any]:
    return {
        "state": "Accepted",
        "uss_base_url": "https://uss.example.com",
        "new_subscription": {"uss_base_url": "https://uss.example.com"},
        "extents": [_extent(7.0 + k * 0.001, 46.0, 100 + k) for k in range(n)],
        "key": [f"ovn-{k}" for k in range(keys)],
    }


def test_a_plain_corridor_takes_the_lane_and_is_read_as_the_full_path_reads_it() -> None:
    body = valid_body(60, 3000)
    got = fast.intent_params(body)
    assert got is not None
    assert got == full_path(body)


def test_optional_fields_given_null_or_int_numbers_are_read_as_the_full_path_reads_them() -> None:
    body = valid_body()
    body["subscription_id"] = None
    body["key"] = None
    body["new_subscription"]["notify_for_constraints"] = True
    body["extents"][0]["volume"]["outline_circle"] = None
    body["extents"][0]["volume"]["altitude_lower"]["value"] = 100  # an int for a float
    body["extents"][1]["time_start"]["format"] = None
    body["extents"][2]["something_else"] = [1, 2]  # unknown fields are ignored
    got = fast.intent_params(body)
    assert got is not None and got == full_path(body)


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "1.5",
            "true",
            "W84",
            "M",
            "Accepted",
            "accepted",
            "Ended",
            "2030-01-01T10:00:00Z",
            "2030-01-01T10:00:00",
            "not-a-uuid",
            "3b1f4e4e-9a5d-4c4e-8a1f-0e6c2d1f2a3b",
            "3b1f4e4e-9a5d-1c4e-8a1f-0e6c2d1f2a3b",
            -180.0,
            180.0000001,
            90.0,
            -8000.0,
            100000.5,
            1e308,
        ]
    ),
    st.lists(st.integers(0, 3), max_size=3),
    # Built afresh each time: a mutation may later change what it put in.
    st.builds(dict),
    st.builds(lambda: {"lng": 7.0, "lat": 46.0}),
    st.builds(lambda: [{"lng": 7.0 + k * 0.001, "lat": 46.0 + (k == 2) * 0.001} for k in range(3)]),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: keys of objects, indices of (short) lists."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:4]):
            out += _paths(v, (*prefix, i))
    return out


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


@st.composite
def broken_bodies(draw: st.DrawFn) -> Any:
    """A valid body with a few places replaced, removed or added to."""
    body: Any = valid_body(draw(st.integers(1, 3)), draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        if not path:
            body = draw(ODD_VALUES)
            continue
        parent = _at(body, path[:-1])
        how = draw(st.sampled_from(["replace", "remove", "add"]))
        if how == "replace" or not isinstance(parent, dict | list):
            parent[path[-1]] = draw(ODD_VALUES)
        elif how == "remove":
            del parent[path[-1]]
            if not isinstance(parent, dict) and not parent:
                continue
        elif isinstance(parent, dict):
            name = draw(st.sampled_from(["outline_circle", "subscription_id", "format", "x"]))
            parent[name] = draw(ODD_VALUES)
        else:
            parent.append(draw(ODD_VALUES))
        if not isinstance(body, dict | list):
            break
    return body


@PROPERTY
@given(broken_bodies())
def test_a_broken_body_is_left_to_the_full_path_or_read_as_it_reads_it(body: Any) -> None:
    body = json.loads(json.dumps(body))  # as FastAPI hands it over: parsed JSON
    got = fast.intent_params(body)
    assert got is None or got == full_path(body)


def test_a_polygon_the_full_path_refuses_is_left_to_it() -> None:
    body = valid_body(1)
    body["extents"][0]["volume"]["outline_polygon"]["vertices"][2] = {"lng": 7.0005, "lat": 46.0}
    # Three collinear vertices and one more: crossing edges.
    assert full_path(body) == REFUSED
    assert fast.intent_params(body) is None


def test_every_number_the_lane_reads_is_a_finite_float_as_pydantic_makes_it() -> None:
    got = fast.intent_params(valid_body(2))
    assert got is not None
    for e in got.extents:
        for value in (e.altitude_lower_m, e.altitude_upper_m):
            assert type(value) is float and math.isfinite(value)
