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

import multiprocessing
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from deconflict.errors import InvalidInput
from deconflict.geo.caps import lonlat_to_xyz
from deconflict.geo.earth import EARTH_RADIUS_M, MAX_CIRCLE_RADIUS_M, MAX_VERTICES
from deconflict.geo.footprint import invalid_rings
from deconflict.io.plan import _Builder, in_feature, parse_feature
from deconflict.model.columns import PlanColumns, VolumeArrays, append_footprint, micros
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
    reader = _Reader()
    for i, feature in enumerate(features):
        try:
            reader.read(feature, i)
        except InvalidInput:
            # An earlier feature may fail a bulk check: that one is the first error.
            cols = reader.columns()
            _bulk_checks(cols, features, validate_polygons)
            cols.settle()
            raise
        if progress is not None and (i + 1) % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(features) % 1000)
    cols = reader.columns()
    _bulk_checks(cols, features, validate_polygons)
    if settle:
        cols.settle()
    return cols


class _Reader:
    """Features into lists, then arrays: one lean pass per feature, no domain object.

    Times become integer microseconds through a cache keyed by the text: a day's plan
    repeats the same few thousand instants, and the text alone decides the instant.
    """

    def __init__(self, times: dict[str, int] | None = None) -> None:
        """``times``: a cache of parsed instants to share (a worker's, over its chunks)."""
        self.op_ids: list[str] = []
        self.parties: list[str] = []
        self.priorities: list[int] = []
        self.states: list[OperationState] = []
        self.first_feature: list[int] = []
        self.index: dict[str, int] = {}
        self.vol_op: list[int] = []
        self.feature: list[int] = []
        self.t0: list[int] = []
        self.t1: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.radius: list[float] = []
        self.vertex_count: list[int] = []
        self.lons: list[float] = []
        self.lats: list[float] = []
        self.times: dict[str, int] = {} if times is None else times

    def read(self, feature: Any, i: int) -> None:
        """Adds feature ``i``; raises ``InvalidInput`` placed under ``features[i]``."""
        try:
            self._fast(feature, i)
        except (_Unusual, KeyError, TypeError, IndexError, ValueError, AttributeError):
            self._slow(feature, i)

    def _micros(self, text: str) -> int:
        us = self.times.get(text)
        if us is None:
            t = datetime.fromisoformat(text)
            if t.tzinfo is None:
                raise _Unusual
            us = self.times[text] = micros(t)
        return us

    def _fast(self, feature: dict[str, Any], i: int) -> None:
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
        times = self.times
        start = times.get(props["time_start"])  # inlined: a call per time costs 5 %
        if start is None:
            start = self._micros(props["time_start"])
        end = times.get(props["time_end"])
        if end is None:
            end = self._micros(props["time_end"])
        if start > end:
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
        k = self.index.get(op_id)
        if (
            k is None
            or self.parties[k] != party
            or self.priorities[k] != priority
            or self.states[k] is not state
        ):  # a new operation, or one to check: not the common case
            k = self._operation_row(i, op_id, party, priority, state)
        self.vol_op.append(k)
        self.feature.append(i)
        self.t0.append(start)
        self.t1.append(end)
        self.lo.append(lo + 0.0)
        self.hi.append(hi + 0.0)
        self.radius.append(radius)
        self.vertex_count.append(len(lons))
        self.lons.extend(lons)
        self.lats.extend(lats)

    def _slow(self, feature: Any, i: int) -> None:
        try:
            op_id, party, priority, state, v = parse_feature(feature)
        except InvalidInput as exc:
            raise in_feature(exc, i, feature) from None
        self.vol_op.append(self._operation_row(i, op_id, party, priority, state))
        self.feature.append(i)
        self.t0.append(micros(v.time.start))
        self.t1.append(micros(v.time.end))
        self.lo.append(v.altitude.lower_m)
        self.hi.append(v.altitude.upper_m)
        append_footprint(v.footprint, self.radius, self.vertex_count, self.lons, self.lats)

    def _operation_row(
        self, i: int, op_id: str, party: str, priority: int, state: OperationState
    ) -> int:
        """The operation's row, added on its first feature; later ones must agree with it."""
        k = self.index.get(op_id)
        if k is not None:
            if (
                self.parties[k] == party
                and self.priorities[k] == priority
                and self.states[k] is state
            ):
                return k  # the common case, without building check_same's comparison list
            # Said as the domain parser says it (a builder per operation cost 10 % of
            # reading a plan, and only ever spoke here).
            first = _Builder(
                op_id, self.parties[k], self.priorities[k], self.states[k], self.first_feature[k]
            )
            first.check_same(i, party, priority, state)
            return k
        k = self.index[op_id] = len(self.op_ids)
        self.first_feature.append(i)
        self.op_ids.append(op_id)
        self.parties.append(party)
        self.priorities.append(priority)
        self.states.append(state)
        return k

    def arrays(self) -> VolumeArrays:
        vertex_count = np.asarray(self.vertex_count, dtype=np.int64)
        t0 = np.asarray(self.t0, dtype=np.int64)
        t1 = np.asarray(self.t1, dtype=np.int64)
        return VolumeArrays(
            op=np.asarray(self.vol_op, dtype=np.int64),
            t0=t0 / 1e6,
            t1=t1 / 1e6,
            lo=np.asarray(self.lo, dtype=np.float64),
            hi=np.asarray(self.hi, dtype=np.float64),
            radius=np.asarray(self.radius, dtype=np.float64),
            first_vertex=np.cumsum(vertex_count) - vertex_count,
            vertex_count=vertex_count,
            lons=np.asarray(self.lons, dtype=np.float64),
            lats=np.asarray(self.lats, dtype=np.float64),
            t0_us=t0,
            t1_us=t1,
            feature=np.asarray(self.feature, dtype=np.int64),
        )

    def columns(self) -> PlanColumns:
        return PlanColumns.from_arrays(
            self.op_ids, self.parties, self.priorities, self.states, self.arrays()
        )


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
        i = cols.feature_of(v)
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


