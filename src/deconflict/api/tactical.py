"""Tactical routes under ``/v1``: position reports in, alerts and traffic out.

Wiring: ``Services.build`` makes the live picture (config from ``settings.tactical``),
and the app includes this router; the routes take the picture from the app's
``Services`` (``deconflict.api.deps``).

The routes only translate: the live picture (``tactical.live``) owns tracks, alerts,
advisories, conformance and need-to-know, so the WebSocket and the REST routes cannot
drift apart in what they reveal. The party is always the token's ``sub``.

When detection runs: synchronously on every ``POST /v1/tracks`` and every WebSocket
message (so the answer already accounts for the caller's own reports), and every
``LiveConfig.pass_interval_s`` on a background task started by this router's lifespan,
so that silent tracks go stale, alerts of silent pairs resolve and an aircraft last seen
outside its volumes escalates to Contingent even when nobody posts.

``live_picture`` (in ``deconflict.service.live_picture``) wires the picture to the
engine, the party event stream, the hotline and the audit log;
``deconflict.tactical.wire_forms`` renders the JSON. Every
read here passes the caller's disclosure policy to the picture, which applies it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    model_validator,
)
from starlette.websockets import WebSocketDisconnect

from deconflict.api import deps, disclosure
from deconflict.api.disclosure import policy_for
from deconflict.api.openapi_doc import WebSocketDoc
from deconflict.api.problems import error_responses
from deconflict.api.security import (
    TOKEN_EXPIRED,
    require_scopes,
    seconds_left,
    websocket_principal,
)
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import AuthError, Forbidden, InvalidInput, NotYourTrack
from deconflict.service.live_picture import live_picture as live_picture
from deconflict.service.services import Services
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture, PositionReport
from deconflict.tactical.sharing import Sharing
from deconflict.tactical.wire_forms import alert_json, own_track_json, traffic_json

log = logging.getLogger(__name__)

MAX_REPORTS = 10_000
WS_POLICY_VIOLATION = 1008

Tracker = Annotated[Principal, Depends(require_scopes(Scope.TRACK))]
TrackReader = Annotated[Principal, Depends(require_scopes(Scope.TRACK, Scope.ADMIN))]


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


Finite = Annotated[float, BeforeValidator(_not_a_boolean), Field(allow_inf_nan=False)]


class ReportIn(BaseModel):
    """One position report; velocity as ``gs_mps`` + ``track_deg`` or ``vn_mps`` + ``ve_mps``.

    A ``party`` field is ignored: the party is the token's, so nobody reports as someone
    else.
    """

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=64)
    time: AwareDatetime
    lat: Finite = Field(ge=-90.0, le=90.0)
    lon: Finite = Field(ge=-180.0, le=360.0)
    alt_m: Finite = Field(description="Metres above the WGS-84 ellipsoid.")
    gs_mps: Finite | None = Field(None, ge=0.0)
    track_deg: Finite | None = Field(None, description="True track, clockwise from north.")
    vn_mps: Finite | None = None
    ve_mps: Finite | None = None
    vs_mps: Finite
    operation: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_velocity(self) -> ReportIn:
        polar = (self.gs_mps, self.track_deg)
        cartesian = (self.vn_mps, self.ve_mps)
        has_polar = any(v is not None for v in polar)
        has_cartesian = any(v is not None for v in cartesian)
        if has_polar == has_cartesian:
            raise ValueError("give either gs_mps and track_deg, or vn_mps and ve_mps")
        if has_polar and None in polar:
            raise ValueError("gs_mps and track_deg go together")
        if has_cartesian and None in cartesian:
            raise ValueError("vn_mps and ve_mps go together")
        return self

    def to_domain(self, party: str) -> PositionReport:
        where = (self.id, party, self.time, self.lat, self.lon, self.alt_m)
        if self.gs_mps is not None and self.track_deg is not None:
            return PositionReport.from_track(
                *where, self.gs_mps, self.track_deg, self.vs_mps, self.operation
            )
        assert self.vn_mps is not None and self.ve_mps is not None
        return PositionReport(*where, self.vn_mps, self.ve_mps, self.vs_mps, self.operation)


class TracksIn(BaseModel):
    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_REPORTS)


# ------------------------------------------------ answers (OpenAPI shapes only)
# The routes send what ``tactical.wire_forms`` builds; these models describe it for the
# OpenAPI document, and tests/api/test_native_schema.py holds the two together.


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class TrafficOut(_Out):
    """Another party's aircraft, anonymous (``alias``) unless an agreement names it."""

    alias: str
    id: str | None = None
    party: str | None = None
    time: AwareDatetime
    lat: float
    lon: float
    alt_m: float
    gs_mps: float | None
    track_deg: float | None
    vs_mps: float
    off_nominal: bool


