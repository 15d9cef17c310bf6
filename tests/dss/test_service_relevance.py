"""SCD0035 and DSS0005,2 hold each other up: the key check wants exactly what a query
over the same extent shows, and neither misses an intent the exact test finds.

Random airspaces of a few intents, a few cells wide, then one probe extent: a query over
it, and a write of it with an empty key. The grid (shared level-13 cell, the intent's
whole span) decides both, so their answers must be the same set, a superset of the
intents the exact 4D test calls intersecting.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deconflict.dss.records import Extent, IntentParams
from deconflict.dss.service import DssService
from deconflict.errors import AirspaceConflict
from deconflict.geo.footprint import Circle
from deconflict.geo.overlap import volumes_conflict
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import OperationState
from deconflict.store.dss import DssStore
from deconflict.store.sql import SqlStore

REGIONS = itertools.count()
"""Each example plans in its own region, far from the others, on one store."""

extents = st.tuples(
    st.floats(0.0, 0.03),  # longitude offset in the region: a few level-13 cells
    st.floats(0.0, 0.01),  # latitude offset
    st.floats(20.0, 400.0),  # radius, m
    st.integers(1, 120),  # start, minutes from now
    st.integers(1, 60),  # duration, minutes
    st.integers(0, 300),  # lowest altitude, m
    st.integers(10, 200),  # height, m
)


def _extent(base: float, spec: tuple[float, float, float, int, int, int, int]) -> Extent:
    dlng, dlat, radius, start, minutes, lower, height = spec
    now = datetime.now(UTC)
    return Extent(
        footprint=Circle(base + dlng, 46.0 + dlat, radius),
        altitude_lower_m=float(lower),
        altitude_upper_m=float(lower + height),
        start=now + timedelta(minutes=start),
        end=now + timedelta(minutes=start + minutes),
    )


def _volume(e: Extent) -> Volume4D:
    assert e.footprint is not None and e.start is not None and e.end is not None
    assert e.altitude_lower_m is not None and e.altitude_upper_m is not None
    return Volume4D(
        e.footprint,
        AltitudeBand(e.altitude_lower_m, e.altitude_upper_m),
        TimeWindow(e.start, e.end),
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    airspace=st.lists(st.lists(extents, min_size=1, max_size=2), min_size=1, max_size=5),
    probe=extents,
)
def test_the_key_wants_exactly_what_a_query_shows_and_never_less_than_the_exact_test(
    store: SqlStore,
    airspace: list[list[tuple[float, float, float, int, int, int, int]]],
    probe: tuple[float, float, float, int, int, int, int],
) -> None:
    base = -170.0 + 2.0 * next(REGIONS)
    service = DssService(DssStore(store))
    ovns: list[str] = []
    volumes: dict[str, list[Volume4D]] = {}
    for k, specs in enumerate(airspace):
        intent_id = str(uuid.uuid4())
        intent_extents = tuple(_extent(base, s) for s in specs)
        params = IntentParams(
            extents=intent_extents,
            state=OperationState.ACCEPTED,
            uss_base_url=f"https://uss{k}.example.com",
            key=frozenset(ovns),
        )
        change = service.put_intent(
            f"uss-{k}", intent_id, None, params, conformance_monitoring=False
        )
        ovns.append(change.intent.ovn)
        volumes[intent_id] = [_volume(e) for e in intent_extents]

    wanted = _extent(base, probe)
    shown = {ref.id for ref in service.query_intents(wanted)}
    write = IntentParams(
        extents=(wanted,), state=OperationState.ACCEPTED, uss_base_url="https://probe.example"
    )
    try:
        service.put_intent(
            "uss-probe", str(uuid.uuid4()), None, write, conformance_monitoring=False
        )
        missing: set[str] = set()
    except AirspaceConflict as exc:
        missing = {ref.id for ref in exc.missing_operational_intents}

    assert missing == shown
    probe_volume = _volume(wanted)
    intersecting = {
        intent_id
        for intent_id, vs in volumes.items()
        if any(volumes_conflict(probe_volume, v) for v in vs)
    }
    assert intersecting <= shown
    event("the grid shows more than the exact test" if shown - intersecting else "the same")
    event("something relevant" if shown else "nothing relevant")
