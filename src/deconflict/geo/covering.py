"""The S2 cell covering that makes candidate search work on any SQL engine, at a cost
bounded by a cell budget.

Cells are stored as signed 64-bit integers (the two's-complement reading of the S2 cell
id) because SQL engines have no unsigned BIGINT. The covering must never miss an
overlap the exact test finds, and the exact test counts shapes within 1 cm as
overlapping, so we cover each footprint *grown* by more than the tolerance: then two
conflicting footprints always share a cell (the point of one that lies within 1 cm of
the other lies in both grown shapes, hence in a cell of both coverings).

A footprint whose level-13 covering fits ``CELL_BUDGET`` is covered by level-13 cells
alone, the reference DSS's level: every compact footprint within the default area limit
is. A larger or more ragged one gets at most ``CELL_BUDGET`` cells of mixed levels (S2's
region coverer picks coarser cells where it must), so no footprint costs more than the
budget to cover, store or search. With mixed levels "share a cell" means "one cell
contains the other" (``shares_cell``): a point interior to both grown shapes lies in the
interior of a cell of each covering, and two S2 cells whose interiors meet are nested.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from functools import lru_cache

import s2geometry as s2

from deconflict.geo.earth import TOLERANCE_M, metres_to_radians, unit_vector
from deconflict.geo.footprint import Circle, Footprint
from deconflict.geo.measure import area_m2, perimeter_m

CELL_LEVEL = 13
"""The reference DSS's level: cells of about 1 km², the finest any covering uses."""

CELL_BUDGET = 8192
"""Most cells of one covering. Every circle or square of the reference DSS's 2,500 km²
keeps level 13 anywhere on Earth (the largest measured needs about 3,200 cells); so does
a 2,500 km² strip down to about 1 km wide. Past the budget, cells get coarser."""

GROWTH_M = 2.0 * TOLERANCE_M
"""How far each footprint is grown before covering; S2's buffer is accurate to 2 %,
so growing by twice the tolerance keeps at least the tolerance everywhere."""

_MAX_LEVEL = 30
"""S2's leaf level: a cell id's lowest set bit is at 2 * (30 - level)."""


def to_signed(cell_id: int) -> int:
    return cell_id - (1 << 64) if cell_id >= (1 << 63) else cell_id


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _lsb(level: int) -> int:
    return 1 << (2 * (_MAX_LEVEL - level))


def cell_level(cell: int) -> int:
    """The S2 level of a (signed or unsigned) cell id."""
    u = to_unsigned(cell)
    return _MAX_LEVEL - ((u & -u).bit_length() - 1) // 2


def parent(cell: int, level: int) -> int:
    """The signed id of the ancestor of ``cell`` at ``level`` (itself at its own level)."""
    u = to_unsigned(cell)
    lsb = _lsb(level)
    return to_signed((u & ~(2 * lsb - 1)) | lsb)


def ancestors(cells: Iterable[int]) -> set[int]:
    """Every strict ancestor, down to a face, of the given cells (signed ids)."""
    out: set[int] = set()
    face_lsb = _lsb(0)
    for c in cells:
        u = c + (1 << 64) if c < 0 else c
        lsb = u & -u
        while lsb < face_lsb:  # one level up per turn, in unsigned ids
            lsb <<= 2
            p = (u & -(lsb << 1)) | lsb
            signed = p - (1 << 64) if p >= (1 << 63) else p
            if signed in out:
                break  # its own ancestors are in already
            out.add(signed)
    return out


def descendant_range(cell: int) -> tuple[int, int]:
    """The closed range of signed ids of ``cell`` and all its descendants.

    A cell's range never crosses 2^63 (faces 0-3 lie below it, 4-5 above), so the
    signed reading keeps it contiguous.
    """
    u = to_unsigned(cell)
    lsb = u & -u
    return to_signed(u - lsb + 1), to_signed(u + lsb - 1)


