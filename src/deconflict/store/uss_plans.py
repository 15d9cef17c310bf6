"""What native parties were last told of a USS's operational intent.

A USS intent reaches a native party twice over when the USS plans through this
service's own DSS: the DSS sees the change itself, and the USS then POSTs its F3548
notification to the service, a subscriber there. A deletion notified by a USS carries
no volumes, so the parties to tell are those told of the intent before. Both answers
are in the party event logs, so they are read from there rather than kept twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, or_, select

from deconflict.store.schema_event_queue import party_events_pending
from deconflict.store.schema_notify import party_events

CHANGED = ".changed"
DELETED = ".deleted"
EVENT_KINDS = {"operational_intent_id": "uss_intent", "constraint_id": "uss_constraint"}
"""The party events that tell of a USS's entity, by the field naming its F3548 id."""


@dataclass(frozen=True)
class Told:
    """The newest event a party got about one of its operations and a USS intent."""

    party: str
    operation_id: str
    deleted: bool
    version: int


def last_told(conn: Connection, id_field: str, entity_id: str) -> list[Told]:
    """Per party and operation, the newest event about the USS entity whose F3548 id
    (``id_field``: ``operational_intent_id`` or ``constraint_id``) is ``entity_id``,
    sequenced or still queued, oldest first."""
    prefix = EVENT_KINDS[id_field]
    kinds = (prefix + CHANGED, prefix + DELETED)
    pattern = f'%"{id_field}":{orjson.dumps(entity_id).decode()}%'
    newest: dict[tuple[str, str], Told] = {}
    for table, order in ((party_events, party_events.c.seq), (party_events_pending, None)):
        query = select(table.c.party, table.c.kind, table.c.body).where(
            or_(*(table.c.kind == k for k in kinds)), table.c.body.like(pattern)
        )
        query = query.order_by(order if order is not None else table.c.id)
        for party, kind, body in conn.execute(query):
            data: dict[str, Any] = orjson.loads(body)
            if data.get(id_field) != entity_id:
                continue
            key = (party, str(data.get("operation_id")))
            newest.pop(key, None)  # keep insertion order = newest last
            newest[key] = Told(party, key[1], kind == kinds[1], int(data.get("version") or 0))
    return list(newest.values())


def standing(conn: Connection, party: str) -> list[dict[str, Any]]:
    """The USS plans ``party`` was told of and not told are gone: per entity and
    operation, the body of the newest ``*.changed`` event, in the order told."""
    kinds = [p + k for p in EVENT_KINDS.values() for k in (CHANGED, DELETED)]
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for table, order in ((party_events, party_events.c.seq), (party_events_pending, None)):
        query = select(table.c.kind, table.c.body).where(
            table.c.party == party, or_(*(table.c.kind == k for k in kinds))
        )
        query = query.order_by(order if order is not None else table.c.id)
        for kind, body in conn.execute(query):
            data: dict[str, Any] = orjson.loads(body)
            prefix = kind.partition(".")[0]
            field = next(f for f, p in EVENT_KINDS.items() if p == prefix)
            key = (f"{prefix}:{data.get(field)}", str(data.get("operation_id")))
            current.pop(key, None)
            if kind.endswith(CHANGED):
                current[key] = {"kind": prefix, **data}
    return list(current.values())
