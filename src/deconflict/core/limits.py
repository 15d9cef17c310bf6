"""What one request may cost, judged before any covering is computed or any cell
searched: every path (native, constraints and zones, F3548) calls these.

A footprint's cost is its covering: at most ``CELL_BUDGET`` cells, estimated from its
area and perimeter (``estimated_cells``) without computing it. A request's cost is the
sum over its volumes; the limits bound each volume (area, vertices, time, altitude) and
the request (volumes, estimated cells), so the work and memory of any accepted request
are bounded and known before it runs. Each refusal names the field and the setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from deconflict.errors import OverLimit, TooLarge
from deconflict.geo.covering import estimated_cells
from deconflict.geo.footprint import Footprint, Polygon
from deconflict.geo.measure import area_m2
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation
from deconflict.settings import LimitsSettings


def _setting(name: str) -> str:
    return f"DECONFLICT_LIMITS__{name.upper()}"


def check_footprint(
    footprint: Footprint, field: str, limits: LimitsSettings, area_limit: str = "max_area_km2"
) -> int:
    """Vertices and area (against the setting ``area_limit``) of one footprint; its
    estimated cells."""
    if isinstance(footprint, Polygon) and len(footprint.vertices) > limits.max_vertices:
        raise OverLimit(
            field,
            f"{len(footprint.vertices)} vertices; at most {limits.max_vertices} are allowed "
            f"({_setting('max_vertices')})",
        )
    bound = float(getattr(limits, area_limit))
    area = area_m2(footprint) / 1e6
    if area > bound:
        raise OverLimit(
            field,
            f"area {area:,.0f} km² is over the limit of {bound:,.0f} km² ({_setting(area_limit)})",
        )
    return estimated_cells(footprint)


def check_volume(v: Volume4D, field: str, limits: LimitsSettings, now: datetime) -> int:
    """One operation volume: its footprint, altitude span, duration and start within
    the plan horizon; its estimated cells."""
    cells = check_footprint(v.footprint, f"{field}.geometry", limits)
    span = v.altitude.upper_m - v.altitude.lower_m
    if span > limits.max_altitude_span_m:
        raise OverLimit(
            f"{field}.altitude_upper_m",
            f"altitude span {span:,.0f} m is over the limit of "
            f"{limits.max_altitude_span_m:,.0f} m ({_setting('max_altitude_span_m')})",
        )
    duration = (v.time.end - v.time.start).total_seconds()
    if duration > limits.max_volume_duration_s:
        raise OverLimit(
            f"{field}.time_end",
            f"the volume lasts {_duration(duration)}, over the limit of "
            f"{_duration(limits.max_volume_duration_s)} ({_setting('max_volume_duration_s')})",
        )
    if v.time.start > now + timedelta(seconds=limits.plan_horizon_s):
        raise OverLimit(
            f"{field}.time_start",
            f"starts more than {_duration(limits.plan_horizon_s)} ahead, past the plan "
            f"horizon ({_setting('plan_horizon_s')})",
        )
    return cells


def check_operations(
    operations: Sequence[Operation],
    limits: LimitsSettings,
    now: datetime,
    fields: Sequence[str] | None = None,
) -> int:
    """The whole request: the number of volumes, then each volume, then the sum of the
    estimated cells; the estimate. ``fields`` names each operation in messages
    (``volumes`` for a single operation, ``operations[i].volumes`` in a batch)."""
    check_count(sum(len(op.volumes) for op in operations), "volumes", limits)
    total = 0
    for k, op in enumerate(operations):
        prefix = fields[k] if fields is not None else "volumes"
        for i, v in enumerate(op.volumes):
            total += check_volume(v, f"{prefix}[{i}]", limits, now)
    check_cells(total, limits)
    return total


def check_count(n: int, field: str, limits: LimitsSettings) -> None:
    if n > limits.max_volumes:
        raise TooLarge(
            field,
            f"{n:,} volumes in one request; at most {limits.max_volumes:,} are allowed "
            f"({_setting('max_volumes')})",
        )


def check_cells(total: int, limits: LimitsSettings, field: str = "volumes") -> None:
    if total > limits.max_request_cells:
        raise TooLarge(
            field,
            f"the request's footprints would take about {total:,} index cells; at most "
            f"{limits.max_request_cells:,} are allowed ({_setting('max_request_cells')}): "
            "send fewer or smaller volumes",
        )


def check_airspace(footprints: Iterable[tuple[str, Footprint]], limits: LimitsSettings) -> int:
    """The volumes of a constraint or the sectors of a zone (``(field, footprint)``):
    count, vertices and area, estimated cells. No plan horizon: a constraint or an
    agreed line may stand for years."""
    items = list(footprints)
    check_count(len(items), "volumes", limits)
    total = sum(check_footprint(fp, field, limits) for field, fp in items)
    check_cells(total, limits)
    return total


def check_query_area(footprint: Footprint, field: str, limits: LimitsSettings) -> None:
    """The area a query searches (a bbox): ``max_query_area_km2``."""
    area = area_m2(footprint) / 1e6
    if area > limits.max_query_area_km2:
        raise OverLimit(
            field,
            f"area {area:,.0f} km² is over the query limit of "
            f"{limits.max_query_area_km2:,.0f} km² ({_setting('max_query_area_km2')})",
        )


def check_f3548(footprints: Iterable[tuple[str, Footprint]], limits: LimitsSettings) -> int:
    """The extents of an F3548 write or query: ``max_f3548_area_km2`` each, their
    count and estimated cells like any request (F3548 has no 413: the DSS answers 400)."""
    items = list(footprints)
    check_count(len(items), "extents", limits)
    total = sum(check_footprint(fp, field, limits, "max_f3548_area_km2") for field, fp in items)
    check_cells(total, limits, "extents")
    return total


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:,.0f} days"
    if seconds >= 86400:
        return f"{seconds / 86400:,.1f} days"
    return f"{seconds:,.0f} s"