def shares_cell(a: Collection[int], b: Collection[int]) -> bool:
    """Whether two coverings have a cell in common in the hierarchy sense (one cell of
    ``a`` contains or is contained in one of ``b``). For two level-13 coverings this is
    plain set intersection; it is what "share a level-13 cell" means once one of them
    had to use coarser cells (both then contain a common level-13 cell)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    big = set(large)
    if any(c in big for c in small):
        return True
    if all(cell_level(c) == CELL_LEVEL for c in a) and all(cell_level(c) == CELL_LEVEL for c in b):
        return False
    return bool(ancestors(a) & set(b) or ancestors(b) & set(a))


def covers(outer: Collection[int], inner: Collection[int]) -> bool:
    """Whether every cell of ``inner`` equals or lies inside a cell of ``outer``."""
    have = set(outer)
    return all(c in have or any(parent(c, k) in have for k in range(cell_level(c))) for c in inner)


def _coverer() -> s2.S2RegionCoverer:
    coverer = s2.S2RegionCoverer()
    coverer.set_min_level(0)
    coverer.set_max_level(CELL_LEVEL)
    coverer.set_max_cells(CELL_BUDGET)
    return coverer


def _outermost(cells: Iterable[int]) -> list[int]:
    """The cells not inside another of them, sorted: the same union, no nesting."""
    kept: list[int] = []
    last_hi: int | None = None
    # By first leaf, the larger cell first when two start together.
    spans = sorted((lo, -hi, c) for c in set(cells) for lo, hi in [descendant_range(c)])
    for _lo, neg_hi, c in spans:
        hi = -neg_hi
        if last_hi is not None and hi <= last_hi:
            continue  # inside the previous kept cell (ranges nest or are disjoint)
        kept.append(c)
        last_hi = hi
    return sorted(kept)


def _at_level(cells: list[int], level: int) -> list[int]:
    """Each cell's ancestor at ``level`` (or itself, if coarser), without nesting."""
    return _outermost(parent(c, min(level, cell_level(c))) for c in cells)


def _level13_count(cells: list[int]) -> int:
    return sum(4 ** (CELL_LEVEL - cell_level(c)) for c in cells)


def _expand(cell: int) -> Iterable[int]:
    """The level-13 descendants of ``cell`` (signed ids, in order)."""
    step = 2 * _lsb(CELL_LEVEL)
    lo, hi = descendant_range(cell)
    first = lo - 1 + _lsb(CELL_LEVEL)
    return range(first, hi + 1, step)


def covering(footprint: Footprint) -> list[int]:
    """Sorted signed cell ids whose union contains the grown footprint: all at level 13
    if that takes at most ``CELL_BUDGET`` cells, otherwise at most ``CELL_BUDGET`` cells
    of mixed levels. Its cost is bounded by the budget whatever the footprint's size."""
    alone = _inside_one_cell(footprint)
    if alone is not None:
        return [alone]
    near = _near_cells(footprint)
    if near is not None:
        return near
    coverer = _coverer()
    regions = [s2_region(footprint, GROWTH_M)]
    if not isinstance(footprint, Circle):
        regions.append(s2_region(footprint))  # belt and braces: the buffer is approximate
    found: list[int] = []
    for region in regions:
        found.extend(to_signed(cell.id()) for cell in coverer.GetCovering(region))
    cells = _outermost(found)
    if _level13_count(cells) <= CELL_BUDGET:
        return sorted(c for cell in cells for c in _expand(cell))
    level = CELL_LEVEL
    while len(cells) > CELL_BUDGET:  # the union of the two coverings may exceed it
        level -= 1
        cells = _at_level(cells, level)
    return cells


_ROOM = math.sin(metres_to_radians(2.0 * GROWTH_M))
"""How far inside a cell (the sine of the angle) every vertex of a footprint must lie
for the cell alone to hold the footprint grown by ``GROWTH_M`` (with the buffer's 2 %
and more to spare)."""

_ONE_CELL_MAX_M = 2_000.0
"""No level-13 cell is this wide: a larger circle is never inside one."""


def _inside_one_cell(footprint: Footprint) -> int | None:
    """The level-13 cell that holds the whole grown footprint with room to spare, if
    one does: then that cell is the covering (S2's coverer, at level 13, returns the
    cells the grown region meets; that region lies in this one, centimetres from its
    edges). A short corridor leg or a small square is one cell nine times in ten,
    and this answer costs a few microseconds against half a millisecond for a buffer
    and two coverings.

    A level-13 cell is the intersection of four hemispheres (its edges are great
    circles), so it is convex. A polygon whose vertices are inside it lies inside it,
    since a polygon smaller than a hemisphere lies in the spherical hull of its
    vertices; and a point of that hull is a positive combination of the vertices, so
    its height above each edge's plane (``p . n``, normalised) is at least the least
    height of a vertex. A cap lies inside when its centre is higher than the sine of
    its radius above every edge's plane."""
    if isinstance(footprint, Circle) and footprint.radius_m > _ONE_CELL_MAX_M:
        return None
    points, room = _points_and_room(footprint)
    cell = _cell_of(points[0])
    for nx, ny, nz in _inward_normals(cell):
        for x, y, z in points:
            if x * nx + y * ny + z * nz <= room:
                return None
    return cell


