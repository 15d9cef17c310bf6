"""``/v1/constraints`` and ``/v1/zones``: imposed airspace and agreed zones on the wire.

Who may write: the service operator (scope ``deconflict.admin``) anything; a party
(``deconflict.plan``) its own constraints only. Agreed zones are agreements *between*
parties, so only the operator defines them; zone changes are versioned. Every change to
a constraint or a zone is told to the parties concerned on their event streams, through
the app's notifier in the change's transaction. F3548 constraint references created
through ``/dss/v1`` are listed here too, and are enforced, but only the DSS API changes
them (403 here). Those rules live in ``airspace`` (``changes``, ``notices``); this
module parses requests, calls ``airspace.service`` and renders its answers.

Who sees what follows the operations' need-to-know rule: the owner (and the operator)
sees a constraint in full; other parties see a reference (type, owner, extent, time,
altitudes), plus whether *they* may enter, which is what they need to plan and says
nothing about whom else the owner lets in. A zone is shown in full to the operator and
to the parties it assigns sectors to; others get a reference. Where exactly an
operation enters a constraint or a zone is in the planner's conflict reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response

from deconflict.access.policy import DisclosurePolicy
from deconflict.airspace.changes import Editor
from deconflict.airspace.service import AirspaceService
from deconflict.airspace.versions import StoredConstraint
from deconflict.api import disclosure, receipts
from deconflict.api.airspace_wire import (
    ConstraintIn,
    ZoneIn,
    constraint_json,
    constraint_reference_json,
    zone_history_json,
    zone_json,
    zone_reference_json,
)
from deconflict.api.deps import AppSettings, NotifierDep, Store
from deconflict.api.disclosure import policy_for
from deconflict.api.native import ERRORS
from deconflict.api.native_schema import (
    ConstraintListOut,
    ConstraintOut,
    ConstraintReferenceOut,
    DeletedOut,
    ProblemOut,
    ZoneHistoryOut,
    ZoneListOut,
    ZoneOut,
    ZoneReferenceOut,
    body,
)
from deconflict.api.params import if_match_version, query_area, query_window
from deconflict.api.security import require_scopes
from deconflict.audit.entry import AuditEntry
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.model.constraint import AgreedZone
from deconflict.model.ids import check_id
from deconflict.service.audit_hooks import audited_sink
from deconflict.store.constraints import SqlAirspaceTransactions
from deconflict.store.sql import SqlStore

Writer = Annotated[Principal, Depends(require_scopes(Scope.PLAN, Scope.ADMIN))]
Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN, Scope.ADMIN))]
Operator = Annotated[Principal, Depends(require_scopes(Scope.ADMIN))]
IfMatch = Annotated[str | None, Header(description="Expected version; 0 = must not exist.")]

router = APIRouter(prefix="/v1", tags=["constraints"], responses=ERRORS)


def _reads(store: Store, settings: AppSettings) -> AirspaceService:
    return AirspaceService(SqlAirspaceTransactions(store), settings.limits)


@dataclass(frozen=True)
class _Writes:
    """The service for one write request: its changes are told through the app's
    notifier (so live streams wake up) and audited; ``written`` holds the audit entries
    of the attempt that committed (what the receipt names)."""

    service: AirspaceService
    written: list[AuditEntry]


def _writes(store: Store, notifier: NotifierDep, settings: AppSettings) -> _Writes:
    written: list[AuditEntry] = []
    record = audited_sink(notifier.record_events, written)
    transactions = SqlAirspaceTransactions(
        store, record, on_attempt=written.clear, tell_usss=notifier.native_constraint_changed
    )
    return _Writes(AirspaceService(transactions, settings.limits), written)


Reads = Annotated[AirspaceService, Depends(_reads)]
Writes = Annotated[_Writes, Depends(_writes)]


def _editor(p: Principal) -> Editor:
    return Editor(p.sub, _is_operator(p))


def _receipted(
    request: Request, response: Response, principal: Principal, written: list[AuditEntry]
) -> Response:
    """A party's receipt names its own entries (the others' would tell it who else was
    told); the operator's names them all."""
    own = written if _is_operator(principal) else [e for e in written if e.subject == principal.sub]
    return receipts.attach(request, response, principal.sub, own)


def _is_operator(p: Principal) -> bool:
    return Scope.ADMIN in p.scopes


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _policy(principal: Principal) -> Callable[[object], DisclosurePolicy]:
    """The disclosure policy for ``principal``, read in the service's transaction."""
    return lambda session: policy_for(session, principal)


# ----------------------------------------------------------------- constraints


def _constraint_view(s: StoredConstraint, p: Principal, policy: DisclosurePolicy) -> dict[str, Any]:
    if policy.constraint_in_full(p.sub, s.constraint.owner):
        return constraint_json(s)
    return constraint_reference_json(s, p.sub)


def _record_shown(
    store: SqlStore,
    p: Principal,
    shown: list[StoredConstraint],
    policy: DisclosurePolicy,
    via: str,
) -> None:
    """Others' constraints shown to ``p``, in their owners' audit records, before answering."""
    objects = (
        (
            s.constraint.owner,
            "constraint",
            s.constraint.id,
            "full" if policy.constraint_in_full(p.sub, s.constraint.owner) else "reference",
        )
        for s in shown
    )
    disclosure.record(store, disclosure.shown_objects(p.sub, objects, via))


