"""Where two footprints overlap, told no finer than S2 cells of a given level.

A conflict report must say where the conflict is, or the planner cannot move its plan;
but the exact overlap of a probe larger than another party's operation *is* that
operation's shape, so a party could trace another's operations with probes. The coarse
overlap is the set of cells of ``level`` that both footprints' coverings at that level
share: every point of the true overlap lies in one of them, and they tell nothing finer
than a cell about either shape.
"""

from __future__ import annotations

from typing import Any

import s2geometry as s2

from deconflict.geo.covering import CELL_BUDGET, CELL_LEVEL, estimated_cells, s2_region
from deconflict.geo.drawing import draw_polygons
from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Footprint

EXACT = 30
"""A level meaning "no coarsening": S2's leaf cells are about a centimetre across."""


def _cells(footprint: Footprint, level: int) -> set[int]:
    coverer = s2.S2RegionCoverer()
    coverer.set_fixed_level(level)
    return {c.id() for c in coverer.GetCovering(s2_region(footprint))}


def affordable_level(level: int, *footprints: Footprint) -> int:
    """``level``, or a coarser one at which each footprint takes at most the cell budget
    (a level finer than 13 is priced as 13 would be, times four per level)."""
    worst = max(estimated_cells(f) for f in footprints)
    while level > 0 and worst * 4.0 ** (level - CELL_LEVEL) > CELL_BUDGET:
        level -= 1
    return level


def coarse_overlap(a: Footprint, b: Footprint, level: int) -> tuple[dict[str, Any], float]:
    """GeoJSON of the level-``level`` cells both footprints meet, and their total area
    in m² (an upper bound of the true overlap's)."""
    level = affordable_level(level, a, b)
    shared = sorted(_cells(a, level) & _cells(b, level))
    if not shared:
        # Footprints within the 1 cm tolerance of each other but in neighbouring cells:
        # the cells of both, where they touch.
        shared = sorted(_cells(a, level) | _cells(b, level))
    polygons: list[Any] = []
    area = 0.0
    for cell_id in shared:
        cell = s2.S2Cell(s2.S2CellId(cell_id))
        ring = []
        for k in range(4):
            ll = s2.S2LatLng(cell.GetVertex(k))
            ring.append([ll.lng().degrees(), ll.lat().degrees()])
        area += cell.ExactArea() * EARTH_RADIUS_M**2
        lons = [p[0] for p in ring]
        if max(lons) - min(lons) < 180.0 and all(abs(p[1]) < 89.0 for p in ring):
            # A quad in lon/lat: a coarse answer needs no great-circle drawing.
            polygons.append([[*ring, ring[0]]])
            continue
        drawn = draw_polygons([[[(p[0], p[1]) for p in ring]]])  # antimeridian, poles
        if drawn is not None:
            parts = drawn["coordinates"]
            polygons.extend(parts if drawn["type"] == "MultiPolygon" else [parts])
    return {"type": "MultiPolygon", "coordinates": polygons}, float(area)
