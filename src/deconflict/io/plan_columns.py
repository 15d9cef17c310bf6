"""Plans read straight into columns: the fast path of ``deconflict check``.

``plan.parse_plan`` builds a domain object per volume (about 70 µs each): fine for an
API request, too slow for a day's plan of 100,000 operations. This reader keeps the
domain parser as the single authority on what is valid and only accelerates the common
case: each feature goes through a lean loop; anything unusual in it, and every feature
that a later bulk check flags (coordinates, finiteness, polygon validity), is handed to
``plan.parse_feature``, which either raises the precise error or accepts it. A property
test holds the two readers to the same verdicts and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from deconflict.errors import InvalidInput
from deconflict.geo.earth import MAX_CIRCLE_RADIUS_M
from deconflict.geo.footprint import invalid_rings
from deconflict.io.plan import _Builder, in_feature, parse_feature
from deconflict.model.columns import PlanColumns
from deconflict.model.operation import OperationState

_STATES = {s.value: s for s in OperationState}
_NUMBER = (int, float)
_FLOAT = {float}
_INT_OR_FLOAT = {int, float}


class _Unusual(Exception):
    """Leave this feature to the authoritative parser."""


def read_plan_columns(
    data: Any,
    progress: Callable[[int], None] | None = None,
    validate_polygons: PolygonCheck | None = None,
    settle: bool = True,
) -> PlanColumns:
    """The plan as columns; raises the same ``InvalidInput`` as ``plan.parse_plan``.

    ``validate_polygons`` may check polygons in other processes. With ``settle=False``
    their verdict is left pending in ``cols.settle()`` so that other work can overlap it;
    nothing may be reported from the columns before that call returns.
    """
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("type", "a plan must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput("features", "must be a list of Features")
    cols = PlanColumns()
    builders: dict[str, _Builder] = {}
    index: dict[str, int] = {}
    for i, feature in enumerate(features):
        try:
            try:
                _fast_feature(cols, feature, i, builders, index)
            except (_Unusual, KeyError, TypeError, IndexError, ValueError, AttributeError):
                _slow_feature(cols, feature, i, builders, index)
        except InvalidInput:
            # An earlier feature may fail a bulk check: that one is the first error.
            _bulk_checks(cols, features, validate_polygons)
            cols.settle()
            raise
        if progress is not None and (i + 1) % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(features) % 1000)
    _bulk_checks(cols, features, validate_polygons)
    if settle:
        cols.settle()
    return cols


def _fast_feature(
    cols: PlanColumns,
    feature: dict[str, Any],
    i: int,
    builders: dict[str, _Builder],
    index: dict[str, int],
) -> None:
    if feature["type"] != "Feature":
        raise _Unusual
    props = feature["properties"]
    geometry = feature["geometry"]
    op_id = props["operation"]
    party = props["party"]
    if type(op_id) is not str or type(party) is not str or not op_id or not party:
        raise _Unusual
    priority = props.get("priority", 0)
    if type(priority) is not int:
        raise _Unusual
    state = _STATES[props.get("state") or "Accepted"]
    lo = props["altitude_lower_m"]
    hi = props["altitude_upper_m"]
    if type(lo) not in _NUMBER or type(hi) not in _NUMBER or not lo <= hi:
        raise _Unusual
    start = datetime.fromisoformat(props["time_start"])
    end = datetime.fromisoformat(props["time_end"])
    if start.tzinfo is None or end.tzinfo is None or start > end:
        raise _Unusual
    kind = geometry["type"]
    coords = geometry["coordinates"]
    if kind == "Polygon":
        if type(coords) is not list or len(coords) != 1 or type(coords[0]) is not list:
            raise _Unusual
        ring = coords[0]
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        kinds = {*map(type, lons), *map(type, lats)}  # type checks in C, not per vertex
        if kinds != _FLOAT:
            if not kinds <= _INT_OR_FLOAT:  # bool, str, None...: let the parser say
                raise _Unusual
            lons = [x + 0.0 for x in lons]
            lats = [y + 0.0 for y in lats]
        if len(ring) > 1 and lons[0] == lons[-1] and lats[0] == lats[-1]:
            lons.pop()
            lats.pop()
        radius = 0.0
    elif kind == "Point":
        r = props.get("radius_m")
        if type(r) not in _NUMBER or type(coords) is not list or len(coords) < 2:
            raise _Unusual
        if type(coords[0]) not in _NUMBER or type(coords[1]) not in _NUMBER:
            raise _Unusual
        lons, lats, radius = [coords[0] + 0.0], [coords[1] + 0.0], r + 0.0
        if not 0.0 < radius <= MAX_CIRCLE_RADIUS_M:
            raise _Unusual
    else:
        raise _Unusual
    k = _operation_row(cols, builders, index, i, op_id, party, priority, state)
    cols.vol_op.append(k)
    cols.feature.append(i)
    cols.starts.append(start)
    cols.ends.append(end)
    cols.lo.append(lo + 0.0)
    cols.hi.append(hi + 0.0)
    cols.radius.append(radius)
    cols.first_vertex.append(len(cols.lons))
    cols.vertex_count.append(len(lons))
    cols.lons.extend(lons)
    cols.lats.extend(lats)


def _slow_feature(
    cols: PlanColumns,
    feature: Any,
    i: int,
    builders: dict[str, _Builder],
    index: dict[str, int],
) -> None:
    try:
        op_id, party, priority, state, volume = parse_feature(feature)
    except InvalidInput as exc:
        raise in_feature(exc, i, feature) from None
    k = _operation_row(cols, builders, index, i, op_id, party, priority, state)
    cols.add_volume(k, i, volume)


def _operation_row(
    cols: PlanColumns,
    builders: dict[str, _Builder],
    index: dict[str, int],
    i: int,
    op_id: str,
    party: str,
    priority: int,
    state: OperationState,
) -> int:
    """The operation's row, added on its first feature; later ones must agree with it."""
    k = index.get(op_id)
    if k is not None:
        b = builders[op_id]
        if b.party == party and b.priority == priority and b.state is state:
            return k  # the common case, without building check_same's comparison list
    if k is None:
        builders[op_id] = _Builder(op_id, party, priority, state, i)
        k = index[op_id] = len(cols.op_ids)
        cols.op_ids.append(op_id)
        cols.parties.append(party)
        cols.priorities.append(priority)
        cols.states.append(state)
    else:
        builders[op_id].check_same(i, party, priority, state)
    return k


