"""Constraints and agreed zones as GeoJSON, and the file loader that also reads ED-269.

One Feature per constraint volume or zone sector, grouped by id like plan features:

- a constraint feature has ``constraint`` (id), ``type`` (no_fly, restricted,
  advisory), ``altitude_lower_m``, ``altitude_upper_m``, ``time_start``, ``time_end``,
  and optionally ``owner``, ``name``, ``valid_start``/``valid_end`` (default: the
  volumes' span), ``allowed_parties`` and ``allowed_min_priority`` (restricted only);
- a zone feature has ``zone`` (id), ``valid_start``, ``valid_end`` and either a Polygon
  (or Point with ``radius_m``) and ``party``, or a LineString with ``width_m``,
  ``left_party`` and ``right_party`` (the line's two sectors, see ``line_sectors``);
  ``altitude_lower_m``/``altitude_upper_m`` are optional (default: every altitude).

Errors name the feature index and field, as in ``io.plan``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.io.plan import parse_geometry
from deconflict.model.constraint import (
    EVERYWHERE_ALTITUDE,
    AgreedZone,
    Constraint,
    ConstraintType,
    Sector,
    line_sectors,
)
from deconflict.model.times import parse_time, rfc3339


@dataclass(frozen=True)
class Airspace:
    constraints: list[Constraint] = field(default_factory=list)
    zones: list[AgreedZone] = field(default_factory=list)


def load_airspace(raw: bytes, owner: str = "operator", **ed269: Any) -> Airspace:
    """A GeoJSON or ED-269 file (told apart by content); ``ed269`` options go to
    ``io.ed269.parse_ed269`` (vertical references)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("", f"not valid JSON: {exc}") from None
    from deconflict.io.ed269 import is_ed269, parse_ed269

    if is_ed269(data):
        return Airspace(parse_ed269(data, owner, **ed269), [])
    return parse_airspace(data, owner)


def parse_airspace(data: Any, owner: str = "operator") -> Airspace:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("type", "must be a GeoJSON FeatureCollection (or an ED-269 file)")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput("features", "must be a list of Features")
    constraints: dict[str, _ConstraintBuilder] = {}
    zones: dict[str, _ZoneBuilder] = {}
    for i, feature in enumerate(features):
        try:
            _add_feature(feature, owner, constraints, zones)
        except InvalidInput as exc:
            raise exc.within(f"features[{i}]") from None
    out = Airspace()
    for cid, b in constraints.items():
        try:
            out.constraints.append(b.build())
        except InvalidInput as exc:
            raise exc.within(f"constraint {cid!r}") from None
    for zid, z in zones.items():
        try:
            out.zones.append(z.build())
        except InvalidInput as exc:
            raise exc.within(f"zone {zid!r}") from None
    return out


@dataclass
class _ConstraintBuilder:
    id: str
    type: ConstraintType
    owner: str
    name: str
    allowed_parties: frozenset[str]
    allowed_min_priority: int | None
    valid_start: datetime | None
    valid_end: datetime | None
    volumes: list[Volume4D] = field(default_factory=list)

    def build(self) -> Constraint:
        start = self.valid_start or min(v.time.start for v in self.volumes)
        end = self.valid_end or max(v.time.end for v in self.volumes)
        return Constraint(
            self.id,
            self.type,
            self.owner,
            tuple(self.volumes),
            TimeWindow(start, end),
            self.allowed_parties,
            self.allowed_min_priority,
            self.name,
        )


@dataclass
class _ZoneBuilder:
    id: str
    owner: str
    name: str
    validity: TimeWindow
    altitude: AltitudeBand
    sectors: list[Sector] = field(default_factory=list)

    def build(self) -> AgreedZone:
        return AgreedZone(
            self.id, self.owner, tuple(self.sectors), self.validity, self.altitude, self.name
        )


def _add_feature(
    feature: Any,
    owner: str,
    constraints: dict[str, _ConstraintBuilder],
    zones: dict[str, _ZoneBuilder],
) -> None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("type", "must be a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise InvalidInput("properties", "must be an object")
    if props.get("constraint") is not None:
        _add_constraint(feature, props, owner, constraints)
    elif props.get("zone") is not None:
        _add_zone(feature, props, owner, zones)
    else:
        raise InvalidInput("properties", "needs 'constraint' or 'zone' (the id it belongs to)")


def _add_constraint(
    feature: dict[str, Any],
    props: dict[str, Any],
    owner: str,
    constraints: dict[str, _ConstraintBuilder],
) -> None:
    cid = _text(props, "constraint")
    kind_text = props.get("type")
    try:
        kind = ConstraintType(str(kind_text))
    except ValueError:
        allowed = ", ".join(t.value for t in ConstraintType)
        raise InvalidInput("properties.type", f"{kind_text!r} is not one of {allowed}") from None
    altitude = _band(props, required=True)
    time = TimeWindow(_time(props, "time_start"), _time(props, "time_end"))
    volume = Volume4D(parse_geometry(feature.get("geometry"), props), altitude, time)
    b = constraints.get(cid)
    if b is None:
        parties = props.get("allowed_parties") or []
        if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
            raise InvalidInput("properties.allowed_parties", "must be a list of party names")
        minimum = props.get("allowed_min_priority")
        if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int)):
            raise InvalidInput("properties.allowed_min_priority", "must be an integer")
        b = constraints[cid] = _ConstraintBuilder(
            cid,
            kind,
            str(props.get("owner") or owner),
            str(props.get("name") or ""),
            frozenset(parties),
            minimum,
            _time(props, "valid_start") if props.get("valid_start") else None,
            _time(props, "valid_end") if props.get("valid_end") else None,
        )
    elif b.type is not kind:
        raise InvalidInput("properties.type", f"differs from {b.type.value!r} given before")
    b.volumes.append(volume)


