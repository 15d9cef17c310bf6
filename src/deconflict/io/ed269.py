"""EUROCAE ED-269 geographical zones (JSON) in and out.

An ED-269 file is an object with ``features``: a list of ``UASZoneVersion`` objects.
Each has an ``identifier``, a ``restriction``, ``applicability`` periods and a list of
``geometry`` items (airspace volumes): ``horizontalProjection`` (a GeoJSON Polygon, or a
``Circle`` with ``center`` and ``radius``), ``lowerLimit``/``upperLimit`` in
``uomDimensions`` (``M`` or ``FT``) above a vertical reference (``lowerVerticalReference``
/``upperVerticalReference``, or one ``verticalReferenceType`` for both).

Restrictions map onto constraint types:

===================  ===========  ====================================================
ED-269               constraint   why
===================  ===========  ====================================================
PROHIBITED           no_fly       nobody may enter
REQ_AUTHORISATION    restricted   only authorised parties: listed in
                                  ``extendedProperties.deconflict.allowed_parties``
CONDITIONAL          restricted   we cannot evaluate free-text conditions, so we treat
                                  the zone as closed except to listed parties
NO_RESTRICTION       advisory     information only
===================  ===========  ====================================================

Altitudes become WGS-84 ellipsoid metres, the service's only vertical frame; feet are
converted exactly (0.3048 m). Other references cannot be converted without data the
file does not carry, so they need an option or are rejected with a message naming the
field:

- ``WGS84``: taken as is.
- ``AMSL`` (above mean sea level): needs ``geoid_undulation_m``, the geoid height N of
  the area (W84 = AMSL + N; about +50 m over central Europe). One value per file: use a
  conservative one, or split the file by region.
- ``AGL`` (above ground): a lower limit of 0 AGL means "from the ground" and becomes
  ``SURFACE_M`` (below any ground on Earth), which can only make the zone larger. Any
  other AGL limit needs the terrain range of the area: ``ground_min_m``/``ground_max_m``
  (ellipsoid metres); a lower limit uses the lowest ground and an upper limit the
  highest, so the converted zone always contains the real one.

Daily ``schedule`` entries inside an applicability period are not modelled: the zone
is taken to be in force for the whole period, which again can only enlarge it.
Export always writes WGS-84 metres, so export then import is lossless.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import Constraint, ConstraintType
from deconflict.model.times import parse_time, rfc3339

FOOT_M = 0.3048
SURFACE_M = -1_000.0
"""Ellipsoid height below any ground (the Dead Sea shore is about -430 m MSL, and the
geoid is nowhere below -110 m): where "from the ground" ends up."""

PERMANENT_START = datetime(1970, 1, 1, tzinfo=UTC)
PERMANENT_END = datetime(9999, 12, 31, tzinfo=UTC)

TO_TYPE = {
    "PROHIBITED": ConstraintType.NO_FLY,
    "REQ_AUTHORISATION": ConstraintType.RESTRICTED,
    "CONDITIONAL": ConstraintType.RESTRICTED,
    "NO_RESTRICTION": ConstraintType.ADVISORY,
}
FROM_TYPE = {
    ConstraintType.NO_FLY: "PROHIBITED",
    ConstraintType.RESTRICTED: "REQ_AUTHORISATION",
    ConstraintType.ADVISORY: "NO_RESTRICTION",
}
EXTENSION = "deconflict"
"""Key in ``extendedProperties`` for what ED-269 has no field for (allowed parties)."""


def is_ed269(data: Any) -> bool:
    """An ED-269 collection: ``features`` whose items are zones, not GeoJSON Features."""
    if not isinstance(data, dict) or data.get("type") == "FeatureCollection":
        return False
    features = data.get("features")
    return isinstance(features, list) and all(
        isinstance(f, dict) and "restriction" in f for f in features
    )


def parse_ed269(
    data: Any,
    owner: str = "operator",
    geoid_undulation_m: float | None = None,
    ground_min_m: float | None = None,
    ground_max_m: float | None = None,
) -> list[Constraint]:
    """Every zone of the file as a constraint; errors name ``features[i]`` and the field."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise InvalidInput("features", "an ED-269 file is an object with a 'features' list")
    vertical = _Vertical(geoid_undulation_m, ground_min_m, ground_max_m)
    merged: dict[str, Constraint] = {}
    seen: dict[str, int] = {}
    for i, zone in enumerate(data["features"]):
        try:
            ident, c = _zone(zone, owner, vertical)
        except InvalidInput as exc:
            raise exc.within(f"features[{i}]") from None
        if ident in seen:
            raise InvalidInput(
                f"features[{i}].identifier", f"{ident!r} repeats features[{seen[ident]}]"
            )
        seen[ident] = i
        first = merged.get(c.id)
        if first is None:
            merged[c.id] = c
        elif first.type is not c.type:
            raise InvalidInput(
                f"features[{i}].restriction", f"differs from the other parts of {c.id!r}"
            )
        else:
            # Parts of one constraint that ``to_ed269`` split by time window.
            merged[c.id] = replace(
                first,
                volumes=first.volumes + c.volumes,
                validity=TimeWindow(
                    min(first.validity.start, c.validity.start),
                    max(first.validity.end, c.validity.end),
                ),
            )
    return list(merged.values())


