"""The F3548 USS API (``/uss/v1``) the service serves as the USS of its native parties.

A native operation appears to USSs as an operational intent reference managed by the
service (``settings.dss.manager``) at its public base URL; F3548 then has a USS that
finds one ask that URL for the details, which hold the OVN its key needs. These routes
answer for native operations only: a USS's own intent is served by that USS, so it is
a 404 here, as is an unknown id or an Ended operation (gone in F3548).

Need-to-know: an answer carries where, when, state and priority, and the reference
with the service as manager; never the party, the operation's own id, its call sign or
its ``details`` (``dss.wire.uss_api`` has no field for them). Each answer is a
disclosure about the party, recorded in its audit log in the transaction that read
what was shown, so the answer leaves only once the record is stored.

Native restricted and no-fly constraints appear as constraint references the service
manages (``dss.native_constraints``): ``GET /uss/v1/constraints/{id}`` serves their
volumes in force and kind, with the reference and its OVN; never the owner, the
constraint's own id, its name or allowed parties. Each read is a disclosure in the
owner's record, as for operations; any other id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends

from deconflict.api import deps
from deconflict.api.dss.router import NO_NONE, DssRoute, EntityId
from deconflict.api.security import require_scopes
from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.dss.native_intents import NativeIdentity
from deconflict.dss.records import ConstraintRef, IntentRef
from deconflict.dss.uuids import parse_uuid4
from deconflict.dss.wire import models as w
from deconflict.dss.wire import uss_api
from deconflict.errors import NoTelemetry, NotFound
from deconflict.model.constraint import Constraint
from deconflict.model.operation import Operation
from deconflict.settings import Settings
from deconflict.store.audit import append_audit
from deconflict.store.dss import SqlDssSession
from deconflict.store.sql import SqlSession, SqlStore
from deconflict.tactical.live import LivePicture, PositionReport

INTENTS = "/uss/v1/operational_intents"
CONSTRAINTS = "/uss/v1/constraints"
TAGS: list[str | Enum] = ["Operational intent details", "p2p_utm"]
CONSTRAINT_TAGS: list[str | Enum] = ["Constraint details", "p2p_utm"]

# The scope each route's security requirement in the F3548 YAML names, and no other.
Coordinator = Annotated[Principal, Depends(require_scopes(Scope.STRATEGIC_COORDINATION))]
Monitor = Annotated[Principal, Depends(require_scopes(Scope.CONFORMANCE_MONITORING_SA))]
ConstraintProcessor = Annotated[Principal, Depends(require_scopes(Scope.CONSTRAINT_PROCESSING))]


@dataclass(frozen=True)
class Shown:
    """What a route records of each read it answers: the audit ``via``, the level of
    what it disclosed, and the fields its answer held."""

    via: str
    level: str
    fields: tuple[str, ...]


DETAILS = Shown("uss.details", "f3548_details", uss_api.INTENT_DETAILS_SHOWN)
CONSTRAINT_DETAILS = Shown(
    "uss.constraint_details", "f3548_details", uss_api.CONSTRAINT_DETAILS_SHOWN
)
TELEMETRY = Shown("uss.telemetry", "f3548_telemetry", ("position", "velocity", "time_measured"))

NO_TELEMETRY = NoTelemetry.http_status

T = TypeVar("T")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents, each an F3548 ``ErrorResponse``."""
    return {code: {"model": w.ErrorResponse} for code in (400, 401, 403, *codes)}


def identity_of(settings: Settings) -> NativeIdentity:
    return NativeIdentity(settings.dss.manager, settings.dss.base_url)


def disclosure(reader: Principal, op: Operation, ref: IntentRef, what: Shown) -> list[AuditEntry]:
    """The owner's record of a USS read: who read (the token's ``sub``), which of the
    owner's operations (its own id, which the reader never sees) under which F3548 id
    and version, and what the answer held."""
    if reader.sub == op.party:
        return []
    detail = {
        "via": what.via,
        "level": what.level,
        "intent_id": ref.id,
        "version": ref.version,
        "shown": list(what.fields),
    }
    return [AuditEntry(DISCLOSURE, reader.sub, op.party, "operation", op.id, detail)]


