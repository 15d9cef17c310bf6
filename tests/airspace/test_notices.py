"""Who hears of a constraint or zone change, and what each is told (no store)."""

from __future__ import annotations

from deconflict.airspace.notices import PartyEvent, constraint_events, zone_events
from deconflict.model.constraint import AgreedZone, ConstraintType, Sector
from tests.airspace.factories import box, constraint, window
from tests.core.factories import operation, volume

INSIDE = volume(box(0.002, 0.002, 0.008, 0.008))
OUTSIDE = volume(box(0.02, 0.02, 0.03, 0.03))


def by_party(events: list[PartyEvent]) -> dict[str, PartyEvent]:
    return {e.party: e for e in events}


def test_owner_and_parties_with_operations_inside_are_told_others_not() -> None:
    ops = [operation("b1", INSIDE, party="bravo"), operation("c1", OUTSIDE, party="charlie")]
    told = by_party(constraint_events(None, constraint(), 1, ops, changed_by="ops"))
    assert sorted(told) == ["bravo", "operator"]
    assert told["operator"].body["why"] == ["owner"]
    assert told["bravo"].kind == "constraint.created"
    assert told["bravo"].body["why"] == ["operations"]
    assert (told["bravo"].body["version"], told["bravo"].body["changed_by"]) == (1, "ops")


def test_each_party_hears_of_its_own_conflicting_operations_only() -> None:
    ops = [
        operation("b1", INSIDE, party="bravo"),
        operation("b2", OUTSIDE, party="bravo"),
        operation("d1", INSIDE, party="delta"),
    ]
    told = by_party(constraint_events(None, constraint(), 1, ops))
    (mine,) = told["bravo"].body["your_conflicts"]
    assert (mine["operation"], mine["verdict"], mine["reason"]) == ("b1", "blocking", "no_fly")
    assert mine["overlaps"][0]["time_start"] == "2026-07-01T12:00:00Z"
    assert [c["operation"] for c in told["delta"].body["your_conflicts"]] == ["d1"]


def test_where_and_when_are_in_every_event() -> None:
    (event,) = constraint_events(None, constraint(), 1, [])
    body = event.body
    assert (body["valid_start"], body["valid_end"]) == (
        "2026-07-01T12:00:00Z",
        "2026-07-01T13:00:00Z",
    )
    assert (body["altitude_lower_m"], body["altitude_upper_m"]) == (0.0, 500.0)
    assert [round(x, 9) for x in body["bbox"]] == [0.0, 0.0, 0.01, 0.01]


def test_restricted_lets_its_parties_know_without_naming_the_others() -> None:
    ra = constraint(
        "ra", ConstraintType.RESTRICTED, parties=frozenset({"medevac", "police"}), min_priority=5
    )
    told = by_party(constraint_events(None, ra, 1, []))
    assert sorted(told) == ["medevac", "operator", "police"]
    assert told["police"].body["why"] == ["allowed"]
    assert "allowed_parties" not in told["police"].body
    assert "medevac" not in str(told["police"].body)


def test_a_deletion_tells_whoever_was_inside_and_lists_no_conflict() -> None:
    ops = [operation("b1", INSIDE, party="bravo")]
    told = by_party(constraint_events(constraint(), None, 3, ops))
    assert told["bravo"].kind == "constraint.deleted"
    assert told["bravo"].body["your_conflicts"] == []
    assert told["bravo"].body["version"] == 3


def test_moving_a_constraint_off_an_operation_still_tells_its_party() -> None:
    moved = constraint(footprint=box(1.0, 1.0, 1.01, 1.01))
    ops = [operation("b1", INSIDE, party="bravo")]
    told = by_party(constraint_events(constraint(), moved, 2, ops))
    assert told["bravo"].kind == "constraint.updated"
    assert told["bravo"].body["your_conflicts"] == []


def test_skipped_parties_are_not_told() -> None:
    ops = [operation("b1", INSIDE, party="bravo")]
    assert [e.party for e in constraint_events(None, constraint(), 1, ops, skip=["operator"])] == [
        "bravo"
    ]


WEST, EAST = box(-0.05, 0.0, 0.0, 0.05), box(0.0, 0.0, 0.05, 0.05)


def river(east_party: str) -> AgreedZone:
    return AgreedZone("river", "ops", (Sector(WEST, "alpha"), Sector(EAST, east_party)), window())


def test_zone_parties_old_and_new_and_trespassers_are_told() -> None:
    in_west = volume(box(-0.02, 0.01, -0.01, 0.02))
    ops = [operation("c1", in_west, party="charlie"), operation("a1", in_west, party="alpha")]
    told = by_party(zone_events(river("bravo"), river("delta"), 2, ops, changed_by="ops"))
    assert sorted(told) == ["alpha", "bravo", "charlie", "delta", "ops"]
    assert told["bravo"].body["why"] == ["sector"]  # lost its sector: still told
    assert "your_sectors" not in told["bravo"].body
    assert told["delta"].body["your_sectors"] == [1]
    assert told["alpha"].body["your_conflicts"] == []  # its own sector
    (hit,) = told["charlie"].body["your_conflicts"]
    assert (hit["operation"], hit["assigned_party"]) == ("c1", "alpha")
    assert hit["overlaps"][0]["sector"] == 0
    assert told["charlie"].kind == "zone.updated"
