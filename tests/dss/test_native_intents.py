"""How a native operation looks to F3548 clients: the mapping and its OVN."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from deconflict.core.ports import StoredOperation
from deconflict.dss.native_intents import NativeIdentity, is_shown, native_ovn, native_ref
from deconflict.dss.records import UssAvailability
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState

SECRET = b"s" * 32
INTENT_ID = "0f8e5a1c-3b2d-4c6e-9a7b-1d2e3f4a5b6c"
T0 = datetime(2030, 7, 1, 10, tzinfo=UTC)


def stored(state: OperationState = OperationState.ACCEPTED, version: int = 1) -> StoredOperation:
    volumes = tuple(
        Volume4D(
            Circle(7.0, 45.0, 300.0),
            AltitudeBand(0, 120),
            TimeWindow(T0 + timedelta(minutes=m), T0 + timedelta(minutes=m + 30)),
        )
        for m in (0, 20)
    )
    op = Operation("op-native-1", "army-cell", 5, state, volumes, {"call_sign": "VIPER11"})
    return StoredOperation(op, version, T0, T0)


def test_the_ovn_changes_with_every_version() -> None:
    assert native_ovn(SECRET, INTENT_ID, 1) != native_ovn(SECRET, INTENT_ID, 2)


def test_the_ovn_is_the_same_for_the_same_version_on_every_replica() -> None:
    assert native_ovn(SECRET, INTENT_ID, 3) == native_ovn(bytes(SECRET), INTENT_ID, 3)


def test_the_ovn_cannot_be_computed_without_the_services_secret() -> None:
    assert native_ovn(SECRET, INTENT_ID, 1) != native_ovn(b"t" * 32, INTENT_ID, 1)


def test_the_ovn_is_43_url_safe_characters_like_a_uss_intents() -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", native_ovn(SECRET, INTENT_ID, 1))


def test_the_ovns_of_two_operations_differ_at_the_same_version() -> None:
    other = "1f8e5a1c-3b2d-4c6e-9a7b-1d2e3f4a5b6c"
    assert native_ovn(SECRET, INTENT_ID, 1) != native_ovn(SECRET, other, 1)


def test_every_live_state_is_shown_as_the_f3548_state_of_its_name_and_ended_is_not() -> None:
    shown = [s for s in OperationState if is_shown(s)]
    assert shown == [s for s in OperationState if s is not OperationState.ENDED]
    ref = native_ref(INTENT_ID, stored(OperationState.CONTINGENT), SECRET, NativeIdentity())
    assert ref.state is OperationState.CONTINGENT


def test_the_reference_is_the_services_under_the_f3548_id_never_the_partys() -> None:
    identity = NativeIdentity("the-service", "https://deconflict.example.org")
    ref = native_ref(INTENT_ID, stored(), SECRET, identity)
    assert (ref.id, ref.manager, ref.uss_base_url) == (INTENT_ID, *identity.__dict__.values())
    assert "army-cell" not in repr(ref) and "op-native-1" not in repr(ref)
    assert "VIPER11" not in repr(ref)


def test_the_reference_spans_all_volumes_at_the_operations_version() -> None:
    ref = native_ref(INTENT_ID, stored(version=4), SECRET, NativeIdentity())
    assert (ref.time_start, ref.time_end) == (T0, T0 + timedelta(minutes=50))
    assert (ref.version, ref.ovn) == (4, native_ovn(SECRET, INTENT_ID, 4))
    assert len(ref.volumes) == 2


def test_the_service_is_always_available_and_the_reference_is_marked_native() -> None:
    ref = native_ref(INTENT_ID, stored(), SECRET, NativeIdentity())
    assert (ref.uss_availability, ref.native, ref.subscription_id) == (
        UssAvailability.NORMAL,
        True,
        None,
    )
