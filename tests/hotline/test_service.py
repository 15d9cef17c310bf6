"""The hotline on a real store (SQLite and PostgreSQL): delivery, acknowledgement,
escalation exactly once, the conflict registry and the audit trail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import inspect

from deconflict.errors import ConflictIdTaken, NotRecipient, UnknownConflict, UnknownMessage
from deconflict.hotline.model import ConflictKind, MessageQuery, MessageStatus, Role
from deconflict.hotline.service import Hotline
from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.hotline import conflict_id_for, register_conflict
from deconflict.store.schema_hotline import hotline_conflicts, hotline_messages
from deconflict.store.sql import SqlStore

from .conftest import Clock, events_of


def conflict(store: SqlStore, a: str = "alpha", b: str = "beta") -> str:
    return store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, (a, f"{a}-op"), (b, f"{b}-op"))
    )


# ------------------------------------------------------------------ the registry


def test_a_pair_of_subjects_keeps_one_conflict_id_in_either_order(store: SqlStore) -> None:
    first = store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, ("alpha", "a1"), ("beta", "b1"))
    )
    again = store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, ("beta", "b1"), ("alpha", "a1"))
    )
    other = store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, ("alpha", "a1"), ("beta", "b2"))
    )
    assert first == again
    assert other != first


def test_a_conflict_id_names_neither_party_nor_subject(store: SqlStore) -> None:
    cid = store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, ("alpha", "kilo"), ("beta", "zulu"))
    )
    assert not any(word in cid for word in ("alpha", "beta", "kilo", "zulu"))


def test_registering_an_id_again_for_the_same_parties_is_harmless(store: SqlStore) -> None:
    for _ in range(2):
        store.run(lambda s: register_conflict(s, "ta-7", "alpha", "beta", "tactical", "t1", "t2"))


def test_an_id_cannot_be_registered_again_for_other_parties(store: SqlStore) -> None:
    store.run(lambda s: register_conflict(s, "ta-7", "alpha", "beta", "tactical"))
    with pytest.raises(ConflictIdTaken):
        store.run(lambda s: register_conflict(s, "ta-7", "alpha", "gamma", "tactical"))


# ----------------------------------------------------------------------- sending


def test_a_conflict_message_goes_to_the_other_side_without_being_named(
    store: SqlStore, hotline: Hotline
) -> None:
    cid = conflict(store)
    sent = hotline.send_to_conflict("beta", cid, "descending to 80 m")
    assert sent.recipient == "alpha"
    [(kind, body)] = events_of(store, "alpha")
    assert kind == "message.received"
    assert body["text"] == "descending to 80 m" and body["conflict_id"] == cid
    assert body["from"] is None


def test_a_party_that_is_not_a_side_cannot_message_a_conflict(
    store: SqlStore, hotline: Hotline
) -> None:
    cid = conflict(store)
    with pytest.raises(UnknownConflict):
        hotline.send_to_conflict("gamma", cid, "hello?")
    with pytest.raises(UnknownConflict):
        hotline.send_to_conflict("alpha", "c-does-not-exist", "hello?")
    assert events_of(store, "alpha") == [] and events_of(store, "beta") == []


def test_the_deadline_is_counted_from_sending(hotline: Hotline, clock: Clock) -> None:
    m = hotline.send("alpha", "beta", "confirm", deadline_s=30)
    assert m.deadline == clock.now + timedelta(seconds=30)


# ------------------------------------------------------------------ acknowledging


def test_the_recipient_acknowledges_and_the_sender_is_told(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm")
    clock.advance(5)
    done = hotline.acknowledge("beta", m.id)
    assert done.status is MessageStatus.ACKNOWLEDGED and done.acknowledged_at == clock.now
    [(kind, body)] = events_of(store, "alpha")
    assert kind == "message.acknowledged" and body["id"] == m.id


def test_the_sender_cannot_acknowledge_its_own_message(hotline: Hotline) -> None:
    m = hotline.send("alpha", "beta", "confirm")
    with pytest.raises(NotRecipient):
        hotline.acknowledge("alpha", m.id)


def test_a_third_party_cannot_acknowledge_nor_learn_that_the_message_exists(
    hotline: Hotline,
) -> None:
    m = hotline.send("alpha", "beta", "confirm")
    with pytest.raises(UnknownMessage):
        hotline.acknowledge("gamma", m.id)
    with pytest.raises(UnknownMessage):
        hotline.get("gamma", m.id)


def test_acknowledging_twice_tells_the_sender_once(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm")
    first = hotline.acknowledge("beta", m.id)
    clock.advance(10)
    assert hotline.acknowledge("beta", m.id).acknowledged_at == first.acknowledged_at
    assert [k for k, _ in events_of(store, "alpha")] == ["message.acknowledged"]


# -------------------------------------------------------------------- escalating


def test_an_unacknowledged_message_escalates_at_its_deadline_to_sender_and_operator(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm", deadline_s=60)
    assert hotline.escalate_due(clock.now + timedelta(seconds=59)) == []
    [escalated] = hotline.escalate_due(clock.now + timedelta(seconds=60))
    assert escalated.id == m.id and escalated.status is MessageStatus.ESCALATED
    assert [k for k, _ in events_of(store, "alpha")] == ["message.escalated"]
    [(kind, body)] = events_of(store, "operator")
    assert kind == "message.escalated"
    assert (body["from"], body["to"], body["id"]) == ("alpha", "beta", m.id)
    assert [k for k, _ in events_of(store, "beta")] == ["message.received"]


def test_an_escalation_fires_only_once(store: SqlStore, hotline: Hotline, clock: Clock) -> None:
    hotline.send("alpha", "beta", "confirm", deadline_s=60)
    assert len(hotline.escalate_due(clock.advance(61))) == 1
    assert hotline.escalate_due(clock.advance(61)) == []
    assert len(events_of(store, "operator")) == 1


def test_a_message_acknowledged_in_time_never_escalates(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm", deadline_s=60)
    clock.advance(59)
    hotline.acknowledge("beta", m.id)
    assert hotline.escalate_due(clock.advance(3600)) == []
    assert events_of(store, "operator") == []


def test_a_late_acknowledgement_is_still_recorded_after_the_escalation(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm", deadline_s=60)
    hotline.escalate_due(clock.advance(61))
    done = hotline.acknowledge("beta", m.id)
    assert done.escalated_at is not None and done.status is MessageStatus.ACKNOWLEDGED
    assert [k for k, _ in events_of(store, "alpha")] == [
        "message.escalated",
        "message.acknowledged",
    ]


def test_escalators_racing_on_several_replicas_escalate_each_message_once(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    for i in range(20):
        hotline.send("alpha", f"party-{i}", "confirm", deadline_s=60)
    at = clock.now + timedelta(seconds=61)
    results: list[int] = []
    start = threading.Barrier(4)

    def replica() -> None:
        start.wait()
        results.append(len(hotline.escalate_due(at)))

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 20
    assert len(events_of(store, "operator")) == 20


def test_escalation_works_through_a_backlog_larger_than_one_batch(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    n = hotline.settings.escalation_batch + 5
    for i in range(n):
        hotline.send("alpha", f"party-{i}", "confirm", deadline_s=60)
    assert len(hotline.escalate_due(clock.advance(61))) == n


# ----------------------------------------------------------------------- listing


def test_a_party_lists_what_it_sent_and_received_and_nothing_else(hotline: Hotline) -> None:
    to_beta = hotline.send("alpha", "beta", "one")
    from_beta = hotline.send("beta", "alpha", "two")
    hotline.send("beta", "gamma", "three")

    def ids(q: MessageQuery) -> set[str]:
        return {m.id for m in hotline.messages(q)}

    assert ids(MessageQuery("alpha")) == {to_beta.id, from_beta.id}
    assert ids(MessageQuery("alpha", role=Role.SENT)) == {to_beta.id}
    assert ids(MessageQuery("alpha", role=Role.RECEIVED)) == {from_beta.id}
    assert len(ids(MessageQuery(None))) == 3


def test_listing_filters_by_status(hotline: Hotline, clock: Clock) -> None:
    acked = hotline.send("alpha", "beta", "one", deadline_s=60)
    hotline.acknowledge("beta", acked.id)
    late = hotline.send("alpha", "beta", "two", deadline_s=60)
    hotline.escalate_due(clock.advance(61))
    waiting = hotline.send("alpha", "beta", "three", deadline_s=60)

    def ids(status: MessageStatus) -> list[str]:
        return [m.id for m in hotline.messages(MessageQuery("alpha", status=status))]

    assert ids(MessageStatus.ACKNOWLEDGED) == [acked.id]
    assert ids(MessageStatus.ESCALATED) == [late.id]
    assert ids(MessageStatus.AWAITING) == [waiting.id]


# -------------------------------------------------------------------------- audit


def test_sending_acknowledging_and_escalating_are_audited(
    store: SqlStore, hotline: Hotline, clock: Clock
) -> None:
    m = hotline.send("alpha", "beta", "confirm", deadline_s=60)
    hotline.escalate_due(clock.advance(61))
    hotline.acknowledge("beta", m.id)
    chain_pending(store)
    about_beta = store.run(lambda s: list(entries_about(s.conn, "beta")), write=False)
    about_alpha = store.run(lambda s: list(entries_about(s.conn, "alpha")), write=False)
    seen = sorted(
        (c.entry.kind, c.entry.actor, c.entry.subject, c.entry.detail["action"])
        for c in about_alpha + about_beta
        if c.entry.object_id == m.id
    )
    assert seen == [
        ("escalation", "operator", "alpha", "escalated"),
        ("escalation", "operator", "beta", "escalated"),
        ("message", "alpha", "beta", "sent"),
        ("message", "beta", "alpha", "acknowledged"),
    ]
    assert all("confirm" not in str(c.entry.detail) for c in about_beta)


def test_migration_0006_creates_the_hotline_tables_the_code_uses(store: SqlStore) -> None:
    found = inspect(store.engine)
    for table in (hotline_conflicts, hotline_messages):
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.c}
        assert {i["name"] for i in found.get_indexes(table.name)} == {i.name for i in table.indexes}