class _Vertical:
    def __init__(
        self, undulation: float | None, ground_min: float | None, ground_max: float | None
    ):
        self.undulation = undulation
        self.ground_min = ground_min
        self.ground_max = ground_max

    def to_w84(self, value_m: float, reference: str, lower: bool, field: str) -> float:
        if reference == "WGS84":
            return value_m
        if reference == "AMSL":
            if self.undulation is None:
                raise InvalidInput(
                    field,
                    "AMSL cannot be converted to WGS-84 without the geoid height: "
                    "give geoid_undulation_m (--geoid-undulation)",
                )
            return value_m + self.undulation
        if reference == "AGL":
            if lower and value_m == 0.0:
                return SURFACE_M
            ground = self.ground_min if lower else self.ground_max
            if ground is None:
                which = "ground_min_m" if lower else "ground_max_m"
                raise InvalidInput(
                    field,
                    f"AGL cannot be converted to WGS-84 without terrain: give {which} "
                    "(the lowest/highest ground of the area, ellipsoid metres)",
                )
            return value_m + ground
        raise InvalidInput(field, f"{reference!r}: the reference must be WGS84, AMSL or AGL")


def _zone(zone: Any, owner: str, vertical: _Vertical) -> tuple[str, Constraint]:
    if not isinstance(zone, dict):
        raise InvalidInput("", "a zone (UASZoneVersion) must be an object")
    ident = zone.get("identifier")
    if not isinstance(ident, str) or not ident:
        raise InvalidInput("identifier", "must be a non-empty string")
    restriction = zone.get("restriction")
    if restriction not in TO_TYPE:
        raise InvalidInput("restriction", f"{restriction!r} is not one of {', '.join(TO_TYPE)}")
    kind = TO_TYPE[restriction]
    periods = _periods(zone.get("applicability"))
    geometry = zone.get("geometry")
    if not isinstance(geometry, list) or not geometry:
        raise InvalidInput("geometry", "must be a non-empty list of airspace volumes")
    shapes: list[tuple[Footprint, AltitudeBand]] = []
    for g, item in enumerate(geometry):
        try:
            shapes.append(_volume(item, vertical))
        except InvalidInput as exc:
            raise exc.within(f"geometry[{g}]") from None
    volumes = tuple(Volume4D(f, band, p) for p in periods for f, band in shapes)
    ext = zone.get("extendedProperties")
    mine = ext.get(EXTENSION) if isinstance(ext, dict) else None
    mine = mine if isinstance(mine, dict) else {}
    allowed = mine.get("allowed_parties") or []
    minimum = mine.get("allowed_min_priority")
    details = {
        k: zone[k]
        for k in ("country", "reason", "restrictionConditions", "message", "zoneAuthority")
        if k in zone
    }
    authority = zone.get("zoneAuthority")
    zone_owner = mine.get("owner") or owner
    if not mine.get("owner") and isinstance(authority, list) and authority:
        first = authority[0]
        if isinstance(first, dict) and isinstance(first.get("name"), str) and first["name"]:
            zone_owner = first["name"]
    validity = TimeWindow(min(p.start for p in periods), max(p.end for p in periods))
    if mine.get("valid_start") and mine.get("valid_end"):
        where = f"extendedProperties.{EXTENSION}"
        validity = TimeWindow(
            _ed269_time(mine["valid_start"], f"{where}.valid_start"),
            _ed269_time(mine["valid_end"], f"{where}.valid_end"),
        )
    constraint_id = mine.get("constraint") if isinstance(mine.get("constraint"), str) else None
    return ident, Constraint(
        constraint_id or ident,
        kind,
        str(zone_owner),
        volumes,
        validity,
        frozenset(str(p) for p in allowed) if kind is ConstraintType.RESTRICTED else frozenset(),
        minimum if kind is ConstraintType.RESTRICTED and isinstance(minimum, int) else None,
        str(zone.get("name") or ""),
        details,
    )


def _periods(applicability: Any) -> list[TimeWindow]:
    if applicability is None:
        return [TimeWindow(PERMANENT_START, PERMANENT_END)]
    if not isinstance(applicability, list) or not applicability:
        raise InvalidInput("applicability", "must be a non-empty list of time periods")
    out = []
    for k, p in enumerate(applicability):
        where = f"applicability[{k}]"
        if not isinstance(p, dict):
            raise InvalidInput(where, "must be an object")
        if p.get("permanent") == "YES":
            out.append(TimeWindow(PERMANENT_START, PERMANENT_END))
            continue
        start = _ed269_time(p.get("startDateTime"), f"{where}.startDateTime")
        end = _ed269_time(p.get("endDateTime"), f"{where}.endDateTime")
        try:
            out.append(TimeWindow(start, end))
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.startDateTime", exc.rule) from None
    return out


