"""Deconflicting a whole plan at once, without a store.

Candidate pairs come from a space-time grid, vectorised with NumPy: every volume is
entered in each (x, y, z, time) grid cell that its bounding box touches (a cube around
its bounding cap on the unit sphere, grown by the conflict tolerance, times its time
window); two volumes that conflict share a point in space and an instant, so they share
a grid cell. Candidates then pass cheap exact filters (time, altitude, cap distance)
and only the survivors reach the exact S2 test. The grid adapts its cell size to the
plan (a few times the median volume), so dense and sparse plans both stay fast.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from deconflict.core.constraints import ConstraintConflict
from deconflict.core.report import OperationConflict, VolumeOverlap
from deconflict.core.rules import judge_pair
from deconflict.equal_priority import EqualPriorityPolicy
from deconflict.errors import InternalError, InvalidInput
from deconflict.geo.boxes import Boxes, apart, oriented_boxes
from deconflict.geo.caps import angle_to_chord, bounding_caps_of_arrays, lonlat_to_xyz
from deconflict.geo.earth import EARTH_RADIUS_M, TOLERANCE_M
from deconflict.geo.footprint import Footprint, invalid_rings
from deconflict.geo.overlap import Overlap, footprint_distances_m, overlap
from deconflict.geo.volume import Volume4D
from deconflict.model.columns import PlanColumns, VolumeArrays
from deconflict.model.operation import Operation

OVERLAPS_IN_WORKERS = 200
"""Fewer conflicting volume pairs than this are not worth a round trip to the workers."""
PARALLEL_PAIRS_FROM = 20_000
"""Plans with fewer live volumes search their grid for candidates in one go, here."""
SLICE_VOLUMES = 100_000
"""About this many volumes per slice of the grid searched at once (at least four
slices per worker, at most 64): memory stays flat as plans grow."""
PAIR_CHUNK = 4_000_000
"""Candidate pairs materialised at once; bounds memory on pathological plans."""


@dataclass(frozen=True)
class BatchReport:
    operations: int
    volumes: int
    conflicts: list[OperationConflict]
    candidates: int
    """Volume pairs that reached the exact test (for benchmarks)."""
    airspace: list[ConstraintConflict] = field(default_factory=list)
    """Operations inside constraints or others' agreed-zone sectors (``--constraints``)."""


@dataclass(frozen=True)
class Shapes:
    """Each volume's bounding cap (centre, angular radius) and oriented box: per-volume
    work, so that chunks of a plan can compute theirs in separate processes."""

    centre: np.ndarray
    radius: np.ndarray
    boxes: Boxes

    @classmethod
    def concatenate(cls, parts: list[Shapes]) -> Shapes:
        b = [p.boxes for p in parts]
        return cls(
            np.concatenate([p.centre for p in parts]),
            np.concatenate([p.radius for p in parts]),
            Boxes(
                np.concatenate([x.centre for x in b]),
                np.concatenate([x.east for x in b]),
                np.concatenate([x.north for x in b]),
                np.concatenate([x.corners for x in b]),
                np.concatenate([x.usable for x in b]),
            ),
        )


def volume_shapes(a: VolumeArrays) -> Shapes:
    """``Shapes`` of every volume of ``a`` (picklable: run in reading workers)."""
    xyz = lonlat_to_xyz(a.lons, a.lats)
    centre, radius = bounding_caps_of_arrays(a.radius, a.vertex_count, a.lons, a.lats, xyz)
    boxes = oriented_boxes(centre, radius, a.radius / EARTH_RADIUS_M, a.vertex_count, xyz)
    return Shapes(centre, radius, boxes)