class OwnTrackOut(_Out):
    id: str
    party: str | None = Field(None, description="To the operator only.")
    time: AwareDatetime
    lat: float
    lon: float
    alt_m: float
    gs_mps: float | None
    track_deg: float | None
    vn_mps: float
    ve_mps: float
    vs_mps: float
    operation: str | None
    conformance: str | None


class AdvisoryOut(_Out):
    gs_mps: float | None
    track_deg: float | None
    vs_mps: float | None
    d_gs_mps: float | None
    d_track_deg: float | None
    d_vs_mps: float | None
    clears: bool
    reversed: bool


class AlertOtherOut(_Out):
    alias: str | None = None
    id: str | None = None
    party: str | None = None
    state: TrafficOut | None = None


class AlertOut(_Out):
    """One alert, seen from one of the caller's aircraft (``own``)."""

    id: int
    own: str
    other: AlertOtherOut
    severity: str
    state: str
    acknowledged: bool
    los: bool = Field(description="Separation is lost now.")
    tcpa_s: float | None
    dcpa_m: float | None
    t_in_s: float | None
    t_out_s: float | None
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    advisory: AdvisoryOut | None


class AlertsOut(_Out):
    alerts: list[AlertOut]


class TracksAnswerOut(AlertsOut):
    accepted: int
    ignored: int


class TracksOut(_Out):
    tracks: list[OwnTrackOut]
    traffic: list[TrafficOut]


class StreamProblemOut(_Out):
    """A message ``/v1/stream/tracks`` refused; the socket stays open."""

    status: int
    message: str


class TracksStreamAnswer(RootModel[TracksAnswerOut | StreamProblemOut]):
    """What ``/v1/stream/tracks`` answers to each message."""


class TracksStreamMessage(RootModel[ReportIn | list[ReportIn] | TracksIn]):
    """One report, an array of them, or ``{"reports": [...]}``."""


# ---------------------------------------------------------------- need-to-know


def _read_sharing(store: SqlStore, principal: Principal) -> Sharing:
    """The disclosure policy for one read by ``principal`` (the operator sees all)."""
    policy: Sharing = store.run(lambda s: policy_for(s, principal), write=False)
    return policy