# ------------------------------------------------------------ the file read in chunks

CHUNK_BYTES = 4 << 20
"""About this many bytes of features are decoded at once, in one worker."""
_HEADER = re.compile(rb'\s*\{\s*"type"\s*:\s*"FeatureCollection"\s*,\s*"features"\s*:\s*\[')
_SPACE = b" \t\r\n"


def feature_chunks(raw: bytes, size: int = CHUNK_BYTES) -> list[tuple[int, int]] | None:
    """Byte ranges that split the ``features`` array of ``raw`` between features, or
    None when the file is not laid out so (then it is read whole).

    JSON strings hold no raw line break, so a cut just after one is never inside a
    string. A range is then taken only if ``[`` + range + ``]`` (its trailing comma
    dropped) decodes: brackets that balance inside a range that starts between two
    features end it between two features too, so the ranges' arrays joined are the
    file's array, with nothing added and nothing lost. A file that is not one feature
    per line (say, indented) fails that test, and is read whole.
    """
    head = _HEADER.match(raw)
    if head is None:
        return None
    end = len(raw)
    while end > 0 and raw[end - 1] in _SPACE:
        end -= 1
    if end < 1 or raw[end - 1] != ord("}"):
        return None
    end -= 1
    while end > 0 and raw[end - 1] in _SPACE:
        end -= 1
    if end < head.end() + 1 or raw[end - 1] != ord("]"):
        return None
    end -= 1
    ranges = []
    start = head.end()
    while True:
        cut = raw.find(b"\n", start + size, end) + 1
        if cut <= 0 or cut >= end:
            ranges.append((start, end))
            return ranges
        ranges.append((start, cut))
        start = cut


@dataclass
class _Chunk:
    """One range's features read into columns (operations and features numbered
    from 0 within the range), and what the worker computed on them."""

    features: int
    op_ids: list[str]
    parties: list[str]
    priorities: list[int]
    states: list[OperationState]
    arrays: VolumeArrays
    clean: bool
    """No volume failed a bulk check (finite band, coordinates, polygon validity)."""
    extra: Any


