"""The F3548 wire to the DSS's records and back, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconflict.dss.records import (
    NO_OVN_PHRASE,
    NULL_SUBSCRIPTION_ID,
    IntentRef,
    UssAvailability,
)
from deconflict.dss.wire import convert
from deconflict.dss.wire import models as w
from deconflict.errors import BadRequest
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState


def test_times_are_read_in_any_offset_to_the_microsecond_and_written_in_utc() -> None:
    sent = w.Time(value="2026-12-05T14:30:00.123456789+01:30", format="RFC3339")
    read = convert.parse_time(sent, "time_start")
    assert read == datetime(2026, 12, 5, 13, 0, 0, 123456, tzinfo=UTC)
    assert read is not None
    assert convert.format_time(read).value == "2026-12-05T13:00:00.123456Z"


def test_a_time_is_written_with_the_shortest_exact_fraction_and_four_year_digits() -> None:
    assert convert.format_time(datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)).value == (
        "2026-01-02T03:04:05.5Z"
    )
    assert convert.format_time(datetime(999, 1, 1, tzinfo=UTC)).value == "0999-01-01T00:00:00Z"


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00Z", "2026-12-05T10:00:00"])
def test_a_time_that_is_not_rfc_3339_is_a_400_naming_the_field(text: str) -> None:
    with pytest.raises(BadRequest, match=r"^extents\[0\]\.time_end\.value: "):
        convert.parse_time(w.Time(value=text, format="RFC3339"), "extents[0].time_end")


def test_an_extent_with_both_outlines_is_a_400_naming_the_volume() -> None:
    volume = w.Volume4D.model_validate(
        {
            "volume": {
                "outline_circle": {
                    "center": {"lng": 7, "lat": 46},
                    "radius": {"value": 10, "units": "M"},
                },
                "outline_polygon": {"vertices": [{"lng": 7, "lat": 46}] * 3},
            }
        }
    )
    with pytest.raises(BadRequest, match=r"^extents\[2\]\.volume: give outline_circle"):
        convert.extent(volume, "extents[2]")


def _intent(subscription_id: str | None) -> IntentRef:
    start = datetime(2026, 12, 5, 10, tzinfo=UTC)
    return IntentRef(
        id="2f1f3b8e-1c9a-4d1b-9a8e-0c3f5d6a7b8c",
        manager="uss-alpha",
        version=3,
        state=OperationState.ACCEPTED,
        ovn="the-ovn",
        uss_base_url="https://alpha.example/utm",
        subscription_id=subscription_id,
        time_start=start,
        time_end=start.replace(hour=11),
        uss_availability=UssAvailability.NORMAL,
        volumes=(),
    )


def test_only_the_manager_sees_an_intents_ovn() -> None:
    ref = _intent("9b2c4c5e-7c2e-4e57-8d1e-3a7f0f1e2d3c")
    assert convert.intent_ref(ref, "uss-alpha").ovn == "the-ovn"
    assert convert.intent_ref(ref, "uss-beta").ovn == NO_OVN_PHRASE


def test_an_intent_without_a_subscription_has_the_null_subscription_id() -> None:
    assert convert.intent_ref(_intent(None), "uss-alpha").subscription_id == NULL_SUBSCRIPTION_ID


def test_a_query_without_an_area_leaves_the_area_to_the_service() -> None:
    assert convert.area(None) is None
    circle = {
        "outline_circle": {"center": {"lng": 7, "lat": 46}, "radius": {"value": 10, "units": "M"}}
    }
    area = convert.area(w.Volume4D.model_validate({"volume": circle}))
    assert area is not None and area.footprint == Circle(7, 46, 10)
    assert area.start is None and area.altitude_lower_m is None
