"""The constraint and zone rules on hand-computed geometry (no store)."""

from __future__ import annotations

import pytest

from deconflict.core.constraints import (
    ConstraintReason,
    check_airspace,
    constraint_conflict,
    judge_constraint,
)
from deconflict.core.rules import Verdict
from deconflict.errors import InvalidInput
from deconflict.model.constraint import AgreedZone, ConstraintType, Sector
from deconflict.model.operation import OperationState
from tests.airspace.factories import box, constraint, deg, window
from tests.core.factories import operation, volume

FIVE_CM = deg(0.05)
"""5 cm of longitude at the equator (4.4966e-7 degrees); at 0.01 N the meridians are
closer by a factor cos(0.01 deg) = 1 - 1.5e-8: still 5 cm to well under a micrometre."""


def test_clipping_a_no_fly_zone_by_5_cm_is_blocking() -> None:
    op = operation("op", volume(box(-0.01, 0.002, FIVE_CM, 0.008)))
    hit = constraint_conflict(op, constraint())
    assert hit is not None
    assert (hit.verdict, hit.reason) == (Verdict.BLOCKING, ConstraintReason.NO_FLY)
    assert hit.ref_id == "nfz"
    (o,) = hit.overlaps
    # 5 cm wide by 0.006 deg of latitude (667.2 m): 33.4 m^2 (to 1 %: S2's area).
    assert o.overlap.area_m2 == pytest.approx(0.05 * 667.17, rel=0.01)
    assert o.overlap.altitude.lower_m == 0.0 and o.overlap.altitude.upper_m == 100.0


def test_passing_5_cm_outside_a_no_fly_zone_is_no_conflict() -> None:
    op = operation("op", volume(box(-0.01, 0.002, -FIVE_CM, 0.008)))
    assert constraint_conflict(op, constraint()) is None


def test_above_or_after_a_no_fly_zone_is_no_conflict() -> None:
    above = operation("up", volume(box(0.002, 0.002, 0.008, 0.008), lo=501.0, hi=600.0))
    later = operation("late", volume(box(0.002, 0.002, 0.008, 0.008), t0=3601.0, t1=4000.0))
    assert constraint_conflict(above, constraint()) is None
    assert constraint_conflict(later, constraint()) is None


def test_validity_window_switches_volumes_off() -> None:
    c = constraint()
    short = type(c)(
        c.id, c.type, c.owner, c.volumes, window(0.0, 60.0), c.allowed_parties, None, c.name
    )
    op = operation("op", volume(box(0.002, 0.002, 0.008, 0.008), t0=120.0, t1=600.0))
    assert constraint_conflict(op, c) is not None
    assert constraint_conflict(op, short) is None


def test_restricted_area_admits_by_priority_and_by_party_only() -> None:
    inside = volume(box(0.002, 0.002, 0.008, 0.008))
    c = constraint("ra", ConstraintType.RESTRICTED, parties=frozenset({"medevac"}), min_priority=50)
    assert judge_constraint(operation("hi", inside, priority=50), c) == (
        Verdict.NOTICE,
        ConstraintReason.ALLOWED_PRIORITY,
    )
    assert judge_constraint(operation("lo", inside, priority=49), c) == (
        Verdict.BLOCKING,
        ConstraintReason.RESTRICTED,
    )
    assert judge_constraint(operation("m", inside, party="medevac"), c) == (
        Verdict.NOTICE,
        ConstraintReason.ALLOWED_PARTY,
    )


def test_advisory_is_reported_and_never_blocks() -> None:
    op = operation("op", volume(box(0.002, 0.002, 0.008, 0.008)))
    (hit,) = check_airspace(op, [constraint("adv", ConstraintType.ADVISORY)])
    assert (hit.verdict, hit.reason) == (Verdict.NOTICE, ConstraintReason.ADVISORY)


def test_off_nominal_operations_get_notices_and_ended_ones_nothing() -> None:
    fp = box(0.002, 0.002, 0.008, 0.008)
    contingent = operation("c", volume(fp), state=OperationState.CONTINGENT)
    ended = operation("e", volume(fp), state=OperationState.ENDED)
    assert judge_constraint(contingent, constraint())[0] is Verdict.NOTICE
    assert check_airspace(ended, [constraint()]) == []


def test_only_restricted_constraints_admit_parties() -> None:
    with pytest.raises(InvalidInput, match="only a restricted"):
        constraint(parties=frozenset({"x"}))


def test_other_party_in_an_assigned_sector_is_blocking_and_owner_is_free() -> None:
    west = box(-0.05, 0.0, 0.0, 0.05)
    east = box(0.0, 0.0, 0.05, 0.05)
    zone = AgreedZone("river", "operator", (Sector(west, "alpha"), Sector(east, "bravo")), window())
    in_west = volume(box(-0.02, 0.01, -0.01, 0.02))
    (hit,) = check_airspace(operation("b1", in_west, party="bravo"), [], [zone])
    assert (hit.verdict, hit.reason) == (Verdict.BLOCKING, ConstraintReason.ASSIGNED_SECTOR)
    assert hit.assigned_party == "alpha"
    assert hit.to_json()["zone"] == "river"
    assert hit.to_json()["overlaps"][0]["sector"] == 0
    assert check_airspace(operation("a1", in_west, party="alpha"), [], [zone]) == []
    # Outside the zone's time it is not in force.
    late = volume(box(-0.02, 0.01, -0.01, 0.02), t0=3700.0, t1=4000.0)
    assert check_airspace(operation("b2", late, party="bravo"), [], [zone]) == []