def _points_and_room(footprint: Footprint) -> tuple[list[tuple[float, float, float]], float]:
    """The unit vectors whose spherical hull, widened by the room (the sine of an
    angle), holds the footprint grown by ``GROWTH_M`` with room to spare: a polygon's
    vertices with ``_ROOM``; a circle's centre with the sine of its radius plus that."""
    if isinstance(footprint, Circle):
        room = math.sin(metres_to_radians(footprint.radius_m + 2.0 * GROWTH_M))
        return [unit_vector(footprint.lon, footprint.lat)], room
    return list(footprint.points), _ROOM


def _cell_of(point: tuple[float, float, float]) -> int:
    """The level-13 cell (signed id) of a unit vector."""
    return to_signed(s2.S2CellId(s2.S2Point_FromRaw(*point)).parent(CELL_LEVEL).id())


_NEAR_M = 300.0
"""Reach from its first point within which a footprint may take ``_near_cells``: far
less than the narrowest level-13 cell (about 0.73 km), so the grown footprint lies in
that point's cell and the cells around it."""

_NEAR_COS = math.cos(metres_to_radians(_NEAR_M))


def _near_cells(footprint: Footprint) -> list[int] | None:
    """The covering of a small footprint that straddles level-13 cell edges, when each
    cell around it is surely in or surely out: then it is the coverer's own answer
    (the level-13 cells the grown footprint meets) without S2's buffer and coverer.

    The grown footprint lies in the cell of its first point or one of the eight around
    it (``_NEAR_M``). A cell is surely out when every point of the footprint is more
    than the room (``_ROOM``, twice the growth) outside one of its edge planes: the
    spherical hull of the points is then that far out too (the argument of
    ``_inside_one_cell``, with the signs turned), and growing cannot cross. It is surely
    in when a vertex (a circle's centre) lies inside all four planes by the room: the
    footprint itself meets the cell there. Any other cell (an edge crossing a corner,
    a vertex centimetres from an edge) is not decided here: None, and S2 decides."""
    if isinstance(footprint, Circle) and footprint.radius_m > _NEAR_M:
        return None
    points, out_room = _points_and_room(footprint)
    x0, y0, z0 = points[0]
    if any(x * x0 + y * y0 + z * z0 < _NEAR_COS for x, y, z in points):
        return None
    first = _cell_of(points[0])
    found = []
    for cell in (first, *_neighbours(first)):
        normals = _inward_normals(cell)
        heights = [[x * nx + y * ny + z * nz for nx, ny, nz in normals] for x, y, z in points]
        if any(all(h[k] < -out_room for h in heights) for k in range(4)):
            continue  # surely out
        if any(min(h) > _ROOM for h in heights):
            found.append(cell)  # surely in
            continue
        return None
    return sorted(set(found))


@lru_cache(maxsize=1 << 16)
def _neighbours(cell: int) -> tuple[int, ...]:
    """The level-13 cells that share an edge or a vertex with ``cell`` (signed ids)."""
    s2cell = s2.S2CellId(to_unsigned(cell))
    return tuple(to_signed(c.id()) for c in s2cell.GetAllNeighbors(CELL_LEVEL))


@lru_cache(maxsize=1 << 16)
def _inward_normals(cell: int) -> tuple[tuple[float, float, float], ...]:
    """Unit normals of the planes of the cell's four edges, pointing inside, in S2's
    edge order (bottom, right, top, left: from vertex k to k + 1, counter-clockwise).

    A cell's edges lie on lines of constant u or v of its cube face, whose planes have
    S2's closed-form normals (``S2::GetUNorm``, ``GetVNorm``; ``S2Cell::GetEdgeRaw``),
    from the cell's (i, j) bounds: one call into S2 instead of a dozen for its vertices
    (a corridor meets new cells all along; tested against the vertices' planes)."""
    cell_id = s2.S2CellId(to_unsigned(cell))
    face, i, j, _ = cell_id.ToFaceIJOrientation()
    size = 1 << (_MAX_LEVEL - cell_id.level())
    i0, j0 = i & -size, j & -size  # (i, j) is a leaf beside the centre: the cell's corner
    u0, u1 = _st_to_uv(i0 / _IJ_SIZE), _st_to_uv((i0 + size) / _IJ_SIZE)
    v0, v1 = _st_to_uv(j0 / _IJ_SIZE), _st_to_uv((j0 + size) / _IJ_SIZE)
    (bx, by, bz), (tx, ty, tz) = _v_norm(face, v0), _v_norm(face, v1)
    (rx, ry, rz), (lx, ly, lz) = _u_norm(face, u1), _u_norm(face, u0)
    normals = []
    for nx, ny, nz in ((bx, by, bz), (rx, ry, rz), (-tx, -ty, -tz), (-lx, -ly, -lz)):
        norm = math.sqrt(nx * nx + ny * ny + nz * nz)
        normals.append((nx / norm, ny / norm, nz / norm))
    return tuple(normals)


