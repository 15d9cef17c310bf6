"""``/v1/constraints`` and ``/v1/zones``: imposed airspace and agreed zones.

Who may write: the service operator (scope ``deconflict.admin``) anything; a party
(``deconflict.plan``) its own constraints only. Agreed zones are agreements *between*
parties, so only the operator defines them; zone changes are versioned. Every change to
a constraint or a zone is told to the parties concerned on their event streams
(``core.airspace_events``), through the app's notifier in the change's transaction.
F3548 constraint references created through ``/dss/v1`` are listed here too, and are
enforced, but only the DSS API changes them (403 here).

Who sees what follows the operations' need-to-know rule: the owner (and the operator)
sees a constraint in full; other parties see a reference (type, owner, extent, time,
altitudes), plus whether *they* may enter, which is what they need to plan and says
nothing about whom else the owner lets in. A zone is shown in full to the operator and
to the parties it assigns sectors to; others get a reference. Where exactly an
operation enters a constraint or a zone is in the planner's conflict reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.access.policy import DisclosurePolicy
from deconflict.api import disclosure, receipts
from deconflict.api.disclosure import policy_for
from deconflict.api.limits import limits_of
from deconflict.api.native import ERRORS, _area, _check_id, _version, _window
from deconflict.api.security import require_scopes
from deconflict.api.wire import GeometryIn, Integer, Number, VolumeIn, volume_json
from deconflict.audit.entry import AuditEntry
from deconflict.audit.recording import audited_sink
from deconflict.auth.errors import Forbidden
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.core.airspace_events import bbox
from deconflict.core.engine import NotFound, StaleVersion
from deconflict.core.limits import check_airspace, check_query_area
from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Circle, Footprint
from deconflict.geo.overlap import footprints_conflict
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.io.plan import parse_geometry
from deconflict.model.constraint import (
    EVERYWHERE_ALTITUDE,
    AgreedZone,
    Constraint,
    ConstraintType,
    Sector,
)
from deconflict.model.times import rfc3339
from deconflict.store.constraints import (
    EventSink,
    ManagedByDss,
    SqlAirspace,
    StoredConstraint,
    ZoneVersion,
)
from deconflict.store.sql import SqlSession, SqlStore

Writer = Annotated[Principal, Depends(require_scopes(Scope.PLAN, Scope.ADMIN))]
Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN, Scope.ADMIN))]
Operator = Annotated[Principal, Depends(require_scopes(Scope.ADMIN))]
IfMatch = Annotated[str | None, Header(description="Expected version; 0 = must not exist.")]

router = APIRouter(prefix="/v1", tags=["constraints"], responses=ERRORS)


def _store(request: Request) -> SqlStore:
    store: SqlStore = request.app.state.store
    return store


def _airspace(
    request: Request, session: SqlSession, written: list[AuditEntry] | None = None
) -> SqlAirspace:
    """Writes tell the parties through the app's notifier, so live streams wake up;
    ``written`` collects the audit entries a write appends (for its receipt)."""
    notify = getattr(request.app.state, "notify", None)
    record: EventSink | None = notify.notifier.record_events if notify is not None else None
    if written is not None:
        written.clear()  # the store may run the work again: the last run's entries count
    return SqlAirspace(session, audited_sink(record, written))


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


def _check_expected(kind: str, ident: str, have: int, expected: int | None) -> None:
    if expected is not None and have != expected:
        raise StaleVersion(f"{kind} {ident!r} is at version {have}, not {expected}")


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
    request: Request,
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
    disclosure.record(_store(request), disclosure.shown_objects(p.sub, objects, via))


def _check_writable(
    air: SqlAirspace, cid: str, current: StoredConstraint | None, principal: Principal
) -> None:
    """Owners write their own, the operator anyone's; F3548 ones only through the DSS
    (its OVN, subscribers and notification indices must follow every change)."""
    theirs = current is not None and current.constraint.owner != principal.sub
    if theirs and not _is_operator(principal):
        raise Forbidden(f"constraint {cid!r} belongs to another party")
    try:
        air.check_native(cid)
    except ManagedByDss as exc:
        raise Forbidden(str(exc)) from None


@router.put(
    "/constraints/{cid}",
    responses={201: {"description": "Created"}, 409: {"description": "Stale version"}},
)
def put_constraint(
    cid: str, body: ConstraintIn, request: Request, principal: Writer, if_match: IfMatch = None
) -> Response:
    """Create or replace a constraint; a party may only write its own."""
    _check_id(cid)
    expected = _version(if_match)

    written: list[AuditEntry] = []

    def work(s: SqlSession) -> StoredConstraint:
        air = _airspace(request, s, written)
        current = air.get_constraint(cid)
        _check_writable(air, cid, current, principal)
        _check_expected("constraint", cid, current.version if current else 0, expected)
        owner = current.constraint.owner if current is not None else principal.sub
        planned = body.to_domain(cid, owner)
        check_airspace(
            ((f"volumes[{i}].geometry", v.footprint) for i, v in enumerate(planned.volumes)),
            limits_of(request),
        )
        return air.put_constraint(planned, principal.sub)

    stored = _store(request).run(work)
    response = _json(201 if stored.version == 1 else 200, constraint_json(stored))
    return _receipted(request, response, principal, written)


@router.get("/constraints")
def list_constraints(
    request: Request,
    principal: Reader,
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
    window = _window(start, end)
    area = _area(bbox, window)
    if area is not None:
        check_query_area(area.footprint, "bbox", limits_of(request))
    found, policy = _store(request).run(
        lambda s: (
            SqlAirspace(s).list_constraints(who, window, limit),
            policy_for(s, principal),
        ),
        write=False,
    )
    if area is not None:
        found = [s for s in found if _meets(area, [v.footprint for v in s.constraint.volumes])]
    _record_shown(request, principal, found, policy, "list")
    return _json(200, {"constraints": [_constraint_view(s, principal, policy) for s in found]})


def _meets(area: Volume4D, footprints: list[Footprint]) -> bool:
    return any(footprints_conflict(area.footprint, f) for f in footprints)


@router.get("/constraints/{cid}")
def get_constraint(cid: str, request: Request, principal: Reader) -> Response:
    found, policy = _store(request).run(
        lambda s: (SqlAirspace(s).get_constraint(cid), policy_for(s, principal)), write=False
    )
    if found is None:
        raise NotFound(f"no constraint {cid!r}")
    _record_shown(request, principal, [found], policy, "get")
    return _json(200, _constraint_view(found, principal, policy))


@router.delete("/constraints/{cid}")
def delete_constraint(cid: str, request: Request, principal: Writer) -> Response:
    written: list[AuditEntry] = []

    def work(s: SqlSession) -> None:
        air = _airspace(request, s, written)
        current = air.get_constraint(cid)
        if current is None:
            raise NotFound(f"no constraint {cid!r}")
        _check_writable(air, cid, current, principal)
        air.delete_constraint(cid, principal.sub)

    _store(request).run(work)
    return _receipted(request, _json(200, {"id": cid, "deleted": True}), principal, written)


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
    zid: str, body: ZoneIn, request: Request, principal: Operator, if_match: IfMatch = None
) -> Response:
    """Define or change an agreed zone (operator only): a new version, told to the
    parties of the old and the new sectors."""
    _check_id(zid)
    expected = _version(if_match)
    zone = body.to_domain(zid, principal.sub)
    check_airspace(
        ((f"sectors[{i}]", sector.footprint) for i, sector in enumerate(zone.sectors)),
        limits_of(request),
    )

    written: list[AuditEntry] = []

    def work(s: SqlSession) -> tuple[AgreedZone, bool]:
        air = _airspace(request, s, written)
        current = air.get_zone(zid)
        _check_expected("zone", zid, current.version if current else 0, expected)
        return air.put_zone(zone, principal.sub), current is None

    stored, created = _store(request).run(work)
    return _receipted(
        request, _json(201 if created else 200, zone_json(stored)), principal, written
    )


def _history(request: Request, zid: str) -> list[ZoneVersion]:
    return _store(request).run(lambda s: SqlAirspace(s).zone_history(zid), write=False)


@router.get("/zones")
def list_zones(
    request: Request,
    principal: Reader,
    start: datetime | None = None,
    end: datetime | None = None,
    party: Annotated[str | None, Query(description="Zones assigning 'me' (or a party).")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    who = principal.sub if party == "me" else party
    window = _window(start, end)
    found, policy = _store(request).run(
        lambda s: (SqlAirspace(s).list_zones(who, window, limit), policy_for(s, principal)),
        write=False,
    )
    if who is not None and who != principal.sub:
        # A reference hides whom the sectors go to: filtering by another party may
        # only return zones whose sectors the caller already sees.
        found = [z for z in found if policy.zone_in_full(principal.sub, z.parties)]
    return _json(200, {"zones": [_zone_view(z, principal, policy) for z in found]})


@router.get("/zones/{zid}")
def get_zone(zid: str, request: Request, principal: Reader) -> Response:
    found, policy = _store(request).run(
        lambda s: (SqlAirspace(s).get_zone(zid), policy_for(s, principal)), write=False
    )
    if found is None:
        raise NotFound(f"no zone {zid!r}")
    return _json(200, _zone_view(found, principal, policy))


@router.get("/zones/{zid}/history")
def zone_history(zid: str, request: Request, principal: Reader) -> Response:
    """Every version, for the operator and the parties any version assigned sectors to."""
    history = _history(request, zid)
    if not history:
        raise NotFound(f"no zone {zid!r}")
    concerned = {p for h in history if h.zone is not None for p in h.zone.parties}
    if not _is_operator(principal) and principal.sub not in concerned:
        raise Forbidden(f"zone {zid!r} assigns you no sector")
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
def delete_zone(zid: str, request: Request, principal: Operator) -> Response:
    deleted = _store(request).run(lambda s: _airspace(request, s).delete_zone(zid, principal.sub))
    if not deleted:
        raise NotFound(f"no zone {zid!r}")
    return _json(200, {"id": zid, "deleted": True})
