"""Tactical routes under ``/v1``: position reports in, alerts and traffic out.

Wiring, where the app is built (after ``app.state.engine`` is set)::

    app.state.live = live_picture(app)   # config from settings.tactical
    app.include_router(tactical_router)

The routes only translate: the live picture (``tactical.live``) owns tracks, alerts,
advisories, conformance and need-to-know, so the WebSocket and the REST routes cannot
drift apart in what they reveal. The party is always the token's ``sub``.

When detection runs: synchronously on every ``POST /v1/tracks`` and every WebSocket
message (so the answer already accounts for the caller's own reports), and every
``LiveConfig.pass_interval_s`` on a background task started by this router's lifespan,
so that silent tracks go stale, alerts of silent pairs resolve and an aircraft last seen
outside its volumes escalates to Contingent even when nobody posts.

What leaves through the party event stream (``/v1/events``, ``/v1/stream``): alert
events to both parties of an alert, on lifecycle and severity changes only (never per
position report), and ``conformance.notice`` to the parties flying near an operation
that monitoring made Nonconforming or Contingent, or that recovered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from starlette.websockets import WebSocketDisconnect

from deconflict.api.disclosure import policy_for
from deconflict.api.security import require_scopes
from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.auth.errors import AuthError, Forbidden
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.auth.verify import TokenVerifier
from deconflict.core.engine import StrategicEngine
from deconflict.errors import InvalidInput
from deconflict.geo.volume import Volume4D
from deconflict.hotline.model import ConflictKind
from deconflict.notify.bodies import volume4d
from deconflict.notify.recorder import Notifier
from deconflict.settings import TacticalSettings
from deconflict.store.audit import append_audit
from deconflict.store.hotline import ConflictIdTaken, register_conflict
from deconflict.store.outbox import NewEvent
from deconflict.store.sharing import policy_of
from deconflict.store.sql import SqlStore
from deconflict.tactical.alerts import EventKind
from deconflict.tactical.configure import live_config
from deconflict.tactical.live import (
    MONITORED_STATES,
    OFF_NOMINAL_STATES,
    Clock,
    LiveConfig,
    LivePicture,
    MonitoredOperation,
    NotYourTrack,
    OwnTrack,
    PositionReport,
    utc_now,
)
from deconflict.tactical.nearby import STATE_NOTICE, Region, nearby_parties, trouble_regions
from deconflict.tactical.sharing import Sharing
from deconflict.tactical.views import AlertNotice, PartyAlert, StateChange, Traffic

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
        if self.gs_mps is not None and self.track_deg is not None:
            return PositionReport.from_track(
                self.id,
                party,
                self.time,
                self.lat,
                self.lon,
                self.alt_m,
                self.gs_mps,
                self.track_deg,
                self.vs_mps,
                self.operation,
            )
        assert self.vn_mps is not None and self.ve_mps is not None
        return PositionReport(
            self.id,
            party,
            self.time,
            self.lat,
            self.lon,
            self.alt_m,
            self.vn_mps,
            self.ve_mps,
            self.vs_mps,
            self.operation,
        )


class TracksIn(BaseModel):
    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_REPORTS)


# ---------------------------------------------------------------- wiring

ALERT_EVENT_KINDS = {
    EventKind.NEW: "alert.new",
    EventKind.SEVERITY_CHANGED: "alert.updated",
    EventKind.RESOLVED: "alert.resolved",
    EventKind.ACKNOWLEDGED: "alert.acknowledged",
}
CONFORMANCE_EVENT = "conformance.notice"


def sharing_of(session: Any) -> Sharing:
    """The sharing agreements in force in ``session``'s transaction (for events)."""
    policy: Sharing = policy_of(session)
    return policy


def _read_sharing(app: Any, principal: Principal) -> Sharing:
    """The disclosure policy for one read by ``principal`` (the operator sees all)."""
    store: SqlStore = app.state.store
    policy: Sharing = store.run(lambda s: policy_for(s, principal), write=False)
    return policy


