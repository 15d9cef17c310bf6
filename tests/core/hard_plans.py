"""Random plans drawn where spherical geometry is hard (issue 16's proofs).

Every plan crowds its operations around one hard place: a pole (circles centred on it,
polygons enclosing it), the antimeridian (shapes on both sides of it and across it),
or an ordinary place for contrast. Shapes range from 1 m to 1,000 km; some are thin
corridors; some come in pairs a few centimetres apart or overlapping by a few
centimetres; time windows and altitude bands are drawn from a few values so that
many touch end to end.
"""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import reject
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState

from ..geo.strategies import facing_triangles, line_at
from .factories import T0

POLES = [(0.0, 90.0), (0.0, -90.0), (137.0, 90.0), (-45.0, -90.0)]
ANTIMERIDIAN = [(180.0, 0.0), (-180.0, 30.0), (179.9999, -60.0), (-179.9999, 70.0)]
ORDINARY = [(8.7, 50.1)]

LOCAL_SCALES_M = [1.0, 30.0, 1_000.0, 10_000.0]
"""The size of one plan's shapes: a plan mixes sizes from a tenth to three times its
scale, so from 10 cm (circles of a facing pair) to 30 km."""
CONTINENTAL_SCALES_M = [100_000.0, 330_000.0]
"""Plans of shapes from 10 km to 1,000 km (fewer operations: each costs thousands of
cells to store on the engine's path)."""

GAPS_M = [-0.05, -0.005, 0.004, 0.02, 0.05]
"""Gaps between the pairs placed face to face: overlaps and gaps around the 1 cm rule."""

bearings = st.floats(0.0, 2.0 * math.pi, exclude_max=True)


def _polygon(ring: list[tuple[float, float]]) -> Polygon:
    try:
        return Polygon(tuple(ring))
    except InvalidInput:
        reject()  # a degenerate draw (vertices merged at this scale): not a plan


@st.composite
def _place(draw: st.DrawFn, scale: float) -> tuple[float, float]:
    """Near the plan's place: at it exactly, or within a few scales of it."""
    lon, lat = draw(st.sampled_from(draw(st.sampled_from([POLES, ANTIMERIDIAN, ORDINARY]))))
    if draw(st.booleans()):
        return lon, lat
    return destination(lon, lat, draw(bearings), scale * draw(st.floats(0.0, 2.0)))


@st.composite
def _shape(draw: st.DrawFn, lon: float, lat: float, size: float) -> Footprint:
    kind = draw(st.sampled_from(["circle", "star", "corridor"]))
    if kind == "circle":
        return Circle(lon, lat, size)
    if kind == "star":
        n = draw(st.integers(3, 9))
        start = draw(bearings)
        ring = [
            destination(lon, lat, start + 2.0 * math.pi * i / n, size * draw(st.floats(0.3, 1.0)))
            for i in range(n)
        ]
        return _polygon(ring)
    # A thin corridor: ``size`` long, half a metre to five metres wide.
    b = draw(bearings)
    half = draw(st.floats(0.25, 2.5))
    left = destination(lon, lat, b - math.pi / 2, half)
    right = destination(lon, lat, b + math.pi / 2, half)
    return _polygon([left, right, destination(*right, b, size), destination(*left, b, size)])


@st.composite
def _facing_pair(draw: st.DrawFn, lon: float, lat: float, size: float) -> list[Footprint]:
    """Two shapes ``gap`` apart (negative: overlapping by that much)."""
    gap = draw(st.sampled_from(GAPS_M))
    if draw(st.booleans()):
        r1, r2 = size * draw(st.floats(0.2, 1.0)), size * draw(st.floats(0.2, 1.0))
        other = destination(lon, lat, draw(bearings), r1 + r2 + gap)
        return [Circle(lon, lat, r1), Circle(*other, r2)]
    try:
        a, b = facing_triangles(*line_at(lon, lat, draw(bearings)), gap, size, size / 2)
    except InvalidInput:
        reject()
    return [a, b]


@st.composite
def _when_and_where(draw: st.DrawFn, slot: int) -> tuple[TimeWindow, AltitudeBand]:
    """A window and band from a few values, so that many touch end to end; ``slot``
    moves the whole plan in time, so that plans sharing a store never meet."""
    t0 = draw(st.sampled_from([0, 300, 600]))
    t1 = t0 + draw(st.sampled_from([0, 300]))
    base = T0 + timedelta(days=30 * slot)
    lo = draw(st.sampled_from([0.0, 50.0, 100.0]))
    return (
        TimeWindow(base + timedelta(seconds=t0), base + timedelta(seconds=t1)),
        AltitudeBand(lo, lo + 50.0),
    )


@st.composite
def hard_plans(
    draw: st.DrawFn,
    slot: int = 0,
    prefix: str = "",
    scales: list[float] = LOCAL_SCALES_M,
    operations: tuple[int, int] = (3, 8),
    volumes: int = 2,
) -> list[Operation]:
    """Operations of equal priority, each of its own party, with up to ``volumes``
    volumes each; ``slot`` and ``prefix`` keep plans sharing a store apart."""
    scale = draw(st.sampled_from(scales))
    footprints: list[list[Footprint]] = []
    wanted = draw(st.integers(*operations))
    while len(footprints) < wanted:
        lon, lat = draw(_place(scale))
        size = max(scale * draw(st.sampled_from([0.1, 1.0, 3.0])), 1.0)
        if draw(st.integers(0, 3)) == 0:
            footprints.extend([f] for f in draw(_facing_pair(lon, lat, size)))
        else:
            shapes = [draw(_shape(lon, lat, size))]
            if volumes > 1 and draw(st.booleans()):
                lon2, lat2 = draw(_place(scale))
                shapes.append(draw(_shape(lon2, lat2, size)))
            footprints.append(shapes)
    ops = []
    for k, shapes in enumerate(footprints):
        volumes = []
        for f in shapes:
            time, band = draw(_when_and_where(slot))
            volumes.append(Volume4D(f, band, time))
        ops.append(
            Operation(f"{prefix}op{k}", f"party{k}", 0, OperationState.ACCEPTED, tuple(volumes))
        )
    return ops