async def _ticker(live: LivePicture, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_in_threadpool(live.run_pass)
        except Exception:
            log.exception("background detection pass failed")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services = getattr(app.state, deps.SERVICES_STATE_ATTR, None)
    live = services.live if isinstance(services, Services) else None
    interval = live.config.pass_interval_s if isinstance(live, LivePicture) else None
    task = None
    if isinstance(live, LivePicture) and interval is not None:
        task = asyncio.create_task(_ticker(live, interval))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


ERRORS = error_responses(
    e400="Invalid input: the message names the report and the field.",
    e403="Missing scope, or another party's operation.",
    e404="No such active alert for the caller's aircraft.",
)

router = APIRouter(prefix="/v1", tags=["tactical"], responses=ERRORS, lifespan=_lifespan)


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _alerts_body(live: LivePicture, party: str, sharing: Sharing) -> dict[str, Any]:
    return {"alerts": [alert_json(a) for a in live.alerts_for(party, sharing)]}


def _submit(
    live: LivePicture, party: str, reports: Sequence[ReportIn], sharing: Sharing
) -> dict[str, Any]:
    domain = []
    for k, rep in enumerate(reports):
        try:
            domain.append(rep.to_domain(party))
        except InvalidInput as exc:
            raise exc.within(f"reports[{k}]") from None
    try:
        result = live.submit(party, domain)
    except InvalidInput as exc:
        raise InvalidInput(f"reports{exc.field}", exc.rule) from None
    except NotYourTrack as exc:
        raise Forbidden(str(exc)) from None
    return {
        "accepted": result.accepted,
        "ignored": result.ignored,
        **_alerts_body(live, party, sharing),
    }


# ---------------------------------------------------------------- routes


@router.post(
    "/tracks",
    responses={200: {"model": TracksAnswerOut, "description": "Your alerts after the pass."}},
)
def post_tracks(body: TracksIn, request: Request, principal: Tracker) -> Response:
    """Report positions (a batch); answers with the caller's alerts after the pass they
    triggered. Track ids are per party: another party may fly the same id, and nothing
    here says so (403 only for a report naming another party's operation)."""
    services = deps.services(request)
    return _json(
        200,
        _submit(
            services.live, principal.sub, body.reports, _read_sharing(services.store, principal)
        ),
    )


@router.get(
    "/tracks",
    responses={200: {"model": TracksOut, "description": "Your tracks and traffic."}},
)
def get_tracks(request: Request, principal: TrackReader) -> Response:
    """Own tracks in full; another party's aircraft only while it is in an alert with
    one of yours or off-nominal (its operation Nonconforming or Contingent), as
    anonymous ``traffic`` unless a sharing agreement names it. The service operator
    (``deconflict.admin``) gets every track in full, with its party."""
    live = deps.live(request)
    if Scope.ADMIN in principal.scopes:
        tracks = live.everything()
        # The operator sees every aircraft in full: recorded for each owner, before the
        # answer leaves, as every disclosure is (``api/disclosure.py``).
        objects = ((t.report.party, "track", t.report.id, "operator") for t in tracks)
        disclosure.record(
            deps.store(request), disclosure.shown_objects(principal.sub, objects, "tracks")
        )
        every = [own_track_json(t, with_party=True) for t in tracks]
        return _json(200, {"tracks": every, "traffic": []})
    own, traffic = live.tracks_for(principal.sub, _read_sharing(deps.store(request), principal))
    return _json(
        200,
        {"tracks": [own_track_json(t) for t in own], "traffic": [traffic_json(t) for t in traffic]},
    )


@router.get("/alerts", responses={200: {"model": AlertsOut, "description": "Your alerts."}})
def get_alerts(request: Request, principal: Tracker) -> Response:
    """Alerts involving the caller's aircraft: one entry per own aircraft in the pair.

    The same alerts reach both parties as ``alert.new``, ``alert.updated`` (severity),
    ``alert.acknowledged`` and ``alert.resolved`` events on ``/v1/events``."""
    services = deps.services(request)
    sharing = _read_sharing(services.store, principal)
    return _json(200, _alerts_body(services.live, principal.sub, sharing))


@router.post(
    "/alerts/{alert_id}/ack",
    responses={200: {"model": AlertsOut, "description": "Your alerts, this one acknowledged."}},
)
def acknowledge(alert_id: int, request: Request, principal: Tracker) -> Response:
    """Acknowledge an active alert for the caller; a later upgrade clears it again."""
    services = deps.services(request)
    live = services.live
    if not live.acknowledge(principal.sub, alert_id):
        return _json(404, {"message": f"no active alert {alert_id} for your aircraft"})
    return _json(200, _alerts_body(live, principal.sub, _read_sharing(services.store, principal)))


def _reports_of(message: Any) -> list[Any]:
    """A message is one report, an array of them, or ``{"reports": [...]}``."""
    if isinstance(message, dict) and "reports" in message:
        reports = message["reports"]
    elif isinstance(message, list):
        reports = message
    else:
        reports = [message]
    if not isinstance(reports, list):
        raise InvalidInput("reports", "must be an array of position reports")
    return reports


def _ws_batch(services: Services, principal: Principal, text: str) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidInput("", "the message is not JSON") from None
    try:
        body = TracksIn(reports=_reports_of(message))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise InvalidInput(where.lstrip("."), first["msg"]) from None
    sharing = _read_sharing(services.store, principal)
    return _submit(services.live, principal.sub, body.reports, sharing)


TRACKS_STREAM_DOC = WebSocketDoc(
    path="/v1/stream/tracks",
    summary="Report positions over a WebSocket",
    description="Each message is one position report, an array of them, or "
    '`{"reports": [...]}`; each is answered as `POST /v1/tracks` answers (accepted, '
    'ignored, alerts), or with `{"status", "message"}` for a bad one (400, or 403 for '
    "another party's operation), and the socket stays open. Needs `deconflict.track`; "
    "a bad token closes the handshake with code 1008, and the socket closes with 1008 "
    "`token expired` when the token does.",
    tag="tactical",
    sends=TracksStreamAnswer,
    receives=TracksStreamMessage,
)
"""``/v1/stream/tracks`` in the OpenAPI document (``api/openapi_doc.py``)."""


@router.websocket("/stream/tracks")
async def stream_tracks(websocket: WebSocket) -> None:
    """Position reports as JSON messages; each message is answered with the caller's
    alerts (``{"accepted", "ignored", "alerts"}``, as ``POST /v1/tracks``), or
    ``{"status", "message"}`` for a bad one (400, or 403 for another party's operation; the
    stream stays open). Authentication failures close the handshake with code 1008."""
    try:
        principal = await run_in_threadpool(websocket_principal, websocket, Scope.TRACK)
    except AuthError as exc:
        await websocket.close(code=WS_POLICY_VIOLATION, reason=exc.message[:120])
        return
    services = deps.services(websocket)
    await websocket.accept()
    try:
        while True:
            left = seconds_left(principal)
            try:
                with anyio.fail_after(None if left is None else max(0.0, left)):
                    text = await websocket.receive_text()
            except TimeoutError:
                await websocket.close(code=WS_POLICY_VIOLATION, reason=TOKEN_EXPIRED)
                return
            try:
                answer = await run_in_threadpool(_ws_batch, services, principal, text)
            except InvalidInput as exc:
                answer = {"status": exc.http_status, "message": str(exc)}
            except AuthError as exc:
                answer = {"status": exc.http_status, "message": exc.message}
            await websocket.send_text(orjson.dumps(answer).decode())
    except WebSocketDisconnect:
        return