def _notifier(app: Any) -> Notifier | None:
    notify = getattr(app.state, "notify", None)
    notifier = getattr(notify, "notifier", None)
    return notifier if isinstance(notifier, Notifier) else None


def alert_event_json(notice: AlertNotice, sharing: Sharing) -> dict[str, Any]:
    """The body of an ``alert.*`` party event: the alert as ``GET /v1/alerts`` shows it
    to that party, plus who acknowledged for ``alert.acknowledged``."""
    body = alert_json(notice.view_for(sharing))
    if notice.acknowledged_by is not None:
        body["acknowledged_by_you"] = notice.acknowledged_by == notice.party
    return body


def publish_alerts(app: Any, notices: Sequence[AlertNotice]) -> None:
    """Alert events to every party involved, in one transaction of the party event log.

    A new alert between two parties is registered with the hotline in the same
    transaction (conflict id = alert id), so the id a party sees can be messaged about.
    """
    notifier = _notifier(app)
    if notifier is None or not notices:
        return
    store: SqlStore = app.state.store

    def work(session: Any) -> None:
        sharing = sharing_of(session)
        events = [
            NewEvent(
                n.party,
                ALERT_EVENT_KINDS[n.kind],
                orjson.dumps(alert_event_json(n, sharing)).decode(),
            )
            for n in notices
        ]
        registered: set[int] = set()
        for n in notices:
            alert_id = n.view.alert_id
            if n.kind is not EventKind.NEW or n.other_party == n.party or alert_id in registered:
                continue
            registered.add(alert_id)
            try:
                register_conflict(
                    session,
                    str(alert_id),
                    n.party,
                    n.other_party,
                    ConflictKind.TACTICAL,
                    n.view.own,
                    n.other_id,
                )
            except ConflictIdTaken:
                log.error("alert id %s is already a hotline conflict of other parties", alert_id)
        notifier.record_events(session, events)
        append_audit(session, alert_disclosures(notices, sharing))

    store.run(work)


def alert_disclosures(notices: Sequence[AlertNotice], sharing: Sharing) -> list[AuditEntry]:
    """What alert events showed of another party's aircraft, for the audit log: one
    entry per party and other aircraft when the alert is new (its telemetry then reaches
    the party; later events of the same alert show the same aircraft)."""
    return [
        AuditEntry(
            DISCLOSURE,
            n.party,
            n.other_party,
            "track",
            n.other_id,
            {
                "via": ALERT_EVENT_KINDS[n.kind],
                "level": "telemetry",
                "id": sharing.may_identify(n.party, n.other_party),
                "alert": n.view.alert_id,
            },
        )
        for n in notices
        if n.kind is EventKind.NEW and n.other_party != n.party
    ]


def _where_json(regions: Sequence[Region]) -> dict[str, Any]:
    """The volumes in force (clipped to the window, F3548 ``Volume4D`` form) and the
    aircraft's last positions."""
    return {
        "volumes": [
            volume4d(Volume4D(r.footprint, r.altitude, r.time))
            for r in regions
            if r.aircraft is None
        ],
        "aircraft": [
            {
                "time": rfc3339(r.aircraft.time),
                "lat": r.aircraft.lat,
                "lon": r.aircraft.lon,
                "alt_m": r.aircraft.alt_m,
            }
            for r in regions
            if r.aircraft is not None
        ],
    }


def conformance_notice_json(
    change: StateChange,
    regions: Sequence[Region],
    horizon_s: float,
    yours: Sequence[str],
    name: bool,
) -> dict[str, Any]:
    """Where and when an off-nominal operation is (or that it recovered), not whose,
    unless ``name``; ``your_operations`` are the recipient's own operations nearby."""
    body: dict[str, Any] = {
        "change": STATE_NOTICE[change.state],
        "state": change.state.value,
        "at": rfc3339(change.at),
        "time_start": rfc3339(change.at),
        "time_end": rfc3339(change.at + timedelta(seconds=horizon_s)),
        "where": _where_json(regions),
        "your_operations": list(yours),
    }
    if name:
        body["operation_id"] = change.operation
        body["party"] = change.party
    return body


