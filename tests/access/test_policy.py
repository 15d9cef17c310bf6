"""The disclosure rules themselves, with no transport in between."""

from __future__ import annotations

import pytest

from deconflict.access.agreements import Agreement, Agreements, Grant, parse_grants
from deconflict.access.policy import DisclosurePolicy, call_sign
from deconflict.errors import InvalidInput

from ..core.factories import operation, square, volume

NONE = DisclosurePolicy(Agreements())


def test_an_agreement_is_the_same_whichever_party_is_named_first() -> None:
    ag = Agreements([Agreement("zulu", "alpha", frozenset({Grant.OPERATION_IDS}))])
    assert ag.between("alpha", "zulu") == ag.between("zulu", "alpha") == {Grant.OPERATION_IDS}


def test_an_agreement_needs_two_different_parties() -> None:
    with pytest.raises(InvalidInput, match="two different parties"):
        Agreement("alpha", "alpha", frozenset())


def test_an_unknown_grant_is_refused_with_the_valid_ones_listed() -> None:
    with pytest.raises(InvalidInput, match="operation_ids, call_signs"):
        parse_grants(["ids"])


def test_own_operations_are_seen_in_full() -> None:
    view = NONE.operation("alpha", operation("a1", volume(square(0, 0)), party="alpha"))
    assert view.full and view.details


def test_without_an_agreement_others_are_plain_references() -> None:
    view = NONE.operation("beta", operation("a1", volume(square(0, 0)), party="alpha"))
    assert (view.full, view.operation_id, view.call_sign, view.details) == (
        False,
        False,
        False,
        False,
    )


def test_an_agreement_binds_only_its_own_pair() -> None:
    policy = DisclosurePolicy(
        Agreements([Agreement("alpha", "beta", frozenset({Grant.OPERATION_IDS}))])
    )
    op = operation("a1", volume(square(0, 0)), party="alpha")
    assert policy.operation("beta", op).operation_id
    assert not policy.operation("gamma", op).operation_id


def test_details_imply_the_call_sign_but_not_the_operation_id() -> None:
    policy = DisclosurePolicy(Agreements([Agreement("alpha", "beta", frozenset({Grant.DETAILS}))]))
    view = policy.operation("beta", operation("a1", volume(square(0, 0)), party="alpha"))
    assert view.details and view.call_sign and not view.operation_id and not view.full


def test_the_operator_sees_everything() -> None:
    policy = DisclosurePolicy(Agreements(), operators=frozenset({"ops"}))
    assert policy.operation("ops", operation("a1", volume(square(0, 0)), party="alpha")).full


def test_telemetry_of_others_only_in_conflict_or_off_nominal() -> None:
    seen = NONE.may_see_telemetry
    assert not seen("beta", "alpha", in_conflict_with_viewer=False, off_nominal=False)
    assert seen("beta", "alpha", in_conflict_with_viewer=True, off_nominal=False)
    assert seen("beta", "alpha", in_conflict_with_viewer=False, off_nominal=True)


def test_a_telemetry_agreement_shows_tracks_at_all_times() -> None:
    policy = DisclosurePolicy(
        Agreements([Agreement("alpha", "beta", frozenset({Grant.TELEMETRY}))])
    )
    assert policy.may_see_telemetry(
        "beta", "alpha", in_conflict_with_viewer=False, off_nominal=False
    )


def test_a_call_sign_is_read_under_either_spelling() -> None:
    assert call_sign({"call_sign": "EAGLE1"}) == call_sign({"callsign": "EAGLE1"}) == "EAGLE1"
    assert call_sign({"call_sign": 7}) is None
