"""The hotline on the wire: ``/v1/conflicts/{id}/messages`` and ``/v1/messages``.

Translation only: the rules (who may read or acknowledge, bounds on text and deadline)
live in ``deconflict.hotline``. A message the caller may not see answers 404 on every
route, exactly like an unknown id, so probing ids reveals nothing. The hotline itself
is wired in ``deconflict.service.hotline_parts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api import disclosure
from deconflict.api.deps import HotlineDep, Store
from deconflict.api.native_schema import MessageListOut, MessageOut, body
from deconflict.api.problems import error_responses
from deconflict.api.security import require_scopes
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import Forbidden, InvalidInput
from deconflict.hotline import rules
from deconflict.hotline.model import Message, MessageQuery, MessageStatus, Role
from deconflict.hotline.service import Hotline
from deconflict.store.sql import SqlStore

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


def _operator(principal: Principal) -> bool:
    return Scope.ADMIN in principal.scopes


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _view(hotline: Hotline, message: Message, principal: Principal) -> dict[str, Any]:
    [one] = _views(hotline, [message], principal)
    return one


def _views(hotline: Hotline, messages: list[Message], principal: Principal) -> list[dict[str, Any]]:
    return hotline.views(principal.sub, messages, operator=_operator(principal))


@router.post(
    "/conflicts/{conflict_id}/messages",
    status_code=201,
    responses={201: body(MessageOut, "Sent.")},
)
def send_to_conflict(
    conflict_id: str, body: ConflictMessageIn, hotline: HotlineDep, principal: Sender
) -> Response:
    """Message the other side of a conflict (the id from your notice or alert); the
    service finds the recipient, whom you need not and do not learn."""
    message = hotline.send_to_conflict(principal.sub, conflict_id, body.text, body.deadline_s)
    return _json(201, _view(hotline, message, principal))


@router.post("/messages", status_code=201, responses={201: body(MessageOut, "Sent.")})
def send(body: MessageIn, hotline: HotlineDep, principal: Sender) -> Response:
    """Message a named party; it must acknowledge before the deadline or it escalates."""
    message = hotline.send(principal.sub, body.to, body.text, body.deadline_s)
    return _json(201, _view(hotline, message, principal))


@router.get("/messages", responses={200: body(MessageListOut, "Yours, newest first.")})
def list_messages(
    hotline: HotlineDep,
    store: Store,
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
    found = hotline.messages(q)
    if everyone:
        _record_operator_reads(store, principal, found)
    return _json(200, {"messages": _views(hotline, found, principal)})


@router.get("/messages/{message_id}", responses={200: body(MessageOut, "The message.")})
def get_message(message_id: str, hotline: HotlineDep, store: Store, principal: Reader) -> Response:
    """A message you sent or received (the operator: any)."""
    message = hotline.get(principal.sub, message_id, operator=_operator(principal))
    if _operator(principal):
        _record_operator_reads(store, principal, [message])
    return _json(200, _view(hotline, message, principal))


def _record_operator_reads(
    store: SqlStore, principal: Principal, messages: Sequence[Message]
) -> None:
    """The operator reading messages between other parties: recorded for each side
    before the answer leaves, as every disclosure is (``api/disclosure.py``)."""
    objects = (
        (party, "message", m.id, "operator")
        for m in messages
        for party in sorted({m.sender, m.recipient})
    )
    disclosure.record(store, disclosure.shown_objects(principal.sub, objects, "messages"))


@router.post("/messages/{message_id}/ack", responses={200: body(MessageOut, "Acknowledged.")})
def acknowledge(message_id: str, hotline: HotlineDep, principal: Sender) -> Response:
    """Acknowledge a message addressed to you; the sender is told. Repeating is harmless."""
    message = hotline.acknowledge(principal.sub, message_id, operator=_operator(principal))
    return _json(200, _view(hotline, message, principal))