class NearbyTeller:
    """Tells the parties flying near an operation that monitoring changed its state.

    Remembers who was told of an off-nominal operation, so that its recovery reaches
    them even if they have moved away since.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._told: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def tell(self, change: StateChange, volumes: Sequence[Volume4D], config: LiveConfig) -> None:
        notifier = _notifier(self._app)
        if notifier is None:
            return
        store: SqlStore = self._app.state.store
        horizon_s = config.params.lookahead_s
        regions = trouble_regions(volumes, change.aircraft, change.at, horizon_s)
        recovered = change.state not in OFF_NOMINAL_STATES

        def work(session: Any) -> set[str]:
            near = nearby_parties(
                session,
                change,
                volumes,
                horizon_s=horizon_s,
                near_m=config.near_distance_m,
                near_vertical_m=config.near_vertical_m,
            )
            yours = {n.party: n.operations for n in near}
            with self._lock:
                before = self._told.get(change.operation, set()) if recovered else set()
            parties = sorted(set(yours) | before)
            sharing = sharing_of(session)
            events = [
                NewEvent(
                    party,
                    CONFORMANCE_EVENT,
                    orjson.dumps(
                        conformance_notice_json(
                            change,
                            regions,
                            horizon_s,
                            yours.get(party, ()),
                            sharing.may_identify(party, change.party),
                        )
                    ).decode(),
                )
                for party in parties
            ]
            notifier.record_events(session, events)
            append_audit(
                session,
                [
                    AuditEntry(
                        DISCLOSURE,
                        party,
                        change.party,
                        "operation",
                        change.operation,
                        {
                            "via": CONFORMANCE_EVENT,
                            "level": "where_and_when",
                            "id": sharing.may_identify(party, change.party),
                        },
                    )
                    for party in parties
                ],
            )
            return set(parties)

        told = store.run(work)
        with self._lock:
            if recovered:
                self._told.pop(change.operation, None)
            else:
                self._told.setdefault(change.operation, set()).update(told)


def live_picture(
    app: FastAPI, config: LiveConfig | None = None, clock: Clock = utc_now
) -> LivePicture:
    """The live picture of ``app``, monitoring operations in its store through its engine.

    ``config`` defaults to the app's ``settings.tactical``. Store, engine and notifier
    are looked up on ``app.state`` at call time, not captured, so a test that swaps them
    keeps a consistent picture. Alert events and conformance notices go to the party
    event stream (``/v1/events``) through ``app.state.notify.notifier``.
    """
    if config is None:
        settings = getattr(app.state, "settings", None)
        tactical = getattr(settings, "tactical", None)
        config = live_config(
            tactical if isinstance(tactical, TacticalSettings) else TacticalSettings()
        )
    cfg = config
    nearby = NearbyTeller(app)

    def load(op_id: str) -> MonitoredOperation | None:
        store: SqlStore = app.state.store
        found = store.run(lambda s: s.get(op_id), write=False)
        if found is None:
            return None
        op = found.operation
        return MonitoredOperation(op.party, op.state, op.volumes)

    def set_state(change: StateChange) -> bool:
        current = load(change.operation)
        if current is None or current.state not in MONITORED_STATES:
            return False  # deleted or ended meanwhile: monitoring must not bring it back
        engine: StrategicEngine = app.state.engine
        decision = engine.set_state(change.operation, change.state)
        if not decision.accepted:
            # Back to Activated is refused while a blocking conflict exists; the operation
            # then stays off-nominal, which is the safe side.
            log.warning(
                "operation %s could not return to %s: conflicts", change.operation, change.state
            )
            return False
        try:
            nearby.tell(change, current.volumes, cfg)
        except Exception:
            log.exception("could not tell the parties near operation %s", change.operation)
        return True

    return LivePicture(
        config,
        load_operation=load,
        on_state=set_state,
        on_alerts=lambda notices: publish_alerts(app, notices),
        clock=clock,
    )


async def _ticker(live: LivePicture, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_in_threadpool(live.run_pass)
        except Exception:
            log.exception("background detection pass failed")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    live = getattr(app.state, "live", None)
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


class ErrorBody(BaseModel):
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Invalid input: the message names the report and the field."),
        (401, "Missing, malformed, expired or wrongly signed token."),
        (403, "Missing scope, or another party's track id or operation."),
        (404, "No such active alert for the caller's aircraft."),
        (413, "Body over 4 MiB."),
        (503, "Database unavailable; retry."),
    )
}

router = APIRouter(prefix="/v1", tags=["tactical"], responses=ERRORS, lifespan=_lifespan)


def _live(app: FastAPI | Any) -> LivePicture:
    live = getattr(app.state, "live", None)
    if not isinstance(live, LivePicture):
        raise RuntimeError("app.state.live is not set to a LivePicture")
    return live


# ---------------------------------------------------------------- wire out


def rfc3339(t: datetime) -> str:
    """UTC with a ``Z``, as every native route writes times."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _num(x: float, digits: int = 3) -> float | None:
    return round(x, digits) if math.isfinite(x) else None


