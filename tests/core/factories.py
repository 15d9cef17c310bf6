"""Small builders for operations in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def square(lon: float, lat: float, d: float = 0.01) -> Polygon:
    return Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))


def volume(
    fp: Polygon | Circle, lo: float = 0.0, hi: float = 100.0, t0: float = 0.0, t1: float = 600.0
) -> Volume4D:
    return Volume4D(
        fp,
        AltitudeBand(lo, hi),
        TimeWindow(T0 + timedelta(seconds=t0), T0 + timedelta(seconds=t1)),
    )


def operation(
    op_id: str,
    *volumes: Volume4D,
    party: str = "alpha",
    priority: int = 0,
    state: OperationState = OperationState.ACCEPTED,
) -> Operation:
    return Operation(op_id, party, priority, state, tuple(volumes))


def crowd(n: int = 30) -> list[Operation]:
    """``n`` squares each overlapping every other, over four parties: with 30, 435
    pairs, enough for the check to hand them to its worker processes."""
    return [
        operation(f"op{k:02d}", volume(square(k * 0.0002, k * 0.0001)), party=f"p{k % 4}")
        for k in range(n)
    ]