def _read_chunk(
    raw: bytes,
    start: int,
    end: int,
    first: bool,
    last: bool,
    extra: Callable[[VolumeArrays], Any] | None,
) -> _Chunk | None:
    """None when the range does not hold whole features or one of them is invalid:
    the file is then read whole, so that the error is told as it always is."""
    piece = raw[start:end].strip()
    if not last:
        if not piece.endswith(b","):
            return None
        piece = piece[:-1]
    elif piece.endswith(b","):
        return None
    if not piece and not (last and first):  # an empty chunk would have meant ",,"
        return None
    try:
        features = orjson.loads(b"[" + piece + b"]")
    except orjson.JSONDecodeError:
        return None
    del piece
    reader = _Reader(_CHUNK_TIMES)
    try:
        for i, feature in enumerate(features):
            reader.read(feature, i)
    except InvalidInput:
        return None
    del features
    a = reader.arrays()
    clean = bool(np.isfinite(a.lo).all() and np.isfinite(a.hi).all())
    clean = clean and bool(
        ((a.lats >= -90.0) & (a.lats <= 90.0) & (a.lons >= -180.0) & (a.lons <= 180.0)).all()
    )
    if clean:
        polygons = np.flatnonzero(a.radius == 0.0)
        polygons = polygons[~surely_valid(a, polygons)].tolist()
        lons, lats = reader.lons, reader.lats
        at, count = a.first_vertex.tolist(), reader.vertex_count
        rings = [
            tuple(zip(lons[at[v] : at[v] + count[v]], lats[at[v] : at[v] + count[v]], strict=True))
            for v in polygons
        ]
        clean = not invalid_rings(rings)
    return _Chunk(
        len(reader.feature),
        reader.op_ids,
        reader.parties,
        reader.priorities,
        reader.states,
        a,
        clean,
        extra(a) if clean and extra is not None else None,
    )


_CHUNK_TIMES: dict[str, int] = {}
"""Instants parsed by this process's chunk readers (the text alone decides the instant):
a worker reads many chunks of one day, and parsed each chunk's instants anew."""

_RAW: bytes = b""
"""The file a forked reading worker inherited; set only just before forking."""


def _read_chunk_shared(
    start: int, end: int, first: bool, last: bool, extra: Callable[[VolumeArrays], Any] | None
) -> _Chunk | None:
    return _read_chunk(_RAW, start, end, first, last, extra)