def own_track_json(t: OwnTrack, with_party: bool = False) -> dict[str, Any]:
    r = t.report
    party = {"party": r.party} if with_party else {}
    return {
        "id": r.id,
        **party,
        "time": rfc3339(r.time),
        "lat": r.lat,
        "lon": r.lon,
        "alt_m": r.alt_m,
        "gs_mps": _num(r.gs_mps),
        "track_deg": _num(r.track_deg),
        "vn_mps": r.vn_mps,
        "ve_mps": r.ve_mps,
        "vs_mps": r.vs_mps,
        "operation": r.operation,
        "conformance": None if t.conformance is None else t.conformance.value,
    }


def traffic_json(t: Traffic) -> dict[str, Any]:
    """Anonymous unless an agreement identified it (then ``id`` and ``party`` too)."""
    named = {} if t.id is None else {"id": t.id, "party": t.party}
    return {
        "alias": t.alias,
        **named,
        "time": rfc3339(t.time),
        "lat": t.lat,
        "lon": t.lon,
        "alt_m": t.alt_m,
        "gs_mps": _num(t.gs_mps),
        "track_deg": _num(t.track_deg),
        "vs_mps": t.vs_mps,
        "off_nominal": t.off_nominal,
    }


def alert_json(a: PartyAlert) -> dict[str, Any]:
    other: dict[str, Any] = {}
    if a.other_alias is not None:
        other["alias"] = a.other_alias
    if a.other_id is not None:
        other["id"] = a.other_id
    if a.other_party is not None:
        other["party"] = a.other_party
    if a.other_traffic is not None:
        other["state"] = traffic_json(a.other_traffic)
    advisory = None
    if a.advisory is not None:
        adv = a.advisory
        advisory = {
            "gs_mps": _num(adv.gs_mps),
            "track_deg": _num(adv.track_deg),
            "vs_mps": _num(adv.vs_mps),
            "d_gs_mps": _num(adv.d_gs_mps),
            "d_track_deg": _num(adv.d_track_deg),
            "d_vs_mps": _num(adv.d_vs_mps),
            "clears": a.advisory_clears,
        }
    obs = a.latest
    return {
        "id": a.alert_id,
        "own": a.own,
        "other": other,
        "severity": a.severity.name.lower(),
        "state": a.state.value,
        "acknowledged": a.acknowledged,
        "los": obs.los,
        "tcpa_s": _num(obs.tcpa_s),
        "dcpa_m": _num(obs.dcpa_m),
        "t_in_s": _num(obs.t_in_s),
        "t_out_s": _num(obs.t_out_s),
        "first_seen": rfc3339(a.first_seen),
        "last_seen": rfc3339(a.last_seen),
        "advisory": advisory,
    }


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