@router.put(
    "/constraints/{cid}",
    responses={
        200: body(ConstraintOut, "Replaced."),
        201: body(ConstraintOut, "Created."),
        409: body(ProblemOut, "Stale version (If-Match)."),
    },
)
def put_constraint(
    cid: str,
    body: ConstraintIn,
    request: Request,
    principal: Writer,
    airspace: Writes,
    if_match: IfMatch = None,
) -> Response:
    """Create or replace a constraint; a party may only write its own."""
    check_id(cid)
    expected = if_match_version(if_match)
    stored = airspace.service.put_constraint(
        cid, _editor(principal), expected, lambda owner: body.to_domain(cid, owner)
    )
    response = _json(201 if stored.version == 1 else 200, constraint_json(stored))
    return _receipted(request, response, principal, airspace.written)


@router.get(
    "/constraints",
    responses={200: body(ConstraintListOut, "Own in full, others' as references.")},
)
def list_constraints(
    principal: Reader,
    airspace: Reads,
    store: Store,
    bbox: Annotated[
        str | None,
        Query(
            description="west,south,east,north in degrees (great-circle edges); west greater "
            "than east crosses the antimeridian."
        ),
    ] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    owner: Annotated[str | None, Query(description="An owner, or 'me'.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """Own constraints in full, others' as references (the operator sees all in full)."""
    who = principal.sub if owner == "me" else owner
    window = query_window(start, end)
    area = query_area(bbox, window)
    found, policy = airspace.constraints(_policy(principal), who, window, area, limit)
    _record_shown(store, principal, found, policy, "list")
    return _json(200, {"constraints": [_constraint_view(s, principal, policy) for s in found]})


@router.get(
    "/constraints/{cid}",
    responses={200: body(ConstraintOut | ConstraintReferenceOut, "In full, or a reference.")},
)
def get_constraint(cid: str, principal: Reader, airspace: Reads, store: Store) -> Response:
    found, policy = airspace.constraint(cid, _policy(principal))
    _record_shown(store, principal, [found], policy, "get")
    return _json(200, _constraint_view(found, principal, policy))


@router.delete("/constraints/{cid}", responses={200: body(DeletedOut, "Deleted.")})
def delete_constraint(cid: str, request: Request, principal: Writer, airspace: Writes) -> Response:
    airspace.service.delete_constraint(cid, _editor(principal))
    response = _json(200, {"id": cid, "deleted": True})
    return _receipted(request, response, principal, airspace.written)


# ---------------------------------------------------------------------- zones


def _zone_view(z: AgreedZone, p: Principal, policy: DisclosurePolicy) -> dict[str, Any]:
    if policy.zone_in_full(p.sub, z.parties):
        return zone_json(z)
    return zone_reference_json(z)


@router.put(
    "/zones/{zid}",
    responses={
        200: body(ZoneOut, "Changed: a new version."),
        201: body(ZoneOut, "Created."),
        409: body(ProblemOut, "Stale version (If-Match)."),
    },
)
def put_zone(
    zid: str,
    body: ZoneIn,
    request: Request,
    principal: Operator,
    airspace: Writes,
    if_match: IfMatch = None,
) -> Response:
    """Define or change an agreed zone (operator only): a new version, told to the
    parties of the old and the new sectors."""
    check_id(zid)
    expected = if_match_version(if_match)
    zone = body.to_domain(zid, principal.sub)
    stored, created = airspace.service.put_zone(zone, principal.sub, expected)
    response = _json(201 if created else 200, zone_json(stored))
    return _receipted(request, response, principal, airspace.written)


@router.get(
    "/zones", responses={200: body(ZoneListOut, "In full to its parties, else references.")}
)
def list_zones(
    principal: Reader,
    airspace: Reads,
    start: datetime | None = None,
    end: datetime | None = None,
    party: Annotated[str | None, Query(description="Zones assigning 'me' (or a party).")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    who = principal.sub if party == "me" else party
    window = query_window(start, end)
    found, policy = airspace.zones(principal.sub, _policy(principal), who, window, limit)
    return _json(200, {"zones": [_zone_view(z, principal, policy) for z in found]})


@router.get(
    "/zones/{zid}",
    responses={200: body(ZoneOut | ZoneReferenceOut, "In full, or a reference.")},
)
def get_zone(zid: str, principal: Reader, airspace: Reads) -> Response:
    found, policy = airspace.zone(zid, _policy(principal))
    return _json(200, _zone_view(found, principal, policy))


@router.get("/zones/{zid}/history", responses={200: body(ZoneHistoryOut, "Every version.")})
def zone_history(zid: str, principal: Reader, airspace: Reads) -> Response:
    """Every version, for the operator and the parties any version assigned sectors to."""
    history = airspace.zone_history(zid, _editor(principal))
    return _json(200, zone_history_json(zid, history))


@router.delete("/zones/{zid}", responses={200: body(DeletedOut, "Deleted.")})
def delete_zone(zid: str, principal: Operator, airspace: Writes) -> Response:
    airspace.service.delete_zone(zid, principal.sub)
    return _json(200, {"id": zid, "deleted": True})