@dataclass(frozen=True)
class VolumeTable:
    """Live volumes as columns, for vectorised filters."""

    op: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    centre: np.ndarray
    radius: np.ndarray
    boxes: Boxes

    def __len__(self) -> int:
        return len(self.op)

    @classmethod
    def of(cls, cols: PlanColumns, rows: np.ndarray, shapes: Shapes | None = None) -> VolumeTable:
        """``shapes``: the volumes' caps and boxes if already computed (in workers)."""
        a = cols.arrays
        shapes = shapes or volume_shapes(a)
        centre, boxes = shapes.centre, shapes.boxes
        radius = shapes.radius + TOLERANCE_M / EARTH_RADIUS_M
        if len(rows) == len(a.op):  # every volume is live (rows are increasing): no copies
            return cls(a.op, a.t0, a.t1, a.lo, a.hi, centre, radius, boxes)
        picked = Boxes(
            boxes.centre[rows],
            boxes.east[rows],
            boxes.north[rows],
            boxes.corners[rows],
            boxes.usable[rows],
        )
        return cls(
            a.op[rows],
            a.t0[rows],
            a.t1[rows],
            a.lo[rows],
            a.hi[rows],
            centre[rows],
            radius[rows],
            picked,
        )


def check_plan(
    operations: list[Operation],
    policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    progress: Callable[[int, int], None] | None = None,
) -> BatchReport:
    """Every conflicting pair of operations in the plan, with their overlaps.

    ``progress(done, total)`` is told how many conflicting pairs have been reported.
    Ended operations take no part.
    """
    return check_columns(PlanColumns.of(operations), policy, progress)


def check_columns(
    cols: PlanColumns,
    policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    progress: Callable[[int, int], None] | None = None,
    pool: PlanPool | None = None,
    mark: Callable[[str], None] | None = None,
    shapes: Shapes | None = None,
    draw: bool = True,
) -> BatchReport:
    """``check_plan`` on columns; ``pool`` spreads the exact tests over processes.

    ``mark(phase)`` is called as each phase ends, for benchmarks to time them.
    ``shapes``: ``volume_shapes`` of the columns, when the reader computed them.
    ``draw=False``: the overlaps' areas without their GeoJSON (``geo.overlap.overlap``),
    for a report that shows no geometry (the check's table)."""
    mark = mark or _no_mark
    live_ops = np.array([s.is_live for s in cols.states], dtype=bool)
    rows = np.flatnonzero(live_ops[cols.arrays.op]) if len(cols) else np.zeros(0, np.int64)
    table = VolumeTable.of(cols, rows, shapes)
    mark("caps and boxes")
    a, b = (pool or PlanPool(1)).candidate_pairs(cols, table)
    a, b = rows[a], rows[b]
    mark("candidate pairs")
    cols.settle()
    mark("waiting for polygon checks")
    try:
        conflicts = _conflicts(cols, a, b, policy, progress, pool, mark, draw)
    except InvalidInput as exc:
        # Every input rule was settled above: one failing now fails on our own work.
        raise InternalError(f"checking a plan already found valid: {exc}") from exc
    return BatchReport(int(live_ops.sum()), len(rows), conflicts, len(a))


def _conflicts(
    cols: PlanColumns,
    a: np.ndarray,
    b: np.ndarray,
    policy: EqualPriorityPolicy,
    progress: Callable[[int, int], None] | None,
    pool: PlanPool | None,
    mark: Callable[[str], None],
    draw: bool,
) -> list[OperationConflict]:
    """The conflicts among candidate volume pairs ``(a[k], b[k])``, judged and sorted."""
    op_of = cols.arrays.op
    swap = op_of[a] > op_of[b]  # each pair as (lower operation, higher), as reported
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    pool = pool or PlanPool(1)
    distances = pool.distances(cols, a, b)
    hit = distances <= TOLERANCE_M
    mark("exact distances")
    waiting = pool.overlaps(cols, a[hit], b[hit], draw)
    by_ops: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, (oi, oj) in enumerate(zip(op_of[a[hit]].tolist(), op_of[b[hit]].tolist(), strict=True)):
        by_ops[(oi, oj)].append(k)
    domain = _DomainCache(cols)
    for oi, oj in by_ops:  # built here while the workers compute the overlaps
        domain.operation(oi), domain.operation(oj)
    found = waiting()
    hit_a, hit_b = a[hit].tolist(), b[hit].tolist()
    conflicts = []
    total = len(by_ops)
    for done, ((oi, oj), ks) in enumerate(sorted(by_ops.items())):
        opa, opb = domain.operation(oi), domain.operation(oj)
        overlaps = []
        for k in sorted(ks, key=lambda k: (hit_a[k], hit_b[k])):
            ov = found[k]
            if ov is not None:
                overlaps.append(
                    VolumeOverlap(domain.position(hit_a[k]), domain.position(hit_b[k]), ov)
                )
        if overlaps:
            verdict, reason = judge_pair(opa, opb, policy)
            conflicts.append(OperationConflict(opa, opb, tuple(overlaps), verdict, reason))
        if progress is not None:
            progress(done + 1, total)
    conflicts.sort(key=lambda c: tuple(sorted((c.a.id, c.b.id))))
    mark("overlaps and report")
    return conflicts


