"""What the party event logs say native parties were told of USS plans."""

from __future__ import annotations

from typing import Any

import orjson

from deconflict.store import outbox
from deconflict.store.sql import SqlStore
from deconflict.store.uss_plans import Told, last_told, standing


def told(party: str, kind: str, **body: Any) -> outbox.NewEvent:
    return outbox.NewEvent(party, kind, orjson.dumps(body).decode())


def write(store: SqlStore, *events: outbox.NewEvent) -> None:
    store.run(lambda s: outbox.append_events(s.conn, list(events), 0))


def test_the_newest_event_per_party_and_operation_is_what_was_told(store: SqlStore) -> None:
    a = {"operational_intent_id": "i-1"}
    write(
        store,
        told("alpha", "uss_intent.changed", **a, operation_id="op-1", version=1),
        told("alpha", "uss_intent.changed", **a, operation_id="op-2", version=1),
        told("beta", "uss_intent.changed", **a, operation_id="op-9", version=1),
        told("alpha", "operation.created", **a, operation_id="op-1", version=7),
        told("alpha", "uss_intent.changed", operational_intent_id="i-2", operation_id="op-1"),
    )
    write(store, told("alpha", "uss_intent.deleted", **a, operation_id="op-1", version=2))
    found = store.run(lambda s: last_told(s.conn, "operational_intent_id", "i-1"), write=False)
    assert sorted(found, key=lambda t: (t.party, t.operation_id)) == [
        Told("alpha", "op-1", True, 2),
        Told("alpha", "op-2", False, 1),
        Told("beta", "op-9", False, 1),
    ]


def test_the_standing_plans_of_a_party_leave_out_the_deleted_and_other_parties(
    store: SqlStore,
) -> None:
    write(
        store,
        told("alpha", "uss_intent.changed", operational_intent_id="i-1", operation_id="op-1"),
        told("alpha", "uss_intent.changed", operational_intent_id="i-2", operation_id="op-1"),
        told("alpha", "uss_constraint.changed", constraint_id="c-1", operation_id="op-1"),
        told("beta", "uss_intent.changed", operational_intent_id="i-3", operation_id="op-5"),
    )
    write(
        store, told("alpha", "uss_intent.deleted", operational_intent_id="i-1", operation_id="op-1")
    )
    plans = store.run(lambda s: standing(s.conn, "alpha"), write=False)
    assert [(p["kind"], p.get("operational_intent_id") or p["constraint_id"]) for p in plans] == [
        ("uss_intent", "i-2"),
        ("uss_constraint", "c-1"),
    ]
