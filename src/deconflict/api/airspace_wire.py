"""The wire form of constraints and agreed zones: request bodies in, JSON out.

Bodies parse into domain objects (``to_domain``), naming the field of any mistake; a
constraint or a zone renders in full (for whom may see it all) or as a reference (for
everyone else: no shape, no list of who else is let in). Which one a viewer gets is the
disclosure policy's to say, in ``api.constraints``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deconflict.airspace.notices import bbox
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.api.wire import (
    GeometryIn,
    Integer,
    Number,
    VolumeIn,
    as_sent,
    volume_json,
    volumes_of,
)
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
from deconflict.model.times import rfc3339

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
        volumes = volumes_of(self.volumes)
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
            volumes,
            validity,
            frozenset(self.allowed_parties),
            self.allowed_min_priority,
            self.name,
            self.details,
        )


def _constraint_identity(s: StoredConstraint) -> dict[str, Any]:
    """What names a constraint, in full and in a reference alike."""
    c = s.constraint
    return {
        "id": c.id,
        "type": c.type.value,
        "owner": c.owner,
        "name": c.name,
        "version": s.version,
    }


def constraint_json(s: StoredConstraint) -> dict[str, Any]:
    """The full constraint: for its owner and the operator."""
    c = s.constraint
    return {
        **_constraint_identity(s),
        "created": rfc3339(s.created),
        "updated": rfc3339(s.updated),
        "valid_start": rfc3339(c.validity.start),
        "valid_end": rfc3339(c.validity.end),
        "allowed_parties": sorted(c.allowed_parties),
        "allowed_min_priority": c.allowed_min_priority,
        "volumes": [volume_json(v) for v in c.volumes],
        "details": c.details,
    }


def constraint_reference_json(s: StoredConstraint, viewer: str) -> dict[str, Any]:
    """What other parties see: no shape, no list of who else is let in."""
    c = s.constraint
    band = c.altitude_extent
    return {
        **_constraint_identity(s),
        "reference": True,
        "valid_start": rfc3339(c.validity.start),
        "valid_end": rfc3339(c.validity.end),
        "altitude_lower_m": band.lower_m,
        "altitude_upper_m": band.upper_m,
        "bbox": bbox([v.footprint for v in c.volumes]),
        # Whether the viewer's party is let in, and the priority that lets anyone in:
        # what a party needs to plan, without the list of who else is.
        "allowed_for_you": c.type is not ConstraintType.NO_FLY
        and (c.type is ConstraintType.ADVISORY or viewer in c.allowed_parties),
        "allowed_min_priority": c.allowed_min_priority,
    }


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
                # In this body's fields (radius_m beside the geometry), not the parser's.
                raise as_sent(exc).within(f"sectors[{k}]") from None
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


def zone_history_json(zone_id: str, history: Sequence[ZoneVersion]) -> dict[str, Any]:
    return {
        "id": zone_id,
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
    }
