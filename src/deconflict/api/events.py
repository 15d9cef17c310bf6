"""The party event stream (``/v1/events`` SSE, ``/v1/stream`` WebSocket) and, for
operators, the notification outbox (``/v1/notifications``).

A party is the token's ``sub`` and reads only its own log: the log holds nothing but
events addressed to that party (its operations, conflict notices about its volumes),
so there is no filtering step that could leak. Event ids are per-party sequence
numbers; ``Last-Event-ID`` (or ``after``) resumes right after the last one seen.

Takes the store, the party bus (early wake-ups) and ``settings.notify`` from the app's
``Services`` (``deconflict.api.deps``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, RootModel
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from deconflict.api import deps
from deconflict.api.deps import AppServices, Store
from deconflict.api.native import ERRORS
from deconflict.api.native_schema import body as json_body
from deconflict.api.openapi_doc import WebSocketDoc, schema_ref
from deconflict.api.security import (
    TOKEN_EXPIRED,
    require_scopes,
    seconds_left,
    websocket_principal,
)
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import AuthError, InvalidInput
from deconflict.model.numbers import INT64_MAX
from deconflict.model.times import rfc3339
from deconflict.notify.stream import StreamItem, party_stream
from deconflict.service.services import Services
from deconflict.store import outbox
from deconflict.store.codec import from_us, to_us
from deconflict.store.sql import SqlStore

Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN))]
Operator = Annotated[Principal, Depends(require_scopes(Scope.ADMIN))]

KEEPALIVE_S = 15.0
WS_POLICY_VIOLATION = 1008

router = APIRouter(prefix="/v1", tags=["events"], responses=ERRORS)


# ------------------------------------------------------------ the stream's items

EVENT_KINDS = """What happened; `data` is that kind's body. The kinds:
`operation.created`, `operation.updated`, `operation.state_changed`, `operation.deleted`
(your operations); `conflict.notice` (another operation overlaps one of yours; where and
when, the other side only under an agreement); `constraint.*` and `zone.*` (airspace
that concerns you); `alert.new`, `alert.updated`, `alert.acknowledged`, `alert.resolved`
and `conformance.notice` (tactical); `message.received`, `message.acknowledged`,
`message.escalated` (the hotline); `uss_intent.changed`, `uss_intent.deleted`,
`uss_constraint.changed`, `uss_constraint.deleted` (an F3548 USS's plan meets one of
your operations). Clients must ignore kinds they do not know."""


class PartyEvent(BaseModel):
    """One event of the caller's log (SSE: the ``data`` of an event whose ``id`` and
    ``event`` fields repeat ``id`` and ``kind``)."""

    model_config = ConfigDict(extra="allow")
    id: int = Field(description="Per-party sequence number; resume after it.")
    kind: str = Field(description=EVENT_KINDS)
    time: datetime = Field(description="When the event was recorded.")
    data: dict[str, Any] = Field(description="The kind's body (docs/tactical.md, docs/dss.md).")


class StreamGap(BaseModel):
    """Events asked for were purged (older than the retention time): the stream says so
    instead of skipping them silently (SSE: an event ``stream.gap`` without ``id``)."""

    kind: Literal["stream.gap"]
    first_missing: int
    next: int = Field(description="The id of the next event sent.")


class StreamExpired(BaseModel):
    """The last SSE event (``event: expired``) of a stream whose token expired;
    reconnect with a new token and ``Last-Event-ID``."""

    reason: str


class StreamMessage(RootModel[PartyEvent | StreamGap]):
    """One message of ``/v1/stream``: an event, or a gap notice."""


SSE_DESCRIPTION = """Server-Sent Events (text/event-stream), UTF-8. First `retry: 1000`;
then, for each event, `id: <id>`, `event: <kind>` and `data: <PartyEvent as JSON>`;
`event: stream.gap` (data: StreamGap, no id) when events asked for were purged;
`: keepalive` comments every 15 s while idle; and, when the token expires,
`event: expired` (data: StreamExpired) before the stream ends. With `follow=false` the
stream ends once caught up."""


def _poll_s(services: Services) -> float:
    """How often a stream reads the log when no publication woke it (a commit on
    another replica reaches this one's bus only through the database)."""
    return services.settings.notify.poll_interval_s * 2.5


EVENT_ID_RULE = f"must be an event id (an integer from 0 to {INT64_MAX})"


def _event_id(text: str, field: str) -> int:
    """An event id from a header or query string: ASCII digits (``str.isdigit`` also
    admits '²'), and no larger than the store's 64-bit ids (a 20-digit id overflowed)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > INT64_MAX:
        raise InvalidInput(field, EVENT_ID_RULE)
    return int(text)


def _resume_point(after: int | None, last_event_id: str | None) -> int:
    """``after`` wins; otherwise the SSE reconnection header; otherwise the beginning."""
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return 0
    return _event_id(last_event_id, "Last-Event-ID")


def _latest(store: SqlStore, party: str) -> int:
    """The id of the party's newest stored event (0 when it has none)."""
    return store.run(lambda s: outbox.last_seq(s.conn, party), write=False)


EXPIRED_EVENT = b"event: expired\ndata: " + orjson.dumps({"reason": TOKEN_EXPIRED}) + b"\n\n"
"""The last event of a stream whose token expired; the client reconnects with a new one."""


def _expired(principal: Principal) -> bool:
    left = seconds_left(principal)
    return left is not None and left <= 0


def _wait_s(principal: Principal, follow: bool) -> float | None:
    """How long to wait for the next item: until a keep-alive is due or the token ends."""
    left = seconds_left(principal)
    wait = KEEPALIVE_S if follow else None
    if left is None:
        return wait
    return max(0.0, left) if wait is None else max(0.0, min(wait, left))


def _sse(item: StreamItem) -> bytes:
    head = f"id: {item.id}\n" if item.id is not None else ""
    return f"{head}event: {item.kind}\ndata: {item.json()}\n\n".encode()


@router.get(
    "/events",
    # In the document, but left out of the schema fuzzing (tests/e2e/native): a
    # followed stream never ends, and a fuzzer would wait on it forever.
    response_class=StreamingResponse,
    responses={
        200: {
            "description": SSE_DESCRIPTION,
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string", "description": SSE_DESCRIPTION},
                    # OpenAPI 3.2's name for the schema of each item of a stream.
                    "itemSchema": {
                        "anyOf": [
                            schema_ref(PartyEvent),
                            schema_ref(StreamGap),
                            schema_ref(StreamExpired),
                        ]
                    },
                }
            },
        }
    },
)
async def events(
    request: Request,
    principal: Reader,
    after: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="Resume after this event id.")
    ] = None,
    follow: Annotated[
        bool, Query(description="Keep the stream open for new events (false: catch up, end).")
    ] = True,
    latest: Annotated[
        bool,
        Query(
            description="Start after the newest stored event rather than replaying the "
            "retained log (for a client that has just loaded the current state); "
            "`after` and `Last-Event-ID` win over it."
        ),
    ] = False,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Your events as Server-Sent Events: your operations' changes and conflict notices.

    Reconnect with ``Last-Event-ID`` (browsers do it by themselves) to get what you
    missed; events are kept for the configured retention time.
    """
    start = _resume_point(after, last_event_id)
    services = deps.services(request)
    if latest and after is None and not (last_event_id or "").strip():
        start = await run_in_threadpool(_latest, services.store, principal.sub)

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        stream = party_stream(
            services.store,
            services.party_bus,
            principal.sub,
            start,
            follow=follow,
            poll_s=_poll_s(services),
        )
        pending: asyncio.Future[StreamItem] | None = None
        try:
            while True:
                if _expired(principal):
                    yield EXPIRED_EVENT
                    return
                if pending is None:
                    pending = asyncio.ensure_future(anext(stream))
                done, _ = await asyncio.wait({pending}, timeout=_wait_s(principal, follow))
                if not done:
                    if not _expired(principal):
                        # Proxies close streams that stay silent; a comment keeps it open.
                        yield b": keepalive\n\n"
                    continue
                task, pending = pending, None
                try:
                    item = task.result()
                except StopAsyncIteration:
                    return
                yield _sse(item)
        finally:
            # A client leaving cancels this body inside Starlette's cancel scope, which
            # cancels every await here again: shielded, the running step is waited out
            # before the generator is closed. Closing it while that step still ran
            # logged ``aclose(): asynchronous generator is already running`` with a long
            # traceback on every console disconnect.
            with anyio.CancelScope(shield=True):
                if pending is not None:
                    pending.cancel()
                    await asyncio.wait({pending})
                await stream.aclose()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


STREAM_DOC = WebSocketDoc(
    path="/v1/stream",
    summary="Your events over a WebSocket",
    description="The events of `/v1/events`, one JSON text message each (a PartyEvent, "
    "or a StreamGap when events asked for were purged); resume with `?after=<id>`. "
    "Messages the client sends are ignored. Needs `deconflict.read` or "
    "`deconflict.plan`; a bad token or `after` closes the handshake with code 1008, "
    "and the socket closes with 1008 `token expired` when the token does.",
    tag="events",
    sends=StreamMessage,
    query=(
        (
            "after",
            "Resume after this event id.",
            {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
        ),
    ),
)
"""``/v1/stream`` in the OpenAPI document (``api/openapi_doc.py``)."""

STREAMED_MODELS = (PartyEvent, StreamGap, StreamExpired)
"""The items of ``/v1/events``, which no route returns as a JSON body."""


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    """Your events as JSON messages (the SSE payloads); resume with ``?after=<id>``."""
    try:
        principal = await run_in_threadpool(websocket_principal, websocket, Scope.READ, Scope.PLAN)
        start = _resume_point(_int_param(websocket.query_params.get("after")), None)
    except (AuthError, InvalidInput) as exc:
        await websocket.close(code=WS_POLICY_VIOLATION, reason=str(exc)[:120])
        return
    await websocket.accept()
    services = deps.services(websocket)
    items = party_stream(
        services.store, services.party_bus, principal.sub, start, poll_s=_poll_s(services)
    )

    async with anyio.create_task_group() as group:

        async def pump() -> None:
            try:
                async for item in items:
                    await websocket.send_text(item.json())
            except (WebSocketDisconnect, RuntimeError):
                pass  # the client went away mid-send
            group.cancel_scope.cancel()

        async def watch() -> None:
            # Clients send nothing meaningful; reading is how a disconnect is noticed.
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
            group.cancel_scope.cancel()

        async def expire() -> None:
            left = seconds_left(principal)
            if left is None:
                return
            await anyio.sleep(max(0.0, left))
            with anyio.CancelScope(shield=True):
                await websocket.close(code=WS_POLICY_VIOLATION, reason=TOKEN_EXPIRED)
            group.cancel_scope.cancel()

        group.start_soon(pump)
        group.start_soon(watch)
        group.start_soon(expire)
    await items.aclose()


def _int_param(value: str | None) -> int | None:
    return None if value is None else _event_id(value, "after")


# ------------------------------------------------------------------ operators


def _notification_json(r: outbox.OutboxRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status.value,
        "kind": r.kind,
        "entity_id": r.entity_id,
        "url": r.url,
        "attempts": r.attempts,
        "created": rfc3339(from_us(r.created_us)),
        "next_attempt": rfc3339(from_us(r.next_attempt_us)),
        "finished": rfc3339(from_us(r.finished_us)) if r.finished_us is not None else None,
        "last_error": r.last_error,
        "body": orjson.loads(r.body),
    }


class NotificationOut(BaseModel):
    """A USS notification in the outbox, as the operator sees it."""

    model_config = ConfigDict(extra="allow")
    id: int
    status: outbox.OutboxStatus
    kind: str
    entity_id: str
    url: str
    attempts: int
    created: datetime
    next_attempt: datetime
    finished: datetime | None
    last_error: str | None
    body: Any = Field(description="The JSON the notification carries.")


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]


class RequeuedOut(BaseModel):
    requeued: int = Field(description="How many dead letters were queued again.")


@router.get("/notifications", responses={200: json_body(NotificationsOut, "Oldest first, a page.")})
def notifications(
    store: Store,
    principal: Operator,
    failed: Annotated[bool, Query(description="Only dead letters.")] = False,
    status: Annotated[outbox.OutboxStatus | None, Query()] = None,
    after: Annotated[int, Query(ge=0, description="Page after this notification id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """USS notifications in the outbox; ``failed=true`` lists the dead letters."""
    wanted = outbox.OutboxStatus.FAILED if failed else status
    rows = store.run(lambda s: outbox.list_notifications(s.conn, wanted, after, limit), write=False)
    body = {"notifications": [_notification_json(r) for r in rows]}
    return Response(orjson.dumps(body), media_type="application/json")


class RetryIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=10_000)


@router.post("/notifications:retry", responses={200: json_body(RequeuedOut, "Queued again.")})
def retry(body: RetryIn, services: AppServices, principal: Operator) -> Response:
    """Queue dead letters again (after the receiver is fixed); returns how many."""
    now_us = to_us(datetime.now(UTC))
    count = services.store.run(lambda s: outbox.retry_failed(s.conn, body.ids, now_us))
    services.wake_delivery()
    return Response(orjson.dumps({"requeued": count}), media_type="application/json")
