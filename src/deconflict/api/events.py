"""The party event stream (``/v1/events`` SSE, ``/v1/stream`` WebSocket) and, for
operators, the notification outbox (``/v1/notifications``).

A party is the token's ``sub`` and reads only its own log: the log holds nothing but
events addressed to that party (its operations, conflict notices about its volumes),
so there is no filtering step that could leak. Event ids are per-party sequence
numbers; ``Last-Event-ID`` (or ``after``) resumes right after the last one seen.

Reads from ``app.state``: ``store``, ``token_verifier``, and optionally ``party_bus``
(early wake-ups) and ``settings.notify``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from deconflict.api.native import ERRORS
from deconflict.api.security import require_scopes, websocket_principal
from deconflict.auth.errors import AuthError
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import InvalidInput
from deconflict.model.times import rfc3339
from deconflict.notify.stream import PartyBus, StreamItem, party_stream
from deconflict.store import outbox
from deconflict.store.codec import from_us, to_us
from deconflict.store.sql import SqlStore

Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN))]
Operator = Annotated[Principal, Depends(require_scopes(Scope.ADMIN))]

KEEPALIVE_S = 15.0
WS_POLICY_VIOLATION = 1008

router = APIRouter(prefix="/v1", tags=["events"], responses=ERRORS)


def _store(app: Any) -> SqlStore:
    store: SqlStore = app.state.store
    return store


def _bus(app: Any) -> PartyBus | None:
    bus = getattr(app.state, "party_bus", None)
    return bus if isinstance(bus, PartyBus) else None


def _poll_s(app: Any) -> float:
    settings = getattr(app.state, "settings", None)
    notify = getattr(settings, "notify", None)
    return float(getattr(notify, "poll_interval_s", 0.25)) * 2.5


def _resume_point(after: int | None, last_event_id: str | None) -> int:
    """``after`` wins; otherwise the SSE reconnection header; otherwise the beginning."""
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return 0
    text = last_event_id.strip()
    if not text.isdigit():
        raise InvalidInput("Last-Event-ID", "must be an event id (a non-negative integer)")
    return int(text)


def _latest(app: Any, party: str) -> int:
    """The id of the party's newest stored event (0 when it has none)."""
    return _store(app).run(lambda s: outbox.last_seq(s.conn, party), write=False)


def _sse(item: StreamItem) -> bytes:
    head = f"id: {item.id}\n" if item.id is not None else ""
    return f"{head}event: {item.kind}\ndata: {item.json()}\n\n".encode()


@router.get(
    "/events",
    # Out of the OpenAPI document: an endless text/event-stream cannot be described
    # there, and schema fuzzers would wait on it forever.
    include_in_schema=False,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def events(
    request: Request,
    principal: Reader,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id.")] = None,
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
    app = request.app
    if latest and after is None and not (last_event_id or "").strip():
        start = await run_in_threadpool(_latest, app, principal.sub)

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        stream = party_stream(
            _store(app), _bus(app), principal.sub, start, follow=follow, poll_s=_poll_s(app)
        )
        pending: asyncio.Future[StreamItem] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(stream))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_S if follow else None)
                if not done:
                    # Proxies close streams that stay silent; a comment line keeps it open.
                    yield b": keepalive\n\n"
                    continue
                task, pending = pending, None
                try:
                    item = task.result()
                except StopAsyncIteration:
                    return
                yield _sse(item)
        finally:
            if pending is not None:
                pending.cancel()
            await stream.aclose()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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
    app = websocket.app
    items = party_stream(_store(app), _bus(app), principal.sub, start, poll_s=_poll_s(app))

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

        group.start_soon(pump)
        group.start_soon(watch)
    await items.aclose()


def _int_param(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise InvalidInput("after", "must be an event id (a non-negative integer)")
    return int(value)


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


@router.get("/notifications")
def notifications(
    request: Request,
    principal: Operator,
    failed: Annotated[bool, Query(description="Only dead letters.")] = False,
    status: Annotated[outbox.OutboxStatus | None, Query()] = None,
    after: Annotated[int, Query(ge=0, description="Page after this notification id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """USS notifications in the outbox; ``failed=true`` lists the dead letters."""
    wanted = outbox.OutboxStatus.FAILED if failed else status
    rows = _store(request.app).run(
        lambda s: outbox.list_notifications(s.conn, wanted, after, limit), write=False
    )
    body = {"notifications": [_notification_json(r) for r in rows]}
    return Response(orjson.dumps(body), media_type="application/json")


class RetryIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=10_000)


@router.post("/notifications:retry")
def retry(body: RetryIn, request: Request, principal: Operator) -> Response:
    """Queue dead letters again (after the receiver is fixed); returns how many."""
    now_us = to_us(datetime.now(UTC))
    count = _store(request.app).run(lambda s: outbox.retry_failed(s.conn, body.ids, now_us))
    wake = getattr(request.app.state, "notify_wake", None)
    if callable(wake):
        wake()
    return Response(orjson.dumps({"requeued": count}), media_type="application/json")
