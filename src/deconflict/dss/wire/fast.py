"""A fast lane for the commonest large request: an operational intent PUT whose body is
plain, valid JSON of the spec's shape (a corridor of a hundred polygon extents, a key
of thousands of OVNs).

``intent_params`` checks the parsed body by hand into the very ``IntentParams`` that
the pydantic model and ``convert.intent_params`` make of it, at a fraction of the cost
(model validation and conversion were about a fifth of such a request's CPU). It takes
only a strict subset of what that path accepts: whenever a body strays from it (a field
of another type, even one pydantic would coerce; a circle; anything that would be an
error), the answer is None and the request takes the full path, which says what is
wrong exactly as it always has. So the lane never answers an error, and what it accepts
it reads as the full path does (``tests/dss/wire/test_fast.py`` holds it to that on
valid and broken bodies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from deconflict.dss.records import Extent, ImplicitSubscription, IntentParams
from deconflict.dss.uuids import parse_uuid4
from deconflict.dss.wire import models as w
from deconflict.dss.wire.convert import _parse_rfc3339
from deconflict.errors import BadRequest, InvalidInput
from deconflict.geo.footprint import Polygon
from deconflict.model.operation import OperationState

_STATES = {s.value: OperationState(s.value) for s in w.OperationalIntentState}


def _bounds(model: type[BaseModel], field: str) -> tuple[float, float]:
    """The model's own bounds of a number field (its ``Field(ge=..., le=...)``): the
    lane accepts what the model accepts, and follows it if the bounds change."""
    metadata = model.model_fields[field].metadata
    low = next(m.ge for m in metadata if getattr(m, "ge", None) is not None)
    high = next(m.le for m in metadata if getattr(m, "le", None) is not None)
    return float(low), float(high)


_ALTITUDE = _bounds(w.Altitude, "value")
_LNG = _bounds(w.LatLngPoint, "lng")
_LAT = _bounds(w.LatLngPoint, "lat")


class _Off(Exception):
    """The body leaves the fast lane's subset: the full path must read it."""


def intent_params(body: Any) -> IntentParams | None:
    """What the full path makes of ``body`` (a parsed ``PutOperationalIntentReference
    Parameters``), or None if the full path must read it."""
    try:
        return _intent_params(body)
    except (_Off, InvalidInput):
        return None


def _intent_params(body: Any) -> IntentParams:
    if type(body) is not dict:
        raise _Off
    extents = body.get("extents")
    if type(extents) is not list or not extents:
        raise _Off
    key = body.get("key")
    if key is not None and (type(key) is not list or any(type(k) is not str for k in key)):
        raise _Off
    state = body.get("state")
    subscription_id = _str_or_none(body.get("subscription_id"))
    return IntentParams(
        extents=tuple(_extent(e) for e in extents),
        state=_state(state),
        uss_base_url=_str(body.get("uss_base_url")),
        key=frozenset(key or ()),
        subscription_id=(
            _uuid(subscription_id, "subscription_id") if subscription_id is not None else None
        ),
        new_subscription=_implicit(body.get("new_subscription")),
    )


def _state(value: Any) -> OperationState:
    if type(value) is not str or value not in _STATES:
        raise _Off
    return _STATES[value]


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Off
    return value


def _str_or_none(value: Any) -> str | None:
    return None if value is None else _str(value)


def _uuid(text: str, field: str) -> str:
    try:
        return parse_uuid4(text, field)
    except BadRequest:
        raise _Off from None


def _implicit(value: Any) -> ImplicitSubscription | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _Off
    notify = value.get("notify_for_constraints")
    if notify is not None and type(notify) is not bool:
        raise _Off
    return ImplicitSubscription(_str(value.get("uss_base_url")), bool(notify))


def _number(value: Any, low: float, high: float) -> float:
    """A JSON number within [low, high], as pydantic's ``float`` reads it."""
    if type(value) is float:
        number = value
    elif type(value) is int:
        try:
            number = float(value)
        except OverflowError:
            raise _Off from None
    else:
        raise _Off
    if not low <= number <= high:
        raise _Off
    return number


def _altitude(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) is not dict or value.get("reference") != "W84" or value.get("units") != "M":
        raise _Off
    return _number(value.get("value"), *_ALTITUDE)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _Off
    text = value.get("value")
    fmt = value.get("format")
    if type(text) is not str or (fmt is not None and type(fmt) is not str):
        raise _Off
    parsed = _parse_rfc3339(text)
    if not isinstance(parsed, datetime):
        raise _Off
    return parsed


def _polygon(value: Any) -> Polygon:
    if type(value) is not dict:
        raise _Off
    vertices = value.get("vertices")
    if type(vertices) is not list or len(vertices) < 3:
        raise _Off
    points = []
    for p in vertices:
        if type(p) is not dict:
            raise _Off
        points.append((_number(p.get("lng"), *_LNG), _number(p.get("lat"), *_LAT)))
    return Polygon(tuple(points))  # InvalidInput: the full path names the rule


def _extent(value: Any) -> Extent:
    if type(value) is not dict:
        raise _Off
    volume = value.get("volume")
    if type(volume) is not dict or volume.get("outline_circle") is not None:
        raise _Off
    polygon = volume.get("outline_polygon")
    if polygon is None:
        raise _Off
    return Extent(
        footprint=_polygon(polygon),
        altitude_lower_m=_altitude(volume.get("altitude_lower")),
        altitude_upper_m=_altitude(volume.get("altitude_upper")),
        start=_time(value.get("time_start")),
        end=_time(value.get("time_end")),
    )
