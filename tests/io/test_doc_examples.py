"""Every input format's example under docs/examples/ loads with the code that reads it
(issue 18: the formats were documented only in the source)."""

from __future__ import annotations

from pathlib import Path

import orjson

from deconflict.cli.replay import load_recording
from deconflict.io.airspace import load_airspace
from deconflict.io.plan import load_plan
from deconflict.model.constraint import ConstraintType
from deconflict.tactical.state import parse_states

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_plan_example_loads_both_volume_kinds() -> None:
    ops = load_plan((EXAMPLES / "plan.geojson").read_bytes())
    assert sorted(op.id for op in ops) == ["delivery-7", "survey-1"]


def test_the_geojson_zones_example_loads_constraints_and_both_zone_kinds() -> None:
    airspace = load_airspace((EXAMPLES / "zones.geojson").read_bytes())
    assert {c.id: c.type for c in airspace.constraints} == {
        "airport-ctr": ConstraintType.RESTRICTED,
        "stadium": ConstraintType.NO_FLY,
    }
    zones = {z.id: z for z in airspace.zones}
    assert set(zones) == {"north-sector", "river-line"}
    assert {s.party for s in zones["river-line"].sectors} == {"alpha", "beta"}


def test_the_ed269_example_loads_with_its_allowed_parties() -> None:
    airspace = load_airspace((EXAMPLES / "ed269.json").read_bytes())
    found = {c.id: c for c in airspace.constraints}
    assert found["HOSP-1"].type is ConstraintType.RESTRICTED
    assert found["PARK-2"].type is ConstraintType.NO_FLY
    assert "medevac" in found["HOSP-1"].allowed_parties


def test_the_recording_example_loads_every_report() -> None:
    records = load_recording(EXAMPLES / "recording.csv")
    assert len(records) == 4
    assert {r.fields["id"] for r in records} == {"HERC22", "VIPER41"}


def test_the_states_example_loads_both_velocity_forms() -> None:
    states = parse_states(orjson.loads((EXAMPLES / "states.json").read_bytes()))
    assert len(states) == 2