def _no_mark(phase: str) -> None:
    pass


class _DomainCache:
    """Domain objects for the few operations that conflict, built on demand."""

    def __init__(self, cols: PlanColumns) -> None:
        self.cols = cols
        op = cols.arrays.op
        self._order = np.argsort(op, kind="stable")  # each operation's volumes, in order
        self._bounds = np.searchsorted(op[self._order], np.arange(len(cols.op_ids) + 1))
        self._of: dict[int, list[int]] = {}
        self._volumes: dict[int, Volume4D] = {}
        self._operations: dict[int, Operation] = {}

    def volumes_of(self, k: int) -> list[int]:
        found = self._of.get(k)
        if found is None:
            found = self._of[k] = self._order[self._bounds[k] : self._bounds[k + 1]].tolist()
        return found

    def volume(self, v: int) -> Volume4D:
        if v not in self._volumes:
            self._volumes[v] = self.cols.volume(v, _footprint(self.cols, v))
        return self._volumes[v]

    def position(self, v: int) -> int:
        """Index of volume ``v`` within its operation."""
        return self.volumes_of(self.cols.vol_op[v]).index(v)

    def operation(self, k: int) -> Operation:
        if k not in self._operations:
            vols = tuple(self.volume(v) for v in self.volumes_of(k))
            self._operations[k] = self.cols.operation(k, vols)
        return self._operations[k]


class PlanPool:
    """Exact S2 work on a plan's volumes, in this process or spread over several.

    Worker processes are forked once the plan is read, so they inherit its columns
    without copying them through pipes; each keeps the footprints it has built.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> PlanPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def _pool(self, cols: PlanColumns) -> ProcessPoolExecutor | None:
        if self.workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        if self._executor is None:
            global _SHARED
            _SHARED = cols
            context = multiprocessing.get_context("fork")
            gc.freeze()  # children then never copy the inherited heap to collect it
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=gc.enable
            )
        return self._executor

    def candidate_pairs(
        self, cols: PlanColumns, table: VolumeTable
    ) -> tuple[np.ndarray, np.ndarray]:
        """``candidate_pairs`` of the table, its grid searched in slices by the workers
        when they are yet to be forked (so that they inherit the grid) and the plan is
        large enough to be worth it; else here, in slices all the same (less memory)."""
        n = len(table)
        parts = 1 if n < PARALLEL_PAIRS_FROM else min(64, max(4 * self.workers, n // SLICE_VOLUMES))
        fork = "fork" in multiprocessing.get_all_start_methods()
        if self.workers == 1 or self._executor is not None or not fork or parts < 2:
            return candidate_pairs(table, parts=parts)

        def run(grid: _Grid, slices: list[tuple[int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
            global _GRID
            _GRID = grid
            try:
                pool = self._pool(cols)
                assert pool is not None
                return list(pool.map(_pairs_in_slice_shared, slices))
            finally:
                _GRID = None

        return candidate_pairs(table, run, parts)

    def invalid_polygons(self, cols: PlanColumns, volumes: np.ndarray) -> Callable[[], list[int]]:
        """Starts checking ``volumes``; the returned call waits for the invalid ones."""
        pool = self._pool(cols)
        if pool is None or len(volumes) < 2000:
            return lambda: _invalid_polygons(cols, volumes)
        chunks = np.array_split(volumes, self.workers * 4)
        futures = [pool.submit(_invalid_polygons_shared, chunk) for chunk in chunks]
        return lambda: sorted(v for f in futures for v in f.result())

    def distances(self, cols: PlanColumns, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        pool = self._pool(cols)
        if pool is None or len(a) < 2000:
            return _distances(cols, a, b)
        parts = np.array_split(np.arange(len(a)), self.workers * 4)
        found = pool.map(_distances_shared, [a[p] for p in parts], [b[p] for p in parts])
        return np.concatenate(list(found))

    def overlaps(
        self, cols: PlanColumns, a: np.ndarray, b: np.ndarray, draw: bool = True
    ) -> Callable[[], list[Overlap | None]]:
        """Starts computing the overlap of each pair ``(a[k], b[k])``; the returned call
        waits for them, in order. The intersections and their GeoJSON are most of the
        report's cost, so the workers do them while this process builds the operations."""
        pool = self._pool(cols)
        if pool is None or len(a) < OVERLAPS_IN_WORKERS:
            return lambda: _overlaps(cols, a, b, draw)
        parts = np.array_split(np.arange(len(a)), self.workers * 4)
        futures = [pool.submit(_overlaps_shared, a[p], b[p], draw) for p in parts]
        return lambda: [ov for f in futures for ov in f.result()]