def _ed269_time(value: Any, where: str) -> datetime:
    return parse_time(value, where, standard="ISO 8601", zone="ED-269 times are UTC (Z)")


def _number(item: dict[str, Any], name: str) -> float:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(name, f"must be a number, got {value!r}")
    return float(value)


def _volume(item: Any, vertical: _Vertical) -> tuple[Footprint, AltitudeBand]:
    if not isinstance(item, dict):
        raise InvalidInput("", "an airspace volume must be an object")
    uom = item.get("uomDimensions", "M")
    if uom not in ("M", "FT"):
        raise InvalidInput("uomDimensions", f"{uom!r}: must be M or FT")
    scale = FOOT_M if uom == "FT" else 1.0
    shared = item.get("verticalReferenceType")
    limits = []
    for side in ("lower", "upper"):
        ref_name = f"{side}VerticalReference"
        reference = item.get(ref_name, shared)
        if not isinstance(reference, str):
            raise InvalidInput(ref_name, "is required: WGS84, AMSL or AGL")
        value = _number(item, f"{side}Limit") * scale
        limits.append(vertical.to_w84(value, reference, side == "lower", f"{side}Limit"))
    band = AltitudeBand(limits[0], limits[1])
    return _projection(item.get("horizontalProjection"), scale), band


def _projection(p: Any, scale: float) -> Footprint:
    if not isinstance(p, dict):
        raise InvalidInput("horizontalProjection", "is required: a Polygon or a Circle")
    kind = p.get("type")
    try:
        if kind == "Polygon":
            coords = p.get("coordinates")
            if not isinstance(coords, list) or len(coords) != 1 or not isinstance(coords[0], list):
                raise InvalidInput("coordinates", "a Polygon needs exactly one ring (no holes)")
            return Polygon.from_ring(coords[0])
        if kind == "Circle":
            centre = p.get("center")
            if not isinstance(centre, list) or len(centre) < 2:
                raise InvalidInput("center", "must be [lon, lat]")
            lon, lat = (_number({"c": c}, "c") for c in centre[:2])
            return Circle(lon, lat, _number(p, "radius") * scale)
    except InvalidInput as exc:
        raise exc.within("horizontalProjection") from None
    raise InvalidInput("horizontalProjection.type", f"{kind!r}: must be Polygon or Circle")


# -------------------------------------------------------------------- writer


def to_ed269(
    constraints: list[Constraint], title: str = "deconflict constraints"
) -> dict[str, Any]:
    """An ED-269 collection. ED-269 gives a zone one set of periods for all its volumes,
    so a constraint whose volumes share one time window is one zone; otherwise the
    volumes are grouped by window into zones named ``id#k``, each naming the constraint
    in ``extendedProperties``, which the reader merges back."""
    features = []
    for c in constraints:
        groups: dict[tuple[datetime, datetime], list[Volume4D]] = {}
        for v in c.volumes:
            groups.setdefault((v.time.start, v.time.end), []).append(v)
        for k, ((start, end), vols) in enumerate(groups.items()):
            ident = c.id if k == 0 else f"{c.id}#{k}"
            features.append(_zone_json(c, ident, start, end, vols))
    return {"title": title, "features": features}


def _zone_json(
    c: Constraint, ident: str, start: datetime, end: datetime, vols: list[Volume4D]
) -> dict[str, Any]:
    ext: dict[str, Any] = {"owner": c.owner, "constraint": c.id}
    if c.type is ConstraintType.RESTRICTED:
        ext["allowed_parties"] = sorted(c.allowed_parties)
        ext["allowed_min_priority"] = c.allowed_min_priority
    ext["valid_start"] = rfc3339(c.validity.start)
    ext["valid_end"] = rfc3339(c.validity.end)
    zone: dict[str, Any] = {
        "identifier": ident,
        "name": c.name,
        "type": "COMMON",
        "restriction": FROM_TYPE[c.type],
        "applicability": [
            {"permanent": "NO", "startDateTime": rfc3339(start), "endDateTime": rfc3339(end)}
        ],
        "geometry": [_volume_json(v) for v in vols],
        "extendedProperties": {EXTENSION: ext},
    }
    for k in ("country", "reason", "restrictionConditions", "message", "zoneAuthority"):
        if k in c.details:
            zone[k] = c.details[k]
    return zone


def _volume_json(v: Volume4D) -> dict[str, Any]:
    f = v.footprint
    projection: dict[str, Any]
    if isinstance(f, Circle):
        projection = {"type": "Circle", "center": [f.lon, f.lat], "radius": f.radius_m}
    else:
        projection = f.to_geojson()
    return {
        "uomDimensions": "M",
        "lowerLimit": v.altitude.lower_m,
        "lowerVerticalReference": "WGS84",
        "upperLimit": v.altitude.upper_m,
        "upperVerticalReference": "WGS84",
        "horizontalProjection": projection,
    }
