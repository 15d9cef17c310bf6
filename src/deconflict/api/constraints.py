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
from pydantic import BaseModel, ConfigDict, Field

from deconflict.access.policy import DisclosurePolicy
from deconflict.airspace.changes import Editor
from deconflict.airspace.notices import bbox
from deconflict.airspace.service import AirspaceService
from deconflict.airspace.versions import StoredConstraint
from deconflict.api import disclosure, receipts
from deconflict.api.deps import AppSettings, NotifierDep, Store
from deconflict.api.disclosure import policy_for
from deconflict.api.native import ERRORS
from deconflict.api.params import if_match_version, query_area, query_window
from deconflict.api.security import require_scopes
from deconflict.api.wire import GeometryIn, Integer, Number, VolumeIn, volume_json
from deconflict.audit.entry import AuditEntry
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow
from deconflict.io.plan import parse_geometry
from deconflict.model.constraint import (
    EVERYWHERE_ALTITUDE,
    AgreedZone,
    Constraint,
    ConstraintType,
    Sector,
)
from deconflict.model.ids import check_id
from deconflict.model.times import rfc3339
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
    transactions = SqlAirspaceTransactions(store, record, on_attempt=written.clear)
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


class ConstraintIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: ConstraintType
    volumes: list[VolumeIn] = Field(min_length=1)
    valid_start: datetime | None = Field(None, description="Default: the volumes' start.")
    valid_end: datetime | None = Field(None, description="Default: the volumes' end.")
    allowed_parties: list[str] = Field(
        default_factory=list, description="Restricted only: parties allowed in."
    )
    allowed_min_priority: Integer | None = Field(
        None, description="Restricted only: operations of at least this priority may enter."
    )
    name: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    def to_domain(self, cid: str, owner: str) -> Constraint:
        volumes = []
        for i, v in enumerate(self.volumes):
            try:
                volumes.append(v.to_domain())
            except InvalidInput as exc:
                raise exc.within(f"volumes[{i}]") from None
        start = self.valid_start or min(v.time.start for v in volumes)
        end = self.valid_end or max(v.time.end for v in volumes)
        try:
            validity = TimeWindow(start, end)
        except InvalidInput as exc:
            raise InvalidInput(exc.field.replace("time_", "valid_"), exc.rule) from None
        return Constraint(
            cid,
            self.type,
            owner,
            tuple(volumes),
            validity,
            frozenset(self.allowed_parties),
            self.allowed_min_priority,
            self.name,
            self.details,
        )


def constraint_json(s: StoredConstraint) -> dict[str, Any]:
    """The full constraint: for its owner and the operator."""
    c = s.constraint
    return {
        "id": c.id,
        "type": c.type.value,
        "owner": c.owner,
        "name": c.name,
        "version": s.version,
        "created": rfc3339(s.created),
        "updated": rfc3339(s.updated),
        "valid_start": rfc3339(c.validity.start),
        "valid_end": rfc3339(c.validity.end),
        "allowed_parties": sorted(c.allowed_parties),
        "allowed_min_priority": c.allowed_min_priority,
        "volumes": [volume_json(v) for v in c.volumes],
        "details": c.details,
    }


def constraint_reference_json(s: StoredConstraint, viewer: Principal) -> dict[str, Any]:
    """What other parties see: no shape, no list of who else is let in."""
    c = s.constraint
    band = c.altitude_extent
    return {
        "id": c.id,
        "type": c.type.value,
        "owner": c.owner,
        "name": c.name,
        "version": s.version,
        "reference": True,
        "valid_start": rfc3339(c.validity.start),
        "valid_end": rfc3339(c.validity.end),
        "altitude_lower_m": band.lower_m,
        "altitude_upper_m": band.upper_m,
        "bbox": bbox([v.footprint for v in c.volumes]),
        # Whether the viewer's party is let in, and the priority that lets anyone in:
        # what a party needs to plan, without the list of who else is.
        "allowed_for_you": c.type is not ConstraintType.NO_FLY
        and (c.type is ConstraintType.ADVISORY or viewer.sub in c.allowed_parties),
        "allowed_min_priority": c.allowed_min_priority,
    }


def _constraint_view(s: StoredConstraint, p: Principal, policy: DisclosurePolicy) -> dict[str, Any]:
    if policy.constraint_in_full(p.sub, s.constraint.owner):
        return constraint_json(s)
    return constraint_reference_json(s, p)


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
    responses={201: {"description": "Created"}, 409: {"description": "Stale version"}},
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


