"""The hotline on the wire: ``/v1/conflicts/{id}/messages`` and ``/v1/messages``.

Translation only: the rules (who may read or acknowledge, bounds on text and deadline)
live in ``deconflict.hotline``. A message the caller may not see answers 404 on every
route, exactly like an unknown id, so probing ids reveals nothing.

``HotlineRuntime`` wires the hotline for one process: the SQL store, the notifier's
party event log (delivery), the audit log, and the escalation loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api import disclosure
from deconflict.api.errors import error_responses
from deconflict.api.security import require_scopes
from deconflict.audit.entry import AuditEntry
from deconflict.auth.errors import Forbidden
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import InvalidInput
from deconflict.hotline import rules
from deconflict.hotline.escalator import EscalationThread
from deconflict.hotline.events import PartyNotice
from deconflict.hotline.model import Message, MessageQuery, MessageStatus, Role
from deconflict.hotline.service import Hotline
from deconflict.notify.recorder import Notifier
from deconflict.settings import Settings
from deconflict.store.audit import append_audit
from deconflict.store.hotline import SqlTransactions
from deconflict.store.outbox import NewEvent
from deconflict.store.sharing import policy_of
from deconflict.store.sql import SqlStore


class HotlineRuntime:
    """The hotline service and, when configured, its in-process escalation loop."""

    def __init__(self, store: SqlStore, settings: Settings, notifier: Notifier) -> None:
        def deliver(session: object, notices: Sequence[PartyNotice]) -> None:
            events = [NewEvent(n.party, n.kind, orjson.dumps(n.body).decode()) for n in notices]
            notifier.record_events(session, events)

        def audit(session: object, entries: Sequence[AuditEntry]) -> None:
            append_audit(session, entries)

        self.settings = settings.hotline

        def identification(session: object) -> Callable[[str, str], bool]:
            return policy_of(session).may_identify

        self.hotline = Hotline(
            SqlTransactions(store),
            deliver,
            settings.hotline,
            audit=audit,
            identification=identification,
            clock=notifier.clock,
        )
        self.escalator = EscalationThread(self.hotline, settings.hotline.escalation_interval_s)

    def start(self) -> None:
        if self.settings.escalation_in_process:
            self.escalator.start()

    def stop(self) -> None:
        self.escalator.stop()


Sender = Annotated[Principal, Depends(require_scopes(Scope.PLAN, Scope.TRACK))]
Reader = Annotated[
    Principal, Depends(require_scopes(Scope.READ, Scope.PLAN, Scope.TRACK, Scope.ADMIN))
]


ERRORS = error_responses(
    e403="Missing scope, or not the recipient (acknowledgement).",
    e404="No such message or conflict, or not yours.",
)

router = APIRouter(prefix="/v1", tags=["hotline"], responses=ERRORS)


class ConflictMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="What to tell the other side.")
    deadline_s: float | None = Field(
        None, description="Seconds to acknowledge before escalation (default from settings)."
    )


class MessageIn(ConflictMessageIn):
    to: str = Field(description="The party to message.")


def _hotline(request: Request) -> Hotline:
    hotline: Hotline = request.app.state.hotline
    return hotline


def _operator(principal: Principal) -> bool:
    return Scope.ADMIN in principal.scopes


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _view(request: Request, message: Message, principal: Principal) -> dict[str, Any]:
    [one] = _views(request, [message], principal)
    return one


def _views(request: Request, messages: list[Message], principal: Principal) -> list[dict[str, Any]]:
    return _hotline(request).views(principal.sub, messages, operator=_operator(principal))


@router.post("/conflicts/{conflict_id}/messages", status_code=201)
def send_to_conflict(
    conflict_id: str, body: ConflictMessageIn, request: Request, principal: Sender
) -> Response:
    """Message the other side of a conflict (the id from your notice or alert); the
    service finds the recipient, whom you need not and do not learn."""
    message = _hotline(request).send_to_conflict(
        principal.sub, conflict_id, body.text, body.deadline_s
    )
    return _json(201, _view(request, message, principal))


@router.post("/messages", status_code=201)
def send(body: MessageIn, request: Request, principal: Sender) -> Response:
    """Message a named party; it must acknowledge before the deadline or it escalates."""
    message = _hotline(request).send(principal.sub, body.to, body.text, body.deadline_s)
    return _json(201, _view(request, message, principal))


@router.get("/messages")
def list_messages(
    request: Request,
    principal: Reader,
    role: Annotated[Role, Query(description="Sent by you, received, or either.")] = Role.ANY,
    conflict_id: Annotated[str | None, Query(max_length=64)] = None,
    status: MessageStatus | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    everyone: Annotated[
        bool, Query(alias="all", description="Every party's messages (operator only).")
    ] = False,
) -> Response:
    """Your messages, newest first; the operator may list everyone's with ``all=true``."""
    if everyone and not _operator(principal):
        raise Forbidden(f"listing every party's messages needs {Scope.ADMIN.value}")
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since", "needs a time zone (e.g. 2030-07-01T10:00:00Z)")
    if conflict_id is not None and not rules.well_formed_id(conflict_id):
        raise InvalidInput("conflict_id", "must be a conflict id (1-64 characters, no spaces)")
    q = MessageQuery(
        party=None if everyone else principal.sub,
        role=role,
        conflict_id=conflict_id,
        status=status,
        since=since,
        limit=limit,
    )
    found = _hotline(request).messages(q)
    if everyone:
        _record_operator_reads(request, principal, found)
    return _json(200, {"messages": _views(request, found, principal)})


@router.get("/messages/{message_id}")
def get_message(message_id: str, request: Request, principal: Reader) -> Response:
    """A message you sent or received (the operator: any)."""
    message = _hotline(request).get(principal.sub, message_id, operator=_operator(principal))
    if _operator(principal):
        _record_operator_reads(request, principal, [message])
    return _json(200, _view(request, message, principal))


def _record_operator_reads(
    request: Request, principal: Principal, messages: Sequence[Message]
) -> None:
    """The operator reading messages between other parties: recorded for each side
    before the answer leaves, as every disclosure is (``api/disclosure.py``)."""
    objects = (
        (party, "message", m.id, "operator")
        for m in messages
        for party in sorted({m.sender, m.recipient})
    )
    store: SqlStore = request.app.state.store
    disclosure.record(store, disclosure.shown_objects(principal.sub, objects, "messages"))


@router.post("/messages/{message_id}/ack")
def acknowledge(message_id: str, request: Request, principal: Sender) -> Response:
    """Acknowledge a message addressed to you; the sender is told. Repeating is harmless."""
    message = _hotline(request).acknowledge(
        principal.sub, message_id, operator=_operator(principal)
    )
    return _json(200, _view(request, message, principal))
