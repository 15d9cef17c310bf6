"""ED-269 and GeoJSON constraint files: round trips and hand-converted units."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.io.airspace import airspace_geojson, load_airspace, parse_airspace
from deconflict.io.ed269 import SURFACE_M, parse_ed269, to_ed269
from deconflict.model.constraint import AgreedZone, Constraint, ConstraintType
from tests.airspace.factories import box, constraint, window

MORNING = TimeWindow(datetime(2026, 7, 1, 6, tzinfo=UTC), datetime(2026, 7, 1, 12, tzinfo=UTC))
EVENING = TimeWindow(datetime(2026, 7, 1, 18, tzinfo=UTC), datetime(2026, 7, 1, 22, tzinfo=UTC))


def _zone(**overrides: object) -> dict[str, object]:
    zone: dict[str, object] = {
        "identifier": "LFP01",
        "country": "FRA",
        "name": "Stadium",
        "type": "COMMON",
        "restriction": "PROHIBITED",
        "reason": ["SENSITIVE"],
        "applicability": [
            {
                "permanent": "NO",
                "startDateTime": "2026-07-01T06:00:00Z",
                "endDateTime": "2026-07-01T12:00:00Z",
            }
        ],
        "geometry": [
            {
                "uomDimensions": "FT",
                "lowerLimit": 0,
                "lowerVerticalReference": "AGL",
                "upperLimit": 400,
                "upperVerticalReference": "AMSL",
                "horizontalProjection": {
                    "type": "Polygon",
                    "coordinates": [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.0]]],
                },
            },
            {
                "uomDimensions": "M",
                "lowerLimit": 100,
                "upperLimit": 200,
                "verticalReferenceType": "WGS84",
                "horizontalProjection": {"type": "Circle", "center": [2.3, 48.8], "radius": 500},
            },
        ],
        "zoneAuthority": [{"name": "DGAC", "purpose": "AUTHORIZATION"}],
    }
    zone.update(overrides)
    return zone


def test_ed269_units_and_references_are_converted_to_w84_metres() -> None:
    (c,) = parse_ed269({"features": [_zone()]}, geoid_undulation_m=47.0)
    assert c.id == "LFP01" and c.type is ConstraintType.NO_FLY and c.owner == "DGAC"
    first, second = c.volumes
    # 0 ft AGL is "from the ground"; 400 ft AMSL = 121.92 m + 47 m of geoid.
    assert first.altitude == AltitudeBand(SURFACE_M, 121.92 + 47.0)
    assert first.time == MORNING
    assert second.footprint == Circle(2.3, 48.8, 500.0)
    assert second.altitude == AltitudeBand(100.0, 200.0)
    assert c.details["country"] == "FRA"


def test_ed269_references_we_cannot_convert_are_rejected_with_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"features\[0\]\.geometry\[0\]\.upperLimit: AMSL"):
        parse_ed269({"features": [_zone()]})
    agl = _zone()
    geometry = agl["geometry"]
    assert isinstance(geometry, list)
    geometry[0]["upperVerticalReference"] = "AGL"
    with pytest.raises(InvalidInput, match="ground_max_m"):
        parse_ed269({"features": [agl]})
    (c,) = parse_ed269({"features": [agl]}, ground_max_m=300.0)
    assert c.volumes[0].altitude.upper_m == pytest.approx(300.0 + 121.92)


def test_ed269_restrictions_map_to_types() -> None:
    kinds = {
        r: parse_ed269({"features": [_zone(restriction=r)]}, geoid_undulation_m=0.0)[0].type
        for r in ("PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL", "NO_RESTRICTION")
    }
    assert list(kinds.values()) == [
        ConstraintType.NO_FLY,
        ConstraintType.RESTRICTED,
        ConstraintType.RESTRICTED,
        ConstraintType.ADVISORY,
    ]
    with pytest.raises(InvalidInput, match=r"features\[0\]\.restriction"):
        parse_ed269({"features": [_zone(restriction="MAYBE")]})


def test_ed269_round_trip_is_lossless() -> None:
    restricted = Constraint(
        "R1",
        ConstraintType.RESTRICTED,
        "alpha",
        (
            Volume4D(box(10.0, 50.0, 10.1, 50.1), AltitudeBand(-10.5, 150.25), MORNING),
            Volume4D(Circle(10.2, 50.2, 750.0), AltitudeBand(0.0, 90.0), EVENING),
            Volume4D(box(10.3, 50.0, 10.4, 50.1), AltitudeBand(0.0, 90.0), MORNING),
        ),
        TimeWindow(MORNING.start, EVENING.end),
        frozenset({"medevac", "police"}),
        40,
        "hospital",
    )
    original = [restricted, constraint("N1"), constraint("A1", ConstraintType.ADVISORY)]
    written = orjson.dumps(to_ed269(original))
    back = load_airspace(written).constraints
    assert back == [
        Constraint(
            restricted.id,
            restricted.type,
            restricted.owner,
            # Volumes sharing a window travel in one zone: morning ones first.
            (restricted.volumes[0], restricted.volumes[2], restricted.volumes[1]),
            restricted.validity,
            restricted.allowed_parties,
            restricted.allowed_min_priority,
            restricted.name,
        ),
        *original[1:],
    ]


def test_geojson_round_trip_of_constraints_and_zones() -> None:
    line = AgreedZone.from_line(
        "dateline", "operator", [(180.0, -17.0), (180.0, -16.0)], 1000.0, "w", "e", window()
    )
    airspace = load_airspace(orjson.dumps(airspace_geojson(parse_airspace(_file()))))
    assert [c.id for c in airspace.constraints] == ["nfz"]
    assert airspace.constraints[0] == constraint("nfz")
    (zone,) = airspace.zones
    assert zone.id == "dateline" and [s.party for s in zone.sectors] == ["w", "e"]
    assert zone.sectors == line.sectors
    assert zone.validity == line.validity


def _file() -> dict[str, object]:
    c = constraint("nfz")
    v = c.volumes[0]
    t = "2026-07-01T12:00:00Z"
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": v.footprint.to_geojson(),
                "properties": {
                    "constraint": "nfz",
                    "type": "no_fly",
                    "name": "nfz",
                    "altitude_lower_m": 0,
                    "altitude_upper_m": 500,
                    "time_start": t,
                    "time_end": "2026-07-01T13:00:00Z",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[180, -17], [180, -16]]},
                "properties": {
                    "zone": "dateline",
                    "width_m": 1000,
                    "left_party": "w",
                    "right_party": "e",
                    "valid_start": t,
                    "valid_end": "2026-07-01T13:00:00Z",
                },
            },
        ],
    }


def test_geojson_errors_name_the_feature_and_field() -> None:
    data = _file()
    features = data["features"]
    assert isinstance(features, list)
    features[1]["properties"]["width_m"] = "wide"
    with pytest.raises(InvalidInput, match=r"features\[1\]\.properties\.width_m"):
        parse_airspace(data)
