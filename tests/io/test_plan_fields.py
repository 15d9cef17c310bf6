"""A plan's geometry errors name the GeoJSON the user wrote, not the domain's fields."""

from __future__ import annotations

from typing import Any

import pytest

from deconflict.errors import InvalidInput
from deconflict.io.plan import parse_geometry

RING = [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]


def field_of(geometry: dict[str, Any], props: dict[str, Any] | None = None) -> str:
    with pytest.raises(InvalidInput) as err:
        parse_geometry(geometry, props or {})
    return err.value.field


def test_a_bad_position_is_named_by_its_place_in_the_ring() -> None:
    ring = [*RING[:2], [0.01, "north"], *RING[3:]]
    assert field_of({"type": "Polygon", "coordinates": [ring]}) == "geometry.coordinates[0][2]"


def test_a_rule_of_the_whole_ring_names_the_ring() -> None:
    ring = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]  # crosses itself
    assert field_of({"type": "Polygon", "coordinates": [ring]}) == "geometry.coordinates[0]"


def test_a_circles_centre_is_named_by_its_coordinates() -> None:
    point = {"type": "Point", "coordinates": [0.0, 95.0]}
    assert field_of(point, {"radius_m": 50}) == "geometry.coordinates"