def read_raw_columns(
    raw: bytes,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    extra: Callable[[VolumeArrays], Any] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> tuple[PlanColumns, list[Any]] | None:
    """The plan file's columns, read in chunks by ``workers`` forked processes, and
    ``extra`` of each chunk's volumes (computed there too); polygons are validated.

    Returns None, having reported nothing, when the file is not laid out one feature
    per line or anything in it is invalid: ``read_plan_columns`` on the whole file is
    then the authority, and says what is wrong exactly as it always has. Memory stays
    flat: only a few chunks' dicts exist at once, never the whole file's.
    """
    ranges = feature_chunks(raw, chunk_bytes)
    if ranges is None:
        return None
    tasks = [(s, e, k == 0, k == len(ranges) - 1, extra) for k, (s, e) in enumerate(ranges)]
    _CHUNK_TIMES.clear()  # a cache per read (and per worker), not one growing for good
    merged = _Merged()
    extras: list[Any] = []

    def take(chunk: _Chunk | None) -> bool:
        # Joined as it comes, while the workers read the next ones.
        if chunk is None or not chunk.clean or not merged.add(chunk):
            return False
        extras.append(chunk.extra)
        if progress is not None:
            progress(chunk.features)
        return True

    if workers > 1 and len(tasks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        global _RAW
        _RAW = raw
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
                futures = [pool.submit(_read_chunk_shared, *task) for task in tasks]
                for future in futures:
                    if not take(future.result()):
                        for f in futures:
                            f.cancel()
                        return None
        finally:
            _RAW = b""
    else:
        for task in tasks:
            if not take(_read_chunk(raw, *task)):
                return None
    _CHUNK_TIMES.clear()
    return merged.columns(), extras


class _Merged:
    """The chunks, in order, as one plan: an operation's features may sit in several
    chunks, which must agree on its party, priority and state. Chunks are added as
    they arrive, so that joining them overlaps the reading of the next ones."""

    def __init__(self) -> None:
        self.op_ids: list[str] = []
        self.parties: list[str] = []
        self.priorities: list[int] = []
        self.states: list[OperationState] = []
        self.index: dict[str, int] = {}
        self.parts: list[VolumeArrays] = []
        self.offset = 0

    def add(self, c: _Chunk) -> bool:
        """False if the chunk disagrees with an earlier one on an operation."""
        index, op_ids = self.index, self.op_ids
        mapping = np.empty(len(c.op_ids), dtype=np.int64)
        for local, (op_id, party, priority, state) in enumerate(
            zip(c.op_ids, c.parties, c.priorities, c.states, strict=True)
        ):
            k = index.get(op_id)
            if k is None:
                k = index[op_id] = len(op_ids)
                op_ids.append(op_id)
                self.parties.append(party)
                self.priorities.append(priority)
                self.states.append(state)
            elif (
                self.parties[k] != party
                or self.priorities[k] != priority
                or self.states[k] is not state
            ):
                return False
            mapping[local] = k
        a = c.arrays
        self.parts.append(replace(a, op=mapping[a.op], feature=a.feature + self.offset))
        self.offset += c.features
        return True

    def columns(self) -> PlanColumns:
        return PlanColumns.from_arrays(
            self.op_ids,
            self.parties,
            self.priorities,
            self.states,
            VolumeArrays.concatenate(self.parts),
        )


SURE_EDGE_RAD = 1e-7
"""Shortest edge (0.6 m) of a ring that ``surely_valid`` may accept without S2."""
SURE_TURN = 1e-6
"""Smallest turn at a vertex (sine of the angle, about 0.2 arc seconds) it may accept."""
SURE_REACH = 0.99
"""Every vertex within about 8 degrees of the ring's centre."""
SURE_AREA_M2 = 1.0
"""Smallest area it may accept: a million times ``MIN_AREA_M2``."""


def surely_valid(a: VolumeArrays, polygons: np.ndarray) -> np.ndarray:
    """Which of ``polygons`` are strictly convex rings with room to spare, hence valid
    by every rule of ``Polygon`` (S2's included); the others still go to S2.

    In the gnomonic projection about a point, great-circle arcs are straight lines, so
    a ring whose projection turns the same way at every vertex, by more than
    ``SURE_TURN``, and once round in all, is a convex polygon: simple, no repeated
    vertex, no degenerate edge. The margins dwarf the rounding of float coordinates
    (about 1e-16), so S2's exact predicates see the same. The projection only enlarges
    areas (by 1 / cos³ of the distance from the centre), so the projected area times
    the cube of the smallest cosine bounds the true area from below. A property test
    holds every ring this accepts to ``Polygon``.
    """
    out = np.zeros(len(polygons), dtype=bool)
    if len(polygons) == 0:
        return out
    n = a.vertex_count[polygons]
    fine = (n >= 3) & (n <= MAX_VERTICES)
    owner = np.repeat(np.arange(len(polygons)), n)
    start = np.repeat(a.first_vertex[polygons], n)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n)
    here = start + local
    nxt = start + (local + 1) % np.repeat(n, n)
    xyz = lonlat_to_xyz(a.lons[here], a.lats[here])
    centre = np.zeros((len(polygons), 3))
    np.add.at(centre, owner, xyz)
    norm = np.linalg.norm(centre, axis=1)
    fine &= norm > 0.0
    centre /= np.where(norm > 0.0, norm, 1.0)[:, None]
    c = centre[owner]
    cos = np.einsum("ij,ij->i", xyz, c)
    lowest = np.full(len(polygons), 2.0)
    np.minimum.at(lowest, owner, cos)
    fine &= lowest > SURE_REACH
    # A tangent frame at the centre; vertices projected onto the tangent plane.
    helper = np.where(np.abs(centre[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    east = np.cross(helper, centre)
    east /= np.linalg.norm(east, axis=1)[:, None]
    north = np.cross(centre, east)
    scale = 1.0 / np.where(cos > 0.0, cos, 1.0)
    u = np.einsum("ij,ij->i", xyz, east[owner]) * scale
    v = np.einsum("ij,ij->i", xyz, north[owner]) * scale
    position = np.empty(len(a.lons), dtype=np.int64)
    position[here] = np.arange(len(here))
    after = position[nxt]
    du, dv = u[after] - u, v[after] - v  # edge k: from vertex k to k + 1
    length = np.hypot(du, dv)
    shortest = np.full(len(polygons), np.inf)
    np.minimum.at(shortest, owner, length)
    fine &= shortest > SURE_EDGE_RAD
    du2, dv2 = du[after], dv[after]  # edge k + 1
    cross = du * dv2 - dv * du2
    turn = cross / np.maximum(length * length[after], 1e-300)
    left = np.ones(len(polygons), dtype=bool)
    right = np.ones(len(polygons), dtype=bool)
    np.logical_and.at(left, owner, turn > SURE_TURN)
    np.logical_and.at(right, owner, turn < -SURE_TURN)
    fine &= left | right
    winding = np.zeros(len(polygons))
    np.add.at(winding, owner, np.arctan2(cross, du * du2 + dv * dv2))
    fine &= np.abs(np.abs(winding) - 2.0 * np.pi) < 1e-6
    twice_area = np.zeros(len(polygons))
    np.add.at(twice_area, owner, u * v[after] - u[after] * v)
    area_m2 = np.abs(twice_area) / 2.0 * lowest**3 * EARTH_RADIUS_M**2
    fine &= area_m2 > SURE_AREA_M2
    out[:] = fine
    return out
