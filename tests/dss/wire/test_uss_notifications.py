"""The bodies a subscribed USS is sent, built from the DSS's records."""

from __future__ import annotations

from datetime import UTC, datetime

from deconflict.dss.records import ConstraintRef, Extent, IntentRef, UssAvailability
from deconflict.dss.wire import uss_notifications as n
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import OperationState

START = datetime(2026, 12, 5, 10, tzinfo=UTC)
END = datetime(2026, 12, 5, 11, tzinfo=UTC)
VOLUME = Volume4D(Circle(7.0, 46.0, 300.0), AltitudeBand(0.0, 120.0), TimeWindow(START, END))


def _intent(state: OperationState) -> IntentRef:
    return IntentRef(
        id="2f1f3b8e-1c9a-4d1b-9a8e-0c3f5d6a7b8c",
        manager="uss-alpha",
        version=2,
        state=state,
        ovn="the-ovn",
        uss_base_url="https://alpha.example/utm",
        subscription_id=None,
        time_start=START,
        time_end=END,
        uss_availability=UssAvailability.NORMAL,
        volumes=(VOLUME,),
    )


def test_an_intent_body_carries_the_managers_reference_and_its_extents_as_volumes() -> None:
    body = n.with_subscriptions(n.intent_part(_intent(OperationState.ACCEPTED), False), [("s", 7)])
    intent = body["operational_intent"]
    assert intent["reference"]["ovn"] == "the-ovn"
    assert intent["details"]["priority"] == 0
    assert intent["details"]["off_nominal_volumes"] == []
    (volume,) = intent["details"]["volumes"]
    assert volume["volume"]["outline_circle"]["radius"] == {"value": 300.0, "units": "M"}
    assert volume["time_start"] == {"value": "2026-12-05T10:00:00Z", "format": "RFC3339"}
    assert body["subscriptions"] == [{"subscription_id": "s", "notification_index": 7}]


def test_an_off_nominal_intents_extents_are_its_off_nominal_volumes() -> None:
    details = n.intent_part(_intent(OperationState.CONTINGENT), False)["operational_intent"][
        "details"
    ]
    assert details["volumes"] == []
    assert len(details["off_nominal_volumes"]) == 1


def test_a_deletion_names_the_entity_and_omits_it() -> None:
    assert n.intent_part(_intent(OperationState.ACCEPTED), True) == {
        "operational_intent_id": "2f1f3b8e-1c9a-4d1b-9a8e-0c3f5d6a7b8c"
    }


def test_a_constraints_open_altitudes_stay_open_in_its_body() -> None:
    ref = ConstraintRef(
        id="c",
        manager="uss-alpha",
        version=1,
        ovn="o",
        uss_base_url="https://alpha.example/utm",
        time_start=START,
        time_end=END,
        extents=(Extent(footprint=Circle(7.0, 46.0, 300.0), start=START, end=END),),
    )
    (volume,) = n.constraint_part(ref, False)["constraint"]["details"]["volumes"]
    assert set(volume["volume"]) == {"outline_circle"}
    assert volume["time_end"]["value"] == "2026-12-05T11:00:00Z"
