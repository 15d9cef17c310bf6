"""The hotline's rules, without a store: sides, readers, bounds and what a view names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deconflict.errors import InvalidInput
from deconflict.hotline import events, rules
from deconflict.hotline.ids import opaque_id
from deconflict.hotline.model import ConflictKind, ConflictSides, Message, MessageStatus
from deconflict.settings import HotlineSettings

T0 = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
SETTINGS = HotlineSettings()
CONFLICT = ConflictSides("c-1", ConflictKind.STRATEGIC, "alpha", "beta", "a1", "b1", T0)


def message(conflict_id: str | None = "c-1", **changes: object) -> Message:
    values: dict[str, object] = {
        "id": "m-1",
        "conflict_id": conflict_id,
        "sender": "alpha",
        "recipient": "beta",
        "text": "climbing to 150 m",
        "created": T0,
        "deadline": T0 + timedelta(seconds=120),
    }
    values.update(changes)
    return Message(**values)  # type: ignore[arg-type]


def test_the_other_side_of_a_conflict_is_resolved_from_either_side() -> None:
    assert rules.other_side(CONFLICT, "alpha") == "beta"
    assert rules.other_side(CONFLICT, "beta") == "alpha"


def test_a_conflict_one_is_not_a_side_of_looks_like_no_conflict_at_all() -> None:
    with pytest.raises(rules.UnknownConflict) as outsider:
        rules.other_side(CONFLICT, "gamma")
    with pytest.raises(rules.UnknownConflict) as unknown:
        rules.other_side(None, "gamma")
    assert str(outsider.value) == str(unknown.value)


def test_only_the_two_parties_and_the_operator_may_read_a_message() -> None:
    m = message()
    assert rules.may_read(m, "alpha", operator=False)
    assert rules.may_read(m, "beta", operator=False)
    assert not rules.may_read(m, "gamma", operator=False)
    assert rules.may_read(m, "gamma", operator=True)


def test_only_the_recipient_may_acknowledge() -> None:
    rules.check_acknowledger(message(), "beta")
    with pytest.raises(rules.NotRecipient):
        rules.check_acknowledger(message(), "alpha")


def test_the_deadline_defaults_from_settings_and_is_bounded() -> None:
    assert rules.deadline_of(T0, None, SETTINGS) == T0 + timedelta(seconds=120)
    assert rules.deadline_of(T0, 30, SETTINGS) == T0 + timedelta(seconds=30)
    for bad in (SETTINGS.min_deadline_s - 1, SETTINGS.max_deadline_s + 1):
        with pytest.raises(InvalidInput) as err:
            rules.deadline_of(T0, bad, SETTINGS)
        assert err.value.field == "deadline_s"


def test_text_must_be_non_empty_and_bounded() -> None:
    assert rules.message_text("  hold west  ", SETTINGS) == "hold west"
    for bad in ("   ", "x" * (SETTINGS.max_text_chars + 1)):
        with pytest.raises(InvalidInput) as err:
            rules.message_text(bad, SETTINGS)
        assert err.value.field == "text"


def test_a_general_message_needs_another_party_as_recipient() -> None:
    assert rules.recipient_named("alpha", "beta") == "beta"
    for bad in ("alpha", "", "two words"):
        with pytest.raises(InvalidInput):
            rules.recipient_named("alpha", bad)


def test_a_message_is_due_from_its_deadline_until_acknowledged_or_escalated() -> None:
    m = message()
    assert not rules.is_due(m, m.deadline - timedelta(microseconds=1))
    assert rules.is_due(m, m.deadline)
    assert not rules.is_due(message(acknowledged_at=T0), m.deadline)
    assert not rules.is_due(message(escalated_at=m.deadline), m.deadline)


def test_status_prefers_acknowledged_over_escalated() -> None:
    assert message().status is MessageStatus.AWAITING
    assert message(escalated_at=T0).status is MessageStatus.ESCALATED
    assert message(escalated_at=T0, acknowledged_at=T0).status is MessageStatus.ACKNOWLEDGED


def test_a_conflict_message_names_neither_counterpart_to_the_parties() -> None:
    m = message()
    assert (events.view(m, "alpha")["from"], events.view(m, "alpha")["to"]) == ("alpha", None)
    assert (events.view(m, "beta")["from"], events.view(m, "beta")["to"]) == (None, "beta")
    operator = events.view(m, "operator", operator=True)
    assert (operator["from"], operator["to"]) == ("alpha", "beta")


def test_a_general_message_names_both_parties() -> None:
    m = message(conflict_id=None)
    assert (events.view(m, "beta")["from"], events.view(m, "beta")["to"]) == ("alpha", "beta")


def test_an_escalation_tells_the_sender_and_the_operator_but_not_the_recipient() -> None:
    notices = events.on_escalated(message(), "operator")
    assert [(n.party, n.kind) for n in notices] == [
        ("alpha", events.ESCALATED),
        ("operator", events.ESCALATED),
    ]


def test_ids_hold_no_digit_nor_vowel_so_they_never_spell_a_name_or_an_operation_id() -> None:
    text = "".join(opaque_id("") for _ in range(200))
    assert not set(text) & set("0123456789aeiouy")


def test_an_operator_escalation_of_its_own_message_is_told_once() -> None:
    notices = events.on_escalated(message(sender="operator", conflict_id=None), "operator")
    assert [(n.party, n.body["to"]) for n in notices] == [("operator", "beta")]


def test_a_sharing_agreement_lets_a_conflict_message_name_the_counterpart() -> None:
    seen = events.view(message(), "alpha", identify=True)
    assert (seen["from"], seen["to"]) == ("alpha", "beta")
