"""The model case of DESIGN.md: two forces over the Euphrates at Deir ez-Zor, July 2018.

``coalition`` (north-east bank) and ``northern-force`` (south-west bank) plan strike,
surveillance and transport operations over the same valley; they do not cooperate, they
deconflict. The volumes are those of the bundled plan ``examples/river_valley.geojson``
(15 July 2018), shifted in time so that the story's 14:02Z is the moment the scenario is
played: the live part must happen *now*, because the service judges position reports
against its own clock.

The story, in the order the steps play it:

0. The airspace both sides plan around, all of it below 250 m, where none of the day's
   operations flies (so it shapes the picture without changing the story): the
   operator records the agreed low-level deconfliction line along the river (coalition
   keeps to the north-east bank, northern-force to the south-west); northern-force
   restricts its air base approach to itself and advises of low-level crossings at the
   city bridges; coalition declares a no-fly zone over its field hospital.
1. northern-force files its day: BERKUT 2 (ISR orbit), SOKOL 7 and KRASNY 4
   (transports along the west bank), GROM 12 and GROM 14 (strikes).
2. coalition files JACKAL 11 (strike box 3,000-7,500 m): **rejected**, it overlaps the
   BERKUT 2 orbit at equal priority. coalition raises the strike box floor to 6,100 m,
   above the orbit, and files again: accepted.
3. coalition files DUSTOFF 5, a priority-10 medical evacuation across the river:
   **accepted with a notice** to northern-force, whose SOKOL 7 it crosses.
4. coalition files REAPER 31, HERC 22 and VIPER 41: accepted, although each is close to
   a northern-force operation (200 m apart vertically, 60 s apart in time, 200 m apart
   across the river): the exact test tells close from conflicting.
5. HERC 22, KRASNY 4 and REAPER 31 are activated and fly:
   - HERC 22 flies south-east down the east-bank corridor; KRASNY 4 takes off from the
     south-east end of the parallel west-bank corridor and flies north-west. Their
     volumes never overlap, yet the two aircraft converge 1 km apart at the same height:
     a **predicted loss of separation** (alert and resolution advisory for both parties);
     the crews separate vertically (HERC climbs, KRASNY descends) and the alert resolves.
   - REAPER 31 follows a target east, out of its orbit: after 10 s outside, its
     operation becomes **Nonconforming**; it returns, and the operation is Activated again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from deconflict.model.times import rfc3339
from deconflict.scenarios.model import (
    Airspace,
    Expect,
    Fix,
    Flight,
    Plan,
    Scenario,
    SetState,
    Step,
)

NAME = "river-valley"
COALITION = "coalition"
NORTHERN = "northern-force"
STORY_NOW = datetime(2018, 7, 15, 14, 2, tzinfo=UTC)
LIVE_WINDOW_END = datetime(2018, 7, 15, 14, 30, tzinfo=UTC)
"""HERC 22 and KRASNY 4 leave their first corridor legs then."""

OPERATOR = "operator"
"""The service operator, who records zones the two sides agreed on."""
RAISED_FLOOR_M = 6100.0
AIRSPACE_START = datetime(2018, 7, 15, 10, 0, tzinfo=UTC)
AIRSPACE_END = datetime(2018, 7, 15, 17, 0, tzinfo=UTC)
LOW_LEVEL_M = 250.0
"""The airspace's ceiling: below every operation of the day (the lowest floor is 300 m)."""


def _features() -> list[dict[str, Any]]:
    text = resources.files("deconflict.examples").joinpath("river_valley.geojson").read_text()
    features: list[dict[str, Any]] = json.loads(text)["features"]
    return features