def _read(
    store: SqlStore,
    settings: Settings,
    raw_id: str,
    shown: Callable[[SqlSession, IntentRef, Operation], T],
) -> T:
    """Find the native operation USSs know as ``raw_id`` and build the answer with
    ``shown(session, ref, op)``, which also records what it showed, in one transaction;
    404 when there is none to show."""
    intent_id = parse_uuid4(raw_id, "entityid")
    identity = identity_of(settings)

    def work(s: SqlSession) -> tuple[T] | None:
        found = SqlDssSession(s, identity=identity).native_intent(intent_id)
        if found is None:
            return None
        ref, op = found
        return (shown(s, ref, op),)

    answer = store.run(work, write=True)
    if answer is None:
        raise NotFound(f"operational intent {intent_id} is not managed here")
    return answer[0]


def latest_report(live: LivePicture, op: Operation) -> PositionReport | None:
    """The newest live position reported for ``op`` by its own party, if any."""
    reports = [
        t.report
        for t in live.everything()
        if t.report.party == op.party and t.report.operation == op.id
    ]
    return max(reports, key=lambda r: r.time, default=None)


router = APIRouter(route_class=DssRoute)


@router.get(
    f"{INTENTS}/{{entityid}}",
    operation_id="getOperationalIntentDetails",
    tags=TAGS,
    responses=_errors(404),
    **NO_NONE,
)
def get_operational_intent_details(
    entityid: EntityId, principal: Coordinator, store: deps.Store, settings: deps.AppSettings
) -> uss_api.GetOperationalIntentDetailsResponse:
    def shown(
        s: SqlSession, ref: IntentRef, op: Operation
    ) -> uss_api.GetOperationalIntentDetailsResponse:
        append_audit(s, disclosure(principal, op, ref, DETAILS))
        return uss_api.intent_details(ref, op.priority)

    return _read(store, settings, entityid, shown)


@router.get(
    f"{INTENTS}/{{entityid}}/telemetry",
    operation_id="getOperationalIntentTelemetry",
    tags=TAGS,
    responses=_errors(404, 409, NO_TELEMETRY),
    **NO_NONE,
)
def get_operational_intent_telemetry(
    entityid: EntityId,
    principal: Monitor,
    store: deps.Store,
    settings: deps.AppSettings,
    live: deps.Live,
) -> uss_api.GetOperationalIntentTelemetryResponse:
    """The newest live position of the operation's aircraft, from the tactical picture
    (the party's own reports naming this operation); without one, F3548's "no
    telemetry" (412). Only a position shown is recorded as disclosed."""

    def shown(s: SqlSession, ref: IntentRef, op: Operation) -> PositionReport | None:
        report = latest_report(live, op)
        if report is not None:
            append_audit(s, disclosure(principal, op, ref, TELEMETRY))
        return report

    intent_id = parse_uuid4(entityid, "entityid")
    report = _read(store, settings, intent_id, shown)
    if report is None:
        raise NoTelemetry(f"no telemetry is available for operational intent {intent_id}")
    return uss_api.telemetry(
        intent_id,
        report.time,
        report.lat,
        report.lon,
        report.alt_m,
        report.gs_mps,
        report.track_deg,
    )


@router.get(
    f"{CONSTRAINTS}/{{entityid}}",
    operation_id="getConstraintDetails",
    tags=CONSTRAINT_TAGS,
    responses=_errors(404),
    **NO_NONE,
)
def get_constraint_details(
    entityid: EntityId,
    principal: ConstraintProcessor,
    store: deps.Store,
    settings: deps.AppSettings,
) -> uss_api.GetConstraintDetailsResponse:
    """A native constraint shown to USSs; a USS's constraints are served by that USS."""
    reference_id = parse_uuid4(entityid, "entityid")
    identity = identity_of(settings)

    def work(s: SqlSession) -> uss_api.GetConstraintDetailsResponse | None:
        found = SqlDssSession(s, identity=identity).native_constraint(reference_id)
        if found is None:
            return None
        ref, c = found
        append_audit(s, constraint_disclosure(principal, c, ref))
        return uss_api.constraint_details(ref, c.type.value)

    answer = store.run(work, write=True)
    if answer is None:
        raise NotFound(f"constraint {reference_id} is not managed here")
    return answer


def constraint_disclosure(reader: Principal, c: Constraint, ref: ConstraintRef) -> list[AuditEntry]:
    """The owner's record of a USS read of its constraint (see ``disclosure``)."""
    if reader.sub == c.owner:
        return []
    detail = {
        "via": CONSTRAINT_DETAILS.via,
        "level": CONSTRAINT_DETAILS.level,
        "constraint_reference_id": ref.id,
        "version": ref.version,
        "shown": list(CONSTRAINT_DETAILS.fields),
    }
    return [AuditEntry(DISCLOSURE, reader.sub, c.owner, "constraint", c.id, detail)]