def _add_zone(
    feature: dict[str, Any], props: dict[str, Any], owner: str, zones: dict[str, _ZoneBuilder]
) -> None:
    zid = _text(props, "zone")
    b = zones.get(zid)
    if b is None:
        validity = TimeWindow(_time(props, "valid_start"), _time(props, "valid_end"))
        b = zones[zid] = _ZoneBuilder(
            zid,
            str(props.get("owner") or owner),
            str(props.get("name") or ""),
            validity,
            _band(props, required=False),
        )
    geometry = feature.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") == "LineString":
        coords = geometry.get("coordinates")
        if not isinstance(coords, list):
            raise InvalidInput("geometry.coordinates", "a LineString needs a list of positions")
        width = props.get("width_m")
        if isinstance(width, bool) or not isinstance(width, int | float):
            raise InvalidInput("properties.width_m", "a line zone needs width_m, in metres")
        try:
            left, right = line_sectors([tuple(p) for p in coords], float(width))
        except InvalidInput as exc:
            raise exc.within("geometry") from None
        b.sectors.append(Sector(left, _text(props, "left_party")))
        b.sectors.append(Sector(right, _text(props, "right_party")))
        return
    b.sectors.append(Sector(parse_geometry(geometry, props), _text(props, "party")))


def _text(props: dict[str, Any], name: str) -> str:
    value = props.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"properties.{name}", f"must be a non-empty string, got {value!r}")
    return value


def _band(props: dict[str, Any], required: bool) -> AltitudeBand:
    lo, hi = props.get("altitude_lower_m"), props.get("altitude_upper_m")
    if lo is None and hi is None and not required:
        return EVERYWHERE_ALTITUDE
    metres = []
    for name, value in (("altitude_lower_m", lo), ("altitude_upper_m", hi)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"properties.{name}", f"must be a number of metres, got {value!r}")
        metres.append(float(value))
    try:
        return AltitudeBand(metres[0], metres[1])
    except InvalidInput as exc:
        raise exc.within("properties") from None


def _time(props: dict[str, Any], name: str) -> datetime:
    return parse_time(props.get(name), f"properties.{name}")


def _geometry(props: dict[str, Any], footprint: Any) -> dict[str, Any]:
    if isinstance(footprint, Circle):
        props["radius_m"] = footprint.radius_m
    geometry: dict[str, Any] = footprint.to_geojson()
    return geometry


def constraint_features(c: Constraint) -> Iterable[dict[str, Any]]:
    """The inverse of the reader for one constraint."""
    for v in c.volumes:
        props: dict[str, Any] = {
            "constraint": c.id,
            "type": c.type.value,
            "owner": c.owner,
            "name": c.name,
            "valid_start": rfc3339(c.validity.start),
            "valid_end": rfc3339(c.validity.end),
            "altitude_lower_m": v.altitude.lower_m,
            "altitude_upper_m": v.altitude.upper_m,
            "time_start": rfc3339(v.time.start),
            "time_end": rfc3339(v.time.end),
        }
        if c.type is ConstraintType.RESTRICTED:
            props["allowed_parties"] = sorted(c.allowed_parties)
            props["allowed_min_priority"] = c.allowed_min_priority
        geometry = _geometry(props, v.footprint)
        yield {"type": "Feature", "geometry": geometry, "properties": props}


def zone_features(z: AgreedZone) -> Iterable[dict[str, Any]]:
    """One Polygon feature per sector (a line zone comes back as its two sectors)."""
    for k, s in enumerate(z.sectors):
        props: dict[str, Any] = {
            "zone": z.id,
            "sector": k,
            "party": s.party,
            "owner": z.owner,
            "name": z.name,
            "version": z.version,
            "valid_start": rfc3339(z.validity.start),
            "valid_end": rfc3339(z.validity.end),
        }
        if z.altitude != EVERYWHERE_ALTITUDE:
            props["altitude_lower_m"] = z.altitude.lower_m
            props["altitude_upper_m"] = z.altitude.upper_m
        geometry = _geometry(props, s.footprint)
        yield {"type": "Feature", "geometry": geometry, "properties": props}


def airspace_geojson(airspace: Airspace) -> dict[str, Any]:
    features = [f for c in airspace.constraints for f in constraint_features(c)]
    features.extend(f for z in airspace.zones for f in zone_features(z))
    return {"type": "FeatureCollection", "features": features}
