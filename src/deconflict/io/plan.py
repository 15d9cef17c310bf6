"""Plans as GeoJSON: one Feature per 4D volume, grouped into operations.

Errors name the feature by its index in ``features`` and the field, e.g.
``features[12].properties.time_end: ...``, so an analyst can find the line to fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.model.times import parse_time, rfc3339

REQUIRED = ("operation", "party", "altitude_lower_m", "altitude_upper_m", "time_start", "time_end")


def load_plan(raw: bytes, progress: Callable[[int], None] | None = None) -> list[Operation]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("", f"not valid JSON: {exc}") from None
    return parse_plan(data, progress)


def parse_plan(data: Any, progress: Callable[[int], None] | None = None) -> list[Operation]:
    """Operations in order of first appearance; ``progress`` is called per 1,000 features."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("type", "a plan must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput("features", "must be a list of Features")
    builders: dict[str, _Builder] = {}
    for i, feature in enumerate(features):
        try:
            op_id, party, priority, state, volume = parse_feature(feature)
        except InvalidInput as exc:
            raise in_feature(exc, i, feature) from None
        builder = builders.get(op_id)
        if builder is None:
            builders[op_id] = _Builder(op_id, party, priority, state, i)
            builder = builders[op_id]
        else:
            builder.check_same(i, party, priority, state)
        builder.volumes.append(volume)
        if progress is not None and (i + 1) % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(features) % 1000)
    return [b.build() for b in builders.values()]


def in_feature(exc: InvalidInput, i: int, feature: Any) -> InvalidInput:
    """``exc`` placed under ``features[i]``, naming the feature's operation when it has
    one, so that an analyst finds the feature by its index or by the id they wrote."""
    placed = exc.within(f"features[{i}]")
    props = feature.get("properties") if isinstance(feature, dict) else None
    op_id = props.get("operation") if isinstance(props, dict) else None
    if isinstance(op_id, str | int) and not isinstance(op_id, bool) and str(op_id) != "":
        return InvalidInput(placed.field, f"{placed.rule} (operation {str(op_id)!r})")
    return placed


@dataclass
class _Builder:
    id: str
    party: str
    priority: int
    state: OperationState
    first_feature: int
    volumes: list[Volume4D] = field(default_factory=list)

    def check_same(self, i: int, party: str, priority: int, state: OperationState) -> None:
        for name, mine, theirs in (
            ("party", self.party, party),
            ("priority", self.priority, priority),
            ("state", self.state, state),
        ):
            if mine != theirs:
                raise InvalidInput(
                    f"features[{i}].properties.{name}",
                    f"{theirs!r} differs from {mine!r} given for operation {self.id!r} "
                    f"in features[{self.first_feature}]",
                )

    def build(self) -> Operation:
        return Operation(self.id, self.party, self.priority, self.state, tuple(self.volumes))


