"""The S2 level-13 cell covering that makes candidate search work on any SQL engine.

Cells are stored as signed 64-bit integers (the two's-complement reading of the S2 cell
id) because SQL engines have no unsigned BIGINT. The covering must never miss an
overlap the exact test finds, and the exact test counts shapes within 1 cm as
overlapping, so we cover each footprint *grown* by more than the tolerance: then two
conflicting footprints always share a cell (the point of one that lies within 1 cm of
the other lies in both grown shapes, hence in a cell of both coverings).
"""

from __future__ import annotations

from functools import lru_cache

import s2geometry as s2

from deconflict.geo.earth import TOLERANCE_M, metres_to_radians, unit_vector
from deconflict.geo.footprint import Circle, Footprint

CELL_LEVEL = 13
"""The reference DSS's level: cells of about 1 km², coarse enough for few rows per shape."""

GROWTH_M = 2.0 * TOLERANCE_M
"""How far each footprint is grown before covering; S2's buffer is accurate to 2 %,
so growing by twice the tolerance keeps at least the tolerance everywhere."""


def _coverer(level: int) -> s2.S2RegionCoverer:
    coverer = s2.S2RegionCoverer()
    coverer.set_min_level(level)
    coverer.set_max_level(level)
    coverer.set_max_cells(1 << 30)
    return coverer


def to_signed(cell_id: int) -> int:
    return cell_id - (1 << 64) if cell_id >= (1 << 63) else cell_id


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def covering(footprint: Footprint, level: int = CELL_LEVEL) -> list[int]:
    """Sorted signed cell ids at ``level`` whose union contains the grown footprint."""
    coverer = _coverer(level)
    ids: set[int] = set()
    regions = [s2_region(footprint, GROWTH_M)]
    if not isinstance(footprint, Circle):
        regions.append(s2_region(footprint))  # belt and braces: the buffer is approximate
    for region in regions:
        for cell in coverer.GetCovering(region):
            ids.add(to_signed(cell.id()))
    return sorted(ids)


@lru_cache(maxsize=8192)
def cells_of(footprint: Footprint) -> tuple[int, ...]:
    """``covering(footprint)``, remembered: it costs about 0.1 ms and a write asks for
    it several times (the request's own look-ups, the candidate search, the index rows,
    the F3548 subscriptions), so every layer shares this one cache."""
    return tuple(covering(footprint))


def s2_region(footprint: Footprint, grown_m: float = 0.0) -> s2.S2Region:
    """The footprint as an s2geometry region (a cap for a circle)."""
    if isinstance(footprint, Circle):
        centre = s2.S2Point_FromRaw(*unit_vector(footprint.lon, footprint.lat))
        angle = s2.S1Angle.Radians(metres_to_radians(footprint.radius_m + grown_m))
        return s2.S2Cap(centre, angle)
    polygon = _s2_polygon(footprint.vertices)
    return _grown(polygon, grown_m) if grown_m > 0.0 else polygon


def _s2_polygon(vertices: tuple[tuple[float, float], ...]) -> s2.S2Polygon:
    loop = s2.S2Loop([s2.S2Point_FromRaw(*unit_vector(lon, lat)) for lon, lat in vertices])
    loop.Normalize()
    return s2.S2Polygon(loop)  # takes ownership of the loop


def _grown(polygon: s2.S2Polygon, grown_m: float) -> s2.S2Polygon:
    options = s2.S2BufferOperationOptions()
    options.set_buffer_radius(s2.S1Angle.Radians(metres_to_radians(grown_m)))
    out = s2.S2Polygon()
    op = s2.S2BufferOperation(s2.S2PolygonLayer(out), options)
    op.AddPolygon(polygon.Clone())  # the operation takes ownership of what it is given
    op.Build()
    return out