PolygonCheck = Callable[[PlanColumns, np.ndarray], Callable[[], list[int]]]
"""Starts checking the given polygon volumes; the returned call waits for the invalid ones."""


def _bulk_checks(
    cols: PlanColumns, features: list[Any], validate_polygons: PolygonCheck | None
) -> None:
    """What the lean loop left out, for all volumes at once; the first failure is
    re-read by the authoritative parser for its message.

    Polygon validity, the costly part, may still be running when this returns: it is
    settled by ``cols.settle()``, which the checker calls once its broad phase is done.
    """
    a = cols.arrays  # cached: the checker's broad phase reuses these arrays
    flagged: list[int] = []
    finite = np.isfinite(a.lo) & np.isfinite(a.hi)
    flagged.extend(np.flatnonzero(~finite).tolist()[:1])
    owner = np.repeat(np.arange(len(cols)), a.vertex_count)
    bad_vertex = ~((a.lats >= -90.0) & (a.lats <= 90.0) & (a.lons >= -180.0) & (a.lons <= 180.0))
    flagged.extend(np.unique(owner[bad_vertex]).tolist()[:1])
    polygons = np.flatnonzero(a.radius == 0.0)
    waiting = (validate_polygons or validate_polygons_here)(cols, polygons)

    def settle() -> None:
        _raise_first(cols, features, sorted([*flagged, *waiting()[:1]]))

    if flagged:
        settle()  # an error is certain: find which one comes first now
    cols.pending = settle


def _raise_first(cols: PlanColumns, features: list[Any], flagged: list[int]) -> None:
    for v in flagged:
        i = cols.feature[v]
        if i < 0:
            cols.footprint(v)  # a domain object that cannot be invalid; raises if it is
            continue
        try:
            parse_feature(features[i])
        except InvalidInput as exc:
            raise in_feature(exc, i, features[i]) from None


def validate_polygons_here(cols: PlanColumns, volumes: np.ndarray) -> Callable[[], list[int]]:
    """Checks polygons in this process, when the result is first asked for."""

    def wait() -> list[int]:
        picked = volumes.tolist()
        return [picked[k] for k in invalid_rings([cols.ring(v) for v in picked])]

    return wait