def parse_feature(feature: Any) -> tuple[str, str, int, OperationState, Volume4D]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("type", "must be a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise InvalidInput("properties", "must be an object")
    for name in REQUIRED:
        if props.get(name) is None:
            raise InvalidInput(f"properties.{name}", "is required")
    op_id = _string(props, "operation")
    party = _string(props, "party")
    priority = props.get("priority", 0)
    if priority is None:
        priority = 0
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidInput("properties.priority", f"must be an integer, got {priority!r}")
    state_text = props.get("state") or OperationState.ACCEPTED.value
    try:
        state = OperationState(state_text)
    except ValueError:
        allowed = ", ".join(s.value for s in OperationState)
        raise InvalidInput("properties.state", f"{state_text!r} is not one of {allowed}") from None
    try:
        altitude = AltitudeBand(
            _number(props, "altitude_lower_m"), _number(props, "altitude_upper_m")
        )
        time = TimeWindow(
            parse_time(props["time_start"], "time_start"), parse_time(props["time_end"], "time_end")
        )
    except InvalidInput as exc:
        raise exc.within("properties") from None
    footprint = parse_geometry(feature.get("geometry"), props)
    return op_id, party, priority, state, Volume4D(footprint, altitude, time)


def parse_geometry(geometry: Any, props: dict[str, Any]) -> Footprint:
    """A Polygon, or a Point plus ``radius_m`` (a property, as GeoJSON has no circles)."""
    if not isinstance(geometry, dict):
        raise InvalidInput("geometry", "is required: a Polygon, or a Point with radius_m")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    try:
        if kind == "Polygon":
            if not isinstance(coords, list) or len(coords) != 1:
                raise InvalidInput("coordinates", "a Polygon must have exactly one ring (no holes)")
            if not isinstance(coords[0], list):
                raise InvalidInput(
                    "coordinates[0]", "a ring must be a list of [lon, lat] positions"
                )
            return Polygon.from_ring(coords[0])
        if kind == "Point":
            lon, lat = _position(coords, "coordinates")
            return Circle(lon, lat, _radius(props))
    except InvalidInput as exc:
        if exc.field == "radius_m":
            raise InvalidInput("properties.radius_m", exc.rule) from None
        raise InvalidInput(as_written(exc.field), exc.rule).within("geometry") from None
    raise InvalidInput("geometry.type", f"{kind!r}: a footprint is a Polygon or a Point")


def as_written(field: str) -> str:
    """A footprint's field in GeoJSON's terms, which the user wrote, rather than the
    domain's: the polygon names its positions ``vertices[k]``, read from the ring at
    ``coordinates[0]`` (index for index: only a closing repeat of the first position
    is dropped, at the end), and a circle its ``center``, read from ``coordinates``."""
    if field == "vertices" or field.startswith("vertices["):
        return "coordinates[0]" + field.removeprefix("vertices")
    if field == "center":
        return "coordinates"
    return field


def _radius(props: dict[str, Any]) -> float:
    radius = props.get("radius_m")
    if radius is None:
        raise InvalidInput("radius_m", "a Point footprint needs radius_m (a circle)")
    if isinstance(radius, bool) or not isinstance(radius, int | float):
        raise InvalidInput("radius_m", f"must be a number of metres, got {radius!r}")
    return float(radius)


def _position(p: Any, where: str) -> tuple[float, float]:
    if not isinstance(p, list) or len(p) < 2:
        raise InvalidInput(where, "a position must be [lon, lat]")
    lon, lat = p[0], p[1]
    for v in (lon, lat):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InvalidInput(where, f"coordinates must be numbers, got {v!r}")
    return float(lon), float(lat)


def _string(props: dict[str, Any], name: str) -> str:
    value = props[name]
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise InvalidInput(f"properties.{name}", f"must be a non-empty string, got {value!r}")
    return str(value)


def _number(props: dict[str, Any], name: str) -> float:
    value = props[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(name, f"must be a number of metres, got {value!r}")
    if not math.isfinite(value):
        raise InvalidInput(name, f"must be finite, got {value!r}")
    return float(value)


def volume_properties(v: Volume4D) -> dict[str, Any]:
    """A volume's band, window and (for a circle) radius under the names ``parse_plan``
    reads: the same in a plan file and in the API's answers."""
    out: dict[str, Any] = {
        "altitude_lower_m": v.altitude.lower_m,
        "altitude_upper_m": v.altitude.upper_m,
        "time_start": rfc3339(v.time.start),
        "time_end": rfc3339(v.time.end),
    }
    if isinstance(v.footprint, Circle):
        out["radius_m"] = v.footprint.radius_m
    return out


def operation_features(op: Operation) -> Iterable[dict[str, Any]]:
    """The inverse of ``parse_plan`` for one operation: GeoJSON out."""
    for v in op.volumes:
        props: dict[str, Any] = {
            "operation": op.id,
            "party": op.party,
            "priority": op.priority,
            "state": op.state.value,
            **volume_properties(v),
        }
        yield {"type": "Feature", "geometry": v.footprint.to_geojson(), "properties": props}
