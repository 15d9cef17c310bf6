"""The airspace use cases on an in-memory book: the rules applied in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconflict.access.agreements import Agreements
from deconflict.access.policy import DisclosurePolicy
from deconflict.airspace.changes import Editor
from deconflict.airspace.service import AirspaceChanges, AirspaceService
from deconflict.errors import Forbidden, ManagedByDss, NotFound, StaleVersion, TooLarge
from deconflict.model.constraint import AgreedZone, Sector
from deconflict.settings import LimitsSettings
from tests.airspace.factories import box, constraint, window
from tests.airspace.memory import MemoryBook, MemoryTransactions
from tests.core.factories import operation, volume

NOW = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
ALPHA = Editor("alpha")
OPERATOR = Editor("operator", operator=True)


def service(book: MemoryBook | None = None) -> tuple[AirspaceService, MemoryTransactions]:
    tx = MemoryTransactions(book or MemoryBook())
    return AirspaceService(tx, LimitsSettings(), clock=lambda: NOW), tx


def river(*parties: str) -> AgreedZone:
    sectors = tuple(
        Sector(box(k * 0.01, 0.0, k * 0.01 + 0.01, 0.01), p) for k, p in enumerate(parties)
    )
    return AgreedZone("river", "operator", sectors, window())


def policy(_session: object) -> DisclosurePolicy:
    return DisclosurePolicy(Agreements(), frozenset({"operator"}))


def put(svc: AirspaceService, cid: str, editor: Editor, expected: int | None = None) -> int:
    return svc.put_constraint(cid, editor, expected, lambda o: constraint(cid, owner=o)).version


def test_a_new_constraint_belongs_to_its_writer_at_version_1() -> None:
    svc, tx = service()
    stored = svc.put_constraint("nfz", ALPHA, None, lambda o: constraint(owner=o))
    assert (stored.constraint.owner, stored.version, stored.created) == ("alpha", 1, NOW)
    assert tx.book.constraints["nfz"] == stored


def test_rewriting_a_constraint_makes_the_next_version_and_keeps_its_creation() -> None:
    svc, tx = service()
    put(svc, "nfz", ALPHA)
    later = AirspaceService(tx, LimitsSettings(), clock=lambda: NOW.replace(hour=12))
    stored = later.put_constraint("nfz", ALPHA, 1, lambda o: constraint(owner=o))
    assert (stored.version, stored.created, stored.updated.hour) == (2, NOW, 12)


def test_the_operator_rewriting_a_partys_constraint_leaves_the_party_its_owner() -> None:
    svc, _ = service()
    put(svc, "nfz", ALPHA)
    stored = svc.put_constraint("nfz", OPERATOR, None, lambda o: constraint(owner=o))
    assert stored.constraint.owner == "alpha"


def test_another_partys_constraint_is_refused_and_nothing_is_written() -> None:
    svc, tx = service()
    put(svc, "nfz", ALPHA)
    with pytest.raises(Forbidden, match="belongs to another party"):
        put(svc, "nfz", Editor("bravo"))
    assert tx.book.constraints["nfz"].version == 1


def test_a_stale_expected_version_is_refused() -> None:
    svc, _ = service()
    put(svc, "nfz", ALPHA)
    with pytest.raises(StaleVersion, match="at version 1, not 0"):
        put(svc, "nfz", ALPHA, expected=0)


def test_an_f3548_constraint_is_forbidden_to_the_native_api() -> None:
    book = MemoryBook(managers={"nfz": "uss-alpha"})
    svc, _ = service(book)
    with pytest.raises(Forbidden, match="uss-alpha"):
        put(svc, "nfz", OPERATOR)


def test_inside_a_transaction_an_f3548_constraint_is_managed_by_the_dss() -> None:
    book = MemoryBook(managers={"nfz": "uss-alpha"})
    with pytest.raises(ManagedByDss):
        AirspaceChanges(book).put_constraint(constraint())
    assert AirspaceChanges(book).put_constraint(constraint(), dss=True).version == 1


def test_deleting_a_missing_constraint_is_not_found() -> None:
    svc, _ = service()
    with pytest.raises(NotFound, match="no constraint 'nfz'"):
        svc.delete_constraint("nfz", ALPHA)


def test_a_deletion_is_told_as_the_version_after_the_last() -> None:
    svc, tx = service()
    put(svc, "nfz", ALPHA)
    put(svc, "nfz", ALPHA)
    svc.delete_constraint("nfz", ALPHA)
    assert "nfz" not in tx.book.constraints
    last = tx.book.told[-1]
    assert (last.party, last.kind, last.body["version"]) == ("alpha", "constraint.deleted", 3)


def test_parties_told_by_other_means_are_skipped() -> None:
    book = MemoryBook(managers={"nfz": "uss-alpha"})
    c = constraint(owner="uss-alpha")
    AirspaceChanges(book).put_constraint(c, "uss-alpha", dss=True, skip=("uss-alpha",))
    assert book.told == []


def test_a_party_with_an_operation_inside_hears_of_the_new_constraint() -> None:
    inside = operation("bravo-op", volume(box(0.002, 0.002, 0.008, 0.008)), party="bravo")
    svc, tx = service(MemoryBook(operations=[inside]))
    put(svc, "nfz", OPERATOR)
    told = {e.party: e.body["why"] for e in tx.book.told}
    assert told == {"operator": ["owner"], "bravo": ["operations"]}


def test_zone_versions_continue_after_a_deletion() -> None:
    svc, tx = service()
    svc.put_zone(river("alpha", "bravo"), "operator", None)
    svc.delete_zone("river", "operator")
    stored, created = svc.put_zone(river("alpha", "bravo"), "operator", 0)
    assert (stored.version, created) == (3, True)
    history = tx.book.zone_history("river")
    assert [(h.version, h.deleted) for h in history] == [(1, False), (2, True), (3, False)]


def test_a_zone_over_the_limits_is_refused_before_any_transaction() -> None:
    tx = MemoryTransactions()
    sectors = tuple(Sector(box(0.0, 0.0, 0.01, 0.01), "alpha") for _ in range(5))
    tight = AirspaceService(tx, LimitsSettings(max_volumes=4), clock=lambda: NOW)
    with pytest.raises(TooLarge):
        tight.put_zone(AgreedZone("river", "operator", sectors, window()), "operator", None)
    assert tx.runs == 0


def test_deleting_a_missing_zone_is_not_found() -> None:
    svc, _ = service()
    with pytest.raises(NotFound, match="no zone 'river'"):
        svc.delete_zone("river", "operator")


def test_filtering_zones_by_another_party_returns_only_zones_the_viewer_sees() -> None:
    svc, _ = service()
    svc.put_zone(river("alpha", "bravo"), "operator", None)
    assert svc.zones("charlie", policy, party="bravo")[0] == []
    assert [z.id for z in svc.zones("alpha", policy, party="bravo")[0]] == ["river"]


def test_a_zone_history_is_refused_to_a_party_never_assigned_a_sector() -> None:
    svc, _ = service()
    svc.put_zone(river("alpha"), "operator", None)
    with pytest.raises(Forbidden):
        svc.zone_history("river", Editor("bravo"))
    assert len(svc.zone_history("river", ALPHA)) == 1


def test_constraints_outside_the_area_are_left_out() -> None:
    svc, _ = service()
    put(svc, "nfz", ALPHA)
    far = volume(box(5.0, 5.0, 5.01, 5.01))
    near = volume(box(0.004, 0.004, 0.006, 0.006))
    assert svc.constraints(policy, area=far)[0] == []
    assert [s.constraint.id for s in svc.constraints(policy, area=near)[0]] == ["nfz"]


def test_an_import_is_all_or_nothing() -> None:
    svc, tx = service(MemoryBook(managers={"taken": "uss-alpha"}))
    with pytest.raises(ManagedByDss):
        svc.import_all([constraint("ok"), constraint("taken")], [], "operator")
    assert tx.book.constraints == {}


def test_everything_lists_constraints_and_zones() -> None:
    svc, _ = service()
    svc.import_all([constraint("a"), constraint("b")], [river("alpha")], "operator")
    constraints, zones = svc.everything()
    assert ([c.id for c in constraints], [z.id for z in zones]) == (["a", "b"], ["river"])