@router.post("/tracks")
def post_tracks(body: TracksIn, request: Request, principal: Tracker) -> Response:
    """Report positions (a batch); answers with the caller's alerts after the pass they
    triggered. A track id belongs to the first party that reports it (403 for others)."""
    app = request.app
    return _json(
        200, _submit(_live(app), principal.sub, body.reports, _read_sharing(app, principal))
    )


@router.get("/tracks")
def get_tracks(request: Request, principal: TrackReader) -> Response:
    """Own tracks in full; another party's aircraft only while it is in an alert with
    one of yours or off-nominal (its operation Nonconforming or Contingent), as
    anonymous ``traffic`` unless a sharing agreement names it. The service operator
    (``deconflict.admin``) gets every track in full, with its party."""
    live = _live(request.app)
    if Scope.ADMIN in principal.scopes:
        every = [own_track_json(t, with_party=True) for t in live.everything()]
        return _json(200, {"tracks": every, "traffic": []})
    own, traffic = live.tracks_for(principal.sub, _read_sharing(request.app, principal))
    return _json(
        200,
        {"tracks": [own_track_json(t) for t in own], "traffic": [traffic_json(t) for t in traffic]},
    )


@router.get("/alerts")
def get_alerts(request: Request, principal: Tracker) -> Response:
    """Alerts involving the caller's aircraft: one entry per own aircraft in the pair.

    The same alerts reach both parties as ``alert.new``, ``alert.updated`` (severity),
    ``alert.acknowledged`` and ``alert.resolved`` events on ``/v1/events``."""
    app = request.app
    return _json(200, _alerts_body(_live(app), principal.sub, _read_sharing(app, principal)))


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: int, request: Request, principal: Tracker) -> Response:
    """Acknowledge an active alert for the caller; a later upgrade clears it again."""
    live = _live(request.app)
    if not live.acknowledge(principal.sub, alert_id):
        return _json(404, {"message": f"no active alert {alert_id} for your aircraft"})
    return _json(200, _alerts_body(live, principal.sub, _read_sharing(request.app, principal)))


def _ws_token(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization")
    if header:
        scheme, _, token = header.strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return websocket.query_params.get("access_token")


def _ws_principal(websocket: WebSocket) -> Principal:
    token = _ws_token(websocket)
    if token is None:
        raise Forbidden("send 'Authorization: Bearer <token>' or ?access_token=<token>")
    verifier = getattr(websocket.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("app.state.token_verifier is not set to a TokenVerifier")
    principal = verifier.verify(token)
    if Scope.TRACK not in principal.scopes:
        raise Forbidden(f"token does not grant {Scope.TRACK.value}")
    return principal


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


def _ws_batch(app: Any, principal: Principal, text: str) -> dict[str, Any]:
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
    return _submit(_live(app), principal.sub, body.reports, _read_sharing(app, principal))


@router.websocket("/stream/tracks")
async def stream_tracks(websocket: WebSocket) -> None:
    """Position reports as JSON messages; each message is answered with the caller's
    alerts (``{"accepted", "ignored", "alerts"}``, as ``POST /v1/tracks``), or
    ``{"status", "message"}`` for a bad one (400, or 403 for another party's track; the
    stream stays open). Authentication failures close the handshake with code 1008."""
    try:
        principal = await run_in_threadpool(_ws_principal, websocket)
    except AuthError as exc:
        await websocket.close(code=WS_POLICY_VIOLATION, reason=exc.message[:120])
        return
    app = websocket.app
    _live(app)
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            try:
                answer = await run_in_threadpool(_ws_batch, app, principal, text)
            except InvalidInput as exc:
                answer = {"status": 400, "message": str(exc)}
            except AuthError as exc:
                answer = {"status": exc.status_code, "message": exc.message}
            await websocket.send_text(orjson.dumps(answer).decode())
    except WebSocketDisconnect:
        return