@router.get("/constraints")
def list_constraints(
    principal: Reader,
    airspace: Reads,
    store: Store,
    bbox: Annotated[
        str | None, Query(description="west,south,east,north in degrees (great-circle edges).")
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


@router.get("/constraints/{cid}")
def get_constraint(cid: str, principal: Reader, airspace: Reads, store: Store) -> Response:
    found, policy = airspace.constraint(cid, _policy(principal))
    _record_shown(store, principal, [found], policy, "get")
    return _json(200, _constraint_view(found, principal, policy))


@router.delete("/constraints/{cid}")
def delete_constraint(cid: str, request: Request, principal: Writer, airspace: Writes) -> Response:
    airspace.service.delete_constraint(cid, _editor(principal))
    response = _json(200, {"id": cid, "deleted": True})
    return _receipted(request, response, principal, airspace.written)


# ---------------------------------------------------------------------- zones


class SectorIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    geometry: GeometryIn
    radius_m: Number | None = Field(None, description="Circle radius when geometry is a Point.")
    party: str = Field(min_length=1, description="The one party allowed in this sector.")


class ZoneIn(BaseModel):
    """Either ``sectors``, or a ``line`` with ``width_m`` and the parties on each side."""

    model_config = ConfigDict(extra="ignore")
    sectors: list[SectorIn] | None = None
    line: list[list[Number]] | None = Field(
        None, description="[lon, lat] positions joined by great-circle arcs."
    )
    width_m: Number | None = Field(None, description="Depth of each sector beside the line.")
    left_party: str | None = Field(None, description="Left of the line, walking along it.")
    right_party: str | None = None
    valid_start: datetime
    valid_end: datetime
    altitude_lower_m: Number | None = None
    altitude_upper_m: Number | None = None
    name: str = ""

    def to_domain(self, zid: str, owner: str) -> AgreedZone:
        try:
            validity = TimeWindow(self.valid_start, self.valid_end)
        except InvalidInput as exc:
            raise InvalidInput(exc.field.replace("time_", "valid_"), exc.rule) from None
        altitude = EVERYWHERE_ALTITUDE
        if self.altitude_lower_m is not None or self.altitude_upper_m is not None:
            if self.altitude_lower_m is None or self.altitude_upper_m is None:
                raise InvalidInput("altitude_lower_m", "give both altitudes, or neither")
            altitude = AltitudeBand(self.altitude_lower_m, self.altitude_upper_m)
        if (self.sectors is None) == (self.line is None):
            raise InvalidInput("sectors", "give either sectors or a line, not both")
        if self.line is not None:
            if self.width_m is None or not self.left_party or not self.right_party:
                raise InvalidInput("line", "a line needs width_m, left_party and right_party")
            return AgreedZone.from_line(
                zid,
                owner,
                self.line,
                self.width_m,
                self.left_party,
                self.right_party,
                validity,
                altitude,
                self.name,
            )
        assert self.sectors is not None
        sectors = []
        for k, s in enumerate(self.sectors):
            props = {"radius_m": s.radius_m} if s.radius_m is not None else {}
            try:
                sectors.append(Sector(parse_geometry(s.geometry.model_dump(), props), s.party))
            except InvalidInput as exc:
                raise exc.within(f"sectors[{k}]") from None
        return AgreedZone(zid, owner, tuple(sectors), validity, altitude, self.name)


def zone_json(z: AgreedZone) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": z.id,
        "owner": z.owner,
        "name": z.name,
        "version": z.version,
        "valid_start": rfc3339(z.validity.start),
        "valid_end": rfc3339(z.validity.end),
        "sectors": [_sector_json(s) for s in z.sectors],
    }
    if z.altitude != EVERYWHERE_ALTITUDE:
        out["altitude_lower_m"] = z.altitude.lower_m
        out["altitude_upper_m"] = z.altitude.upper_m
    return out


def _sector_json(s: Sector) -> dict[str, Any]:
    out: dict[str, Any] = {"party": s.party, "geometry": s.footprint.to_geojson()}
    if isinstance(s.footprint, Circle):
        out["radius_m"] = s.footprint.radius_m
    return out


def zone_reference_json(z: AgreedZone) -> dict[str, Any]:
    return {
        "id": z.id,
        "owner": z.owner,
        "name": z.name,
        "version": z.version,
        "reference": True,
        "valid_start": rfc3339(z.validity.start),
        "valid_end": rfc3339(z.validity.end),
        "altitude_lower_m": z.altitude.lower_m,
        "altitude_upper_m": z.altitude.upper_m,
        "bbox": bbox([s.footprint for s in z.sectors]),
    }


def _zone_view(z: AgreedZone, p: Principal, policy: DisclosurePolicy) -> dict[str, Any]:
    if policy.zone_in_full(p.sub, z.parties):
        return zone_json(z)
    return zone_reference_json(z)


@router.put(
    "/zones/{zid}",
    responses={201: {"description": "Created"}, 409: {"description": "Stale version"}},
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


@router.get("/zones")
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


@router.get("/zones/{zid}")
def get_zone(zid: str, principal: Reader, airspace: Reads) -> Response:
    found, policy = airspace.zone(zid, _policy(principal))
    return _json(200, _zone_view(found, principal, policy))


@router.get("/zones/{zid}/history")
def zone_history(zid: str, principal: Reader, airspace: Reads) -> Response:
    """Every version, for the operator and the parties any version assigned sectors to."""
    history = airspace.zone_history(zid, _editor(principal))
    return _json(
        200,
        {
            "id": zid,
            "versions": [
                {
                    "version": h.version,
                    "deleted": h.deleted,
                    "changed_by": h.changed_by,
                    "changed": rfc3339(h.changed),
                    "zone": zone_json(h.zone) if h.zone is not None else None,
                }
                for h in history
            ],
        },
    )


@router.delete("/zones/{zid}")
def delete_zone(zid: str, principal: Operator, airspace: Writes) -> Response:
    airspace.service.delete_zone(zid, principal.sub)
    return _json(200, {"id": zid, "deleted": True})