_IJ_SIZE = float(1 << _MAX_LEVEL)
"""Leaf cells along a face's side: (i, j) over this is (s, t)."""


def _st_to_uv(s: float) -> float:
    """S2's quadratic projection from a face's (s, t) to its (u, v) coordinates."""
    if s >= 0.5:
        return (1.0 / 3.0) * (4.0 * s * s - 1.0)
    return (1.0 / 3.0) * (1.0 - 4.0 * (1.0 - s) * (1.0 - s))


def _u_norm(face: int, u: float) -> tuple[float, float, float]:
    """The normal (not unit) of the plane of the line of constant ``u`` of ``face``,
    right-handed for an edge towards +v (``S2::GetUNorm``)."""
    return (
        (u, -1.0, 0.0),
        (1.0, u, 0.0),
        (1.0, 0.0, u),
        (-u, 0.0, 1.0),
        (0.0, -u, 1.0),
        (0.0, -1.0, -u),
    )[face]


def _v_norm(face: int, v: float) -> tuple[float, float, float]:
    """The normal (not unit) of the plane of the line of constant ``v`` of ``face``,
    left-handed for an edge towards +u (``S2::GetVNorm``)."""
    return (
        (-v, 0.0, 1.0),
        (0.0, -v, 1.0),
        (0.0, -1.0, -v),
        (v, -1.0, 0.0),
        (1.0, v, 0.0),
        (1.0, 0.0, v),
    )[face]


class _WeighedCache:
    """Coverings remembered up to a total number of cells, least recently used out
    first: counting entries would let a few budget-sized coverings hold gigabytes."""

    def __init__(self, max_cells: int) -> None:
        self.max_cells = max_cells
        self._held = 0
        self._items: OrderedDict[Footprint, tuple[int, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, footprint: Footprint) -> tuple[int, ...] | None:
        with self._lock:
            cells = self._items.get(footprint)
            if cells is not None:
                self._items.move_to_end(footprint)
            return cells

    def put(self, footprint: Footprint, cells: tuple[int, ...]) -> None:
        with self._lock:
            if footprint in self._items or len(cells) > self.max_cells:
                return
            self._items[footprint] = cells
            self._held += len(cells)
            while self._held > self.max_cells:
                _, old = self._items.popitem(last=False)
                self._held -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._held = 0


_CACHE = _WeighedCache(max_cells=1 << 20)


def cells_of(footprint: Footprint) -> tuple[int, ...]:
    """``covering(footprint)``, remembered: it costs about 0.1 ms and a write asks for
    it several times (the request's own look-ups, the candidate search, the index rows,
    the F3548 subscriptions), so every layer shares this one cache."""
    cells = _CACHE.get(footprint)
    if cells is None:
        cells = tuple(covering(footprint))
        _CACHE.put(footprint, cells)
    return cells


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


_LEVEL13_MIN_AREA_M2 = 0.6e6
"""Below S2's smallest level-13 cell (about 0.62 km²; 1.27 km² on average)."""

_LEVEL13_MIN_EDGE_M = 0.7e3
"""Below S2's shortest level-13 cell edge (about 0.73 km)."""


@lru_cache(maxsize=8192)
def estimated_cells(footprint: Footprint) -> int:
    """An upper estimate of ``len(covering(footprint))`` without computing it: the
    cells inside the area, twice the cells along the boundary, and a few more, capped
    by the budget. It prices a request before any covering is made."""
    inside = area_m2(footprint) / _LEVEL13_MIN_AREA_M2
    along = 2.0 * perimeter_m(footprint) / _LEVEL13_MIN_EDGE_M
    return min(CELL_BUDGET, int(inside + along) + 4)