_SHARED: PlanColumns | None = None
"""The plan a forked worker inherited; set only just before forking."""
_GRID: _Grid | None = None
"""The grid a forked worker inherited, when it was forked to search it."""


def _pairs_in_slice_shared(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    assert _GRID is not None
    return _pairs_in_slice(_GRID, *bounds)


def _footprint(cols: PlanColumns, v: int) -> Footprint:
    f = cols.built.get(v)
    if f is None:
        f = cols.built[v] = cols.footprint(v)
    return f


def _invalid_polygons(cols: PlanColumns, volumes: np.ndarray) -> list[int]:
    picked = volumes.tolist()
    bad = invalid_rings([cols.ring(v) for v in picked])
    return [picked[k] for k in bad]


def _invalid_polygons_shared(volumes: np.ndarray) -> list[int]:
    assert _SHARED is not None
    return _invalid_polygons(_SHARED, volumes)


def _distances(cols: PlanColumns, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    fa = [_footprint(cols, v) for v in a.tolist()]
    fb = [_footprint(cols, v) for v in b.tolist()]
    return footprint_distances_m(fa, fb)


def _distances_shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert _SHARED is not None
    return _distances(_SHARED, a, b)


def _overlaps(
    cols: PlanColumns, a: np.ndarray, b: np.ndarray, draw: bool = True
) -> list[Overlap | None]:
    return [
        overlap(cols.volume(i, _footprint(cols, i)), cols.volume(j, _footprint(cols, j)), draw=draw)
        for i, j in zip(a.tolist(), b.tolist(), strict=True)
    ]


def _overlaps_shared(a: np.ndarray, b: np.ndarray, draw: bool) -> list[Overlap | None]:
    assert _SHARED is not None
    return _overlaps(_SHARED, a, b, draw)


SPACE_BITS = 14
TIME_BITS = 21
BIG_VOLUME_CELLS = 4096
"""Volumes whose box spans more grid cells than this skip the grid and are paired with
every other volume directly: a few continent-sized shapes must not flood the grid."""


def candidate_pairs(
    table: VolumeTable, run: PartRunner | None = None, parts: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Volume index pairs (i < j, different operations) that may conflict.

    Two boxes that intersect share many cells; the pair is taken only in the lowest
    cell of their intersection (on each axis, the cell is the first of one of the two
    boxes), so that each pair is filtered once rather than once per shared cell.

    The grid is cut into ``parts`` slices of time cells with about as many entries
    each; a pair is found in the slice that holds its lowest shared cell, so the slices
    find disjoint pairs and may be searched apart (``run``: in worker processes that
    inherited the grid) with a fraction of the memory of the whole.
    """
    n = len(table)
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    lo, span = _grid_boxes(table)
    cells = np.prod(span, axis=1)
    big = np.flatnonzero(cells > BIG_VOLUME_CELLS)
    small = np.flatnonzero(cells <= BIG_VOLUME_CELLS)
    grid = _Grid(table, lo, span, small)
    slices = _time_slices(grid, cells, parts)
    if run is None:
        found = [_pairs_in_slice(grid, t0, t1) for t0, t1 in slices]
    else:
        found = run(grid, slices)
    found_a = [a for a, _ in found]
    found_b = [b for _, b in found]
    everyone = np.arange(n)
    for i in big.tolist():
        j = everyone[_may_conflict(table, np.full(n, i), everyone)]
        near = ~apart(table.boxes, np.full(len(j), i), j, TOLERANCE_M / EARTH_RADIUS_M)
        found_a.append(np.minimum(i, j[near]))
        found_b.append(np.maximum(i, j[near]))
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    code = np.unique(a * n + b)
    return code // n, code % n


PartRunner = Callable[["_Grid", list[tuple[int, int]]], list[tuple[np.ndarray, np.ndarray]]]
"""Searches the grid's time slices (elsewhere); one (a, b) pair of arrays per slice."""


@dataclass(frozen=True)
class _Grid:
    """The volumes' boxes in grid units; ``small`` are those entered in the grid."""

    table: VolumeTable
    lo: np.ndarray
    span: np.ndarray
    small: np.ndarray


def _time_slices(grid: _Grid, cells: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Ranges ``[t0, t1)`` of time cells covering the grid, of about equal entries."""
    lo_t = grid.lo[grid.small, 3]
    top = int((lo_t + grid.span[grid.small, 3]).max()) if len(lo_t) else 1
    if parts <= 1 or len(lo_t) == 0:
        return [(0, top)]
    weight = np.cumsum(np.bincount(lo_t, weights=cells[grid.small], minlength=top))
    cuts = np.searchsorted(weight, weight[-1] * np.arange(1, parts) / parts, side="right")
    edges = sorted({0, *(int(c) for c in cuts), top})
    return [(t0, t1) for t0, t1 in itertools.pairwise(edges) if t1 > t0]


def _pairs_in_slice(grid: _Grid, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs whose lowest shared cell lies in time cells ``[t0, t1)``,
    after the column filters and the oriented boxes."""
    table, lo, span = grid.table, grid.lo, grid.span
    small = grid.small
    lo_t, hi_t = lo[small, 3], lo[small, 3] + span[small, 3]
    inside = small[(lo_t < t1) & (hi_t > t0)]
    clipped_lo = lo[inside].copy()
    clipped_span = span[inside].copy()
    start_t = np.maximum(clipped_lo[:, 3], t0)
    clipped_span[:, 3] = np.minimum(clipped_lo[:, 3] + clipped_span[:, 3], t1) - start_t
    clipped_lo[:, 3] = start_t
    keys, rows, first = _grid_entries(clipped_lo, clipped_span, lo[inside])
    order = np.argsort(keys, kind="stable")
    keys, owners, first = keys[order], inside[rows[order]], first[order]
    del order, rows
    every_axis = (1 << lo.shape[1]) - 1
    found_a: list[np.ndarray] = []
    found_b: list[np.ndarray] = []
    for pa, pb in _pairs_sharing_keys(keys):
        lowest = (first[pa] | first[pb]) == every_axis
        i, j = owners[pa[lowest]], owners[pb[lowest]]
        keep = _may_conflict(table, i, j)
        i, j = i[keep], j[keep]
        near = ~apart(table.boxes, i, j, TOLERANCE_M / EARTH_RADIUS_M)
        found_a.append(np.minimum(i[near], j[near]))
        found_b.append(np.maximum(i[near], j[near]))
    if not found_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(found_a), np.concatenate(found_b)


def _may_conflict(table: VolumeTable, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Positions of the pairs that pass exact column filters: altitude, time, other
    operation, cap distance. Each test runs only on the pairs that passed the ones
    before, most selective first; columns are read with ``np.take`` on 1-D arrays,
    several times faster than indexing rows of a 2-D array."""
    keep = np.flatnonzero(
        (np.take(table.lo, i) <= np.take(table.hi, j))
        & (np.take(table.lo, j) <= np.take(table.hi, i))
    )
    si, sj = np.take(i, keep), np.take(j, keep)
    keep = keep[
        (np.take(table.t0, si) <= np.take(table.t1, sj))
        & (np.take(table.t0, sj) <= np.take(table.t1, si))
        & (np.take(table.op, si) != np.take(table.op, sj))
    ]
    si, sj = np.take(i, keep), np.take(j, keep)
    d = np.take(table.centre, si, axis=0) - np.take(table.centre, sj, axis=0)
    chord2 = np.einsum("ij,ij->i", d, d)
    reach = angle_to_chord(np.take(table.radius, si) + np.take(table.radius, sj))
    result: np.ndarray = keep[chord2 <= reach * reach]
    return result


def _grid_boxes(table: VolumeTable) -> tuple[np.ndarray, np.ndarray]:
    """Each volume's box in grid units: lowest (x, y, z, t) cell and extent per axis.

    The cell edge adapts to the plan (four median cap sizes, so most volumes touch two
    cells per axis) and the time tick to twice the median duration, both bounded so
    that keys fit in 64 bits.
    """
    half = angle_to_chord(table.radius)  # every point of the cap is this close to its centre
    cell = float(np.clip(4.0 * np.median(half), 2.0 / ((1 << SPACE_BITS) - 4), 0.5))
    t_origin = float(table.t0.min())
    horizon = float(table.t1.max()) - t_origin
    tick = max(float(np.median(table.t1 - table.t0)) * 2.0, 1.0, horizon / ((1 << TIME_BITS) - 4))
    # Points of a cap lie on the sphere, so its box can be clipped to [-1, 1].
    low = np.clip(table.centre - half[:, None], -1.0, 1.0)
    high = np.clip(table.centre + half[:, None], -1.0, 1.0)
    lo3 = np.floor((low + 1.0) / cell).astype(np.int64)
    hi3 = np.floor((high + 1.0) / cell).astype(np.int64)
    lo_t = np.floor((table.t0 - t_origin) / tick).astype(np.int64)
    hi_t = np.floor((table.t1 - t_origin) / tick).astype(np.int64)
    lo4 = np.column_stack([lo3, lo_t])
    return lo4, np.column_stack([hi3, hi_t]) - lo4 + 1


def _grid_entries(
    lo: np.ndarray, span: np.ndarray, first_lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (packed cell key, row, first-cell axes) triple per grid cell each box touches.

    Bit ``a`` of the third is set when the cell is the box's first on axis ``a``: cell
    ``first_lo`` (the whole box's, where ``lo`` and ``span`` are a slice of it).
    """
    counts = np.prod(span, axis=1)
    rows = np.repeat(np.arange(len(lo)), counts)
    start = np.cumsum(counts) - counts
    rank = np.arange(int(counts.sum())) - np.repeat(start, counts)
    key = np.zeros(len(rank), dtype=np.int64)
    first = np.zeros(len(rank), dtype=np.int8)
    shift = 0
    for axis, bits in ((3, TIME_BITS), (2, SPACE_BITS), (1, SPACE_BITS), (0, SPACE_BITS)):
        s = np.take(np.ascontiguousarray(span[:, axis]), rows)
        digit = rank % s
        rank //= s
        cell = np.take(np.ascontiguousarray(lo[:, axis]), rows) + digit
        key |= cell << shift
        first |= (cell == np.take(np.ascontiguousarray(first_lo[:, axis]), rows)).astype(
            np.int8
        ) << axis
        shift += bits
    return key, rows, first


def _pairs_sharing_keys(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Position pairs (p < q) with equal keys in the sorted ``keys``, in bounded chunks."""
    n = len(keys)
    boundary = np.flatnonzero(np.diff(keys)) + 1
    group_end = np.repeat(np.append(boundary, n), np.diff(np.concatenate([[0], boundary, [n]])))
    partners = group_end - np.arange(n) - 1
    cumulative = np.cumsum(partners)
    start = 0
    while start < n:
        base = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, base + PAIR_CHUNK, side="right"))
        stop = max(stop, start + 1)
        counts = partners[start:stop]
        total = int(counts.sum())
        if total:
            first = np.repeat(np.arange(start, stop), counts)
            offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            yield first, first + 1 + offset
        start = stop