def _bodies(shift: timedelta) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each operation of the plan as ``(party, PUT body)``, times moved by ``shift``.

    Names and roles go into ``details``, which only the owner ever sees: a reference
    shown to the other side carries no call sign.
    """
    ops: dict[str, tuple[str, dict[str, Any]]] = {}
    for f in _features():
        p = f["properties"]
        _, body = ops.setdefault(
            p["operation"],
            (
                p["party"],
                {
                    "priority": p["priority"],
                    "volumes": [],
                    "details": {"name": p["name"], "roles": []},
                },
            ),
        )
        volume: dict[str, Any] = {
            "geometry": f["geometry"],
            "altitude_lower_m": p["altitude_lower_m"],
            "altitude_upper_m": p["altitude_upper_m"],
            "time_start": rfc3339(datetime.fromisoformat(p["time_start"]) + shift),
            "time_end": rfc3339(datetime.fromisoformat(p["time_end"]) + shift),
        }
        if "radius_m" in p:
            volume["radius_m"] = p["radius_m"]
        body["volumes"].append(volume)
        body["details"]["roles"].append(p["role"])
    return ops


def _airspace(shift: timedelta) -> tuple[Airspace, ...]:
    start, end = rfc3339(AIRSPACE_START + shift), rfc3339(AIRSPACE_END + shift)

    def constraint(kind: str, name: str, geometry: dict[str, Any], **extra: Any) -> dict[str, Any]:
        volume = {
            "geometry": geometry,
            "altitude_lower_m": 0,
            "altitude_upper_m": LOW_LEVEL_M,
            "time_start": start,
            "time_end": end,
            **({"radius_m": extra.pop("radius_m")} if "radius_m" in extra else {}),
        }
        return {"type": kind, "name": name, "volumes": [volume], **extra}

    def point(lon: float, lat: float) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [lon, lat]}

    city = [[40.10, 35.32], [40.17, 35.32], [40.17, 35.35], [40.10, 35.35], [40.10, 35.32]]
    line = {
        "name": "Euphrates low-level deconfliction line",
        # Down the river between the two transport corridors, north-west to south-east:
        # the left (north-east) bank is coalition's, the right bank northern-force's.
        "line": [[39.90, 35.468], [39.959, 35.433], [40.140, 35.330], [40.30, 35.24]],
        "width_m": 4000,
        "left_party": COALITION,
        "right_party": NORTHERN,
        "valid_start": start,
        "valid_end": end,
        "altitude_lower_m": 0,
        "altitude_upper_m": LOW_LEVEL_M,
    }
    return (
        Airspace(
            OPERATOR,
            "zones",
            "rv-river-line",
            line,
            "the operator records the low-level line the two sides agreed along the river",
        ),
        Airspace(
            NORTHERN,
            "constraints",
            "nf-airbase",
            constraint(
                "restricted",
                "Air base approach",
                point(40.1764, 35.2847),
                radius_m=5000,
                allowed_parties=[NORTHERN],
            ),
            "northern-force restricts its air base approach to itself",
        ),
        Airspace(
            NORTHERN,
            "constraints",
            "nf-bridges",
            constraint(
                "advisory",
                "Bridge crossings",
                {"type": "Polygon", "coordinates": [city]},
            ),
            "northern-force advises of low-level crossings at the city bridges",
        ),
        Airspace(
            COALITION,
            "constraints",
            "coa-hospital",
            constraint("no_fly", "Field hospital", point(40.50, 35.17), radius_m=4000),
            "coalition declares a no-fly zone over its field hospital",
        ),
    )


def _raised(body: dict[str, Any]) -> dict[str, Any]:
    volumes = [
        {**v, "altitude_lower_m": max(v["altitude_lower_m"], RAISED_FLOOR_M)}
        for v in body["volumes"]
    ]
    details = {**body["details"], "note": "strike box floor raised above BERKUT 2's orbit"}
    return {**body, "volumes": volumes, "details": details}


def _flights() -> tuple[Flight, ...]:
    # Corridor centre lines of HERC 22 leg 1 (east bank) and KRASNY 4 leg 1 (west bank),
    # from their north-west to their south-east ends.
    herc_nw, herc_se = (35.43745, 39.96297), (35.33442, 40.14379)
    krasny_nw, krasny_se = (35.42861, 39.95538), (35.32558, 40.13621)

    def along(a: tuple[float, float], b: tuple[float, float], f: float) -> tuple[float, float]:
        return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])

    # The corridors are 20.7 km long. HERC at 100 m/s from 0.5 km in; KRASNY at 60 m/s
    # from 0.5 km before the south-east end, taking off 20 s later. Both cruise at 900 m
    # (the valley floor is about 200 m): converging, they would lose 5 NM separation
    # about 69 s in; from 46 s HERC climbs at 12 m/s and KRASNY descends at 5 m/s.
    length_km = 20.7
    herc = [
        Fix(t, *along(herc_nw, herc_se, (0.5 + 0.1 * t) / length_km), alt)
        for t, alt in ((0, 900.0), (46, 900.0), (92, 1452.0), (150, 1452.0))
    ]
    krasny = [
        Fix(t, *along(krasny_nw, krasny_se, (length_km - 0.5 - 0.06 * (t - 20)) / length_km), alt)
        for t, alt in ((20, 900.0), (46, 900.0), (106, 600.0), (150, 600.0))
    ]
    # REAPER 31's orbit: a 6 km circle around (35.3152135 N, 40.2618479 E), 4,500-6,000 m.
    # It leaves the circle eastwards about 67 s in and is back inside about 113 s in.
    lat0, lon0 = 35.3152135, 40.2618479
    km_lon = 1 / (111.32 * 0.81563)  # degrees of longitude per km at this latitude
    reaper = [
        Fix(t, lat0, lon0 + east_km * km_lon, 5200.0)
        for t, east_km in ((0, 2.0), (90, 7.4), (150, 3.8))
    ]
    return (
        Flight(
            COALITION,
            "HERC22",
            "coa-herc-22",
            tuple(herc),
            "HERC 22 flies south-east down the east-bank corridor",
        ),
        Flight(
            NORTHERN,
            "KRASNY4",
            "nf-krasny-4",
            tuple(krasny),
            "KRASNY 4 takes off and flies north-west up the west-bank corridor",
        ),
        Flight(
            COALITION,
            "REAPER31",
            "coa-reaper-31",
            tuple(reaper),
            "REAPER 31 follows a target east, out of its orbit, and comes back",
        ),
    )


def build(now: datetime) -> Scenario:
    """The scenario with the story's 14:02Z at ``now`` (whole seconds)."""
    shift = now.astimezone(UTC).replace(microsecond=0) - STORY_NOW
    ops = _bodies(shift)

    def plan(op_id: str, expect: Expect, say: str, body: dict[str, Any] | None = None) -> Plan:
        party, default = ops[op_id]
        return Plan(party, op_id, body or default, expect, say)

    steps: tuple[Step, ...] = (
        *_airspace(shift),
        plan("nf-berkut-2", Expect.ACCEPTED, "northern-force files BERKUT 2, an ISR orbit"),
        plan("nf-sokol-7", Expect.ACCEPTED, "northern-force files SOKOL 7, a transport"),
        plan("nf-krasny-4", Expect.ACCEPTED, "northern-force files KRASNY 4, a transport"),
        plan("nf-grom-12", Expect.ACCEPTED, "northern-force files GROM 12, a strike"),
        plan("nf-grom-14", Expect.ACCEPTED, "northern-force files GROM 14, a strike"),
        plan(
            "coa-jackal-11",
            Expect.REJECTED,
            "coalition files JACKAL 11, a strike whose box reaches down to 3,000 m",
        ),
        plan(
            "coa-jackal-11",
            Expect.ACCEPTED,
            "coalition raises JACKAL 11's floor to 6,100 m, above the orbit, and files again",
            _raised(ops["coa-jackal-11"][1]),
        ),
        plan(
            "coa-dustoff-5",
            Expect.NOTICE,
            "coalition files DUSTOFF 5, a priority-10 medical evacuation across the river",
        ),
        plan("coa-reaper-31", Expect.ACCEPTED, "coalition files REAPER 31, an ISR orbit"),
        plan("coa-herc-22", Expect.ACCEPTED, "coalition files HERC 22, a transport"),
        plan("coa-viper-41", Expect.ACCEPTED, "coalition files VIPER 41, a strike"),
        SetState(COALITION, "coa-herc-22", "Activated", "HERC 22 is airborne"),
        SetState(COALITION, "coa-reaper-31", "Activated", "REAPER 31 is airborne"),
        SetState(NORTHERN, "nf-krasny-4", "Activated", "KRASNY 4 is airborne"),
    )
    ids: dict[str, list[str]] = {}
    for op_id, (party, _) in ops.items():
        ids.setdefault(party, []).append(op_id)
    return Scenario(
        name=NAME,
        title="Two forces over the Euphrates at Deir ez-Zor, 15 July 2018",
        summary=(
            "coalition and northern-force plan strike, surveillance and transport operations "
            "over one river valley: one plan is rejected, one is accepted with a notice to "
            "the other side; live, two transports converge (alert, resolution advisory) and "
            "a drone leaves its orbit (non-conformance). Below them, the airspace both sides "
            "plan around: an agreed low-level line along the river, a restricted air base, "
            "an advisory and a no-fly zone."
        ),
        parties=(COALITION, NORTHERN),
        steps=steps,
        flights=_flights(),
        live_until=LIVE_WINDOW_END + shift,
        operation_ids={party: tuple(v) for party, v in ids.items()},
        operators=(OPERATOR,),
        grants=_grants(ops),
    )


def _grants(ops: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The priorities the plan uses above 0, granted by the operator before it is filed."""
    top: dict[str, int] = {}
    for party, body in ops.values():
        top[party] = max(top.get(party, 0), int(body["priority"]))
    return {party: {"priority_max": p} for party, p in sorted(top.items()) if p > 0}
