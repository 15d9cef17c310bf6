"""The rules of changing airspace (``airspace.changes``), without a store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconflict.airspace import changes
from deconflict.airspace.changes import Editor
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.errors import Forbidden, StaleVersion
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint, Sector
from tests.airspace.factories import box, constraint, window
from tests.core.factories import T0

ALPHA = Editor("alpha")
OPERATOR = Editor("operator", operator=True)


def stored(owner: str = "alpha", version: int = 1) -> StoredConstraint:
    return StoredConstraint(constraint(owner=owner), version, T0, T0)


def zone(*parties: str) -> AgreedZone:
    sectors = tuple(Sector(box(k, 0.0, k + 0.01, 0.01), p) for k, p in enumerate(parties))
    return AgreedZone("river", "operator", sectors, window())


def history(*zones: AgreedZone | None) -> list[ZoneVersion]:
    return [ZoneVersion("river", k + 1, z is None, "operator", T0, z) for k, z in enumerate(zones)]


def test_a_party_may_create_a_constraint() -> None:
    changes.check_owner("nfz", None, ALPHA)


def test_a_party_may_rewrite_its_own_constraint() -> None:
    changes.check_owner("nfz", stored("alpha"), ALPHA)


def test_a_party_may_not_write_another_partys_constraint() -> None:
    with pytest.raises(Forbidden, match="belongs to another party"):
        changes.check_owner("nfz", stored("bravo"), ALPHA)


def test_the_operator_may_write_any_partys_constraint() -> None:
    changes.check_owner("nfz", stored("bravo"), OPERATOR)


def test_a_native_constraint_may_be_written_natively() -> None:
    assert changes.native_refusal("nfz", None) is None


def test_an_f3548_constraint_is_changed_only_through_the_dss_naming_its_manager() -> None:
    refusal = changes.native_refusal("nfz", "uss-alpha")
    assert refusal is not None
    assert "'uss-alpha'" in refusal and "/dss/v1/constraint_references" in refusal


def test_no_expected_version_accepts_any_stored_version() -> None:
    changes.check_expected("constraint", "nfz", 7, None)


def test_the_expected_version_must_be_the_stored_one() -> None:
    changes.check_expected("constraint", "nfz", 2, 2)
    with pytest.raises(StaleVersion, match="is at version 2, not 1"):
        changes.check_expected("constraint", "nfz", 2, 1)


def test_expecting_version_0_means_it_must_not_exist() -> None:
    changes.check_expected("zone", "river", 0, 0)
    with pytest.raises(StaleVersion):
        changes.check_expected("zone", "river", 1, 0)


def test_a_new_constraint_is_owned_by_its_writer() -> None:
    assert changes.owner_of(None, OPERATOR) == "operator"


def test_a_constraint_keeps_its_owner_when_the_operator_rewrites_it() -> None:
    assert changes.owner_of(stored("bravo"), OPERATOR) == "bravo"


def test_a_new_constraint_is_version_1() -> None:
    assert changes.constraint_version(None) == 1


def test_each_change_of_a_constraint_deletion_included_is_the_next_version() -> None:
    assert changes.constraint_version(stored(version=4)) == 5


def test_a_zone_version_follows_the_last_one_in_its_history() -> None:
    assert changes.zone_version(0) == 1
    assert changes.zone_version(3) == 4


def test_a_constraint_change_touches_the_volumes_of_both_versions() -> None:
    old = constraint(footprint=box(0.0, 0.0, 0.01, 0.01))
    new = constraint(footprint=box(1.0, 1.0, 1.01, 1.01))
    touched = changes.constraint_volumes(old, new)
    assert [v.footprint for v in touched] == [old.volumes[0].footprint, new.volumes[0].footprint]


def test_a_constraint_change_touches_only_volumes_in_force() -> None:
    c = constraint()
    after = TimeWindow(c.validity.end + timedelta(hours=1), c.validity.end + timedelta(hours=2))
    late = Volume4D(box(0.0, 0.0, 0.01, 0.01), AltitudeBand(0.0, 100.0), after)
    with_late = Constraint(c.id, c.type, c.owner, (*c.volumes, late), c.validity)
    assert changes.constraint_volumes(with_late) == [c.volumes[0]]


def test_a_zone_change_touches_every_sector_of_both_versions() -> None:
    assert len(changes.zone_volumes(zone("alpha", "bravo"), None, zone("alpha"))) == 3


def test_the_operator_may_read_any_zone_history() -> None:
    changes.check_history_reader("river", history(zone("alpha")), OPERATOR)


def test_a_party_assigned_a_sector_by_any_version_may_read_the_history() -> None:
    changes.check_history_reader("river", history(zone("alpha"), zone("bravo"), None), ALPHA)


def test_a_party_never_assigned_a_sector_may_not_read_the_history() -> None:
    with pytest.raises(Forbidden, match="assigns you no sector"):
        changes.check_history_reader("river", history(zone("bravo"), None), ALPHA)
