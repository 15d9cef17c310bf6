"""Constraints and agreed zones in SQL, inside the caller's transaction.

``SqlAirspace`` wraps a ``SqlSession``'s connection, like ``SqlDssSession``: the
strategic engine checks an operation against the constraints and zones in force in the
same serializable transaction that writes it, so a no-fly zone created concurrently
either is seen by the check or is created after the operation (and then reports it).

Candidate search is the operations' one: an ``IN`` list of level-13 cells of the grown
footprint (``cells_of``), then time and altitude filters, then the exact test in core.

A zone change writes, in the same transaction, a new row in ``agreed_zone_versions`` and
one event per party concerned (the parties of the old and the new sectors) in the
per-party event log of ``schema_notify``, so no party can miss a change to a line it
agreed to, and no event is ever sent for a change that rolled back.

How these relate to the F3548 constraint references of the DSS API (``store.dss``,
``dss_constraints``): an F3548 reference is a pointer a USS publishes to constraint
details held on its own server; the DSS never sees the rules and never judges an
intent against them (USSs do). Native constraints carry their rules here, and the
native planner enforces them. The two are deliberately separate tables: publishing a
native constraint as an F3548 reference would need a ``uss_base_url`` that serves its
details (``GET /uss/v1/constraints/{id}``), which the service does not implement, and a
USS-managed reference has no type or allowed parties to enforce.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from deconflict.geo.footprint import Footprint
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint, ConstraintType, Sector
from deconflict.store.base import StoreSession
from deconflict.store.codec import (
    footprint_from_text,
    footprint_to_text,
    from_us,
    to_us,
    volume_from_row,
)
from deconflict.store.outbox import NewEvent, append_events
from deconflict.store.schema_constraints import (
    agreed_zone_cells,
    agreed_zone_sectors,
    agreed_zone_versions,
    agreed_zones,
    airspace_constraint_cells,
    airspace_constraint_volumes,
    airspace_constraints,
)
from deconflict.store.sql import IN_CHUNK, SqlSession, cells_of

ZONE_CHANGED = "zone.changed"
ZONE_DELETED = "zone.deleted"


@dataclass(frozen=True)
class StoredConstraint:
    constraint: Constraint
    version: int
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class ZoneVersion:
    """One entry of a zone's history; ``zone`` is None for the deletion."""

    zone_id: str
    version: int
    deleted: bool
    changed_by: str
    changed: datetime
    zone: AgreedZone | None


def _chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    ordered = sorted(values)
    for k in range(0, len(ordered), IN_CHUNK):
        yield ordered[k : k + IN_CHUNK]


class SqlAirspace:
    """The ``AirspaceLookup`` of the core plus reads and writes of constraints and zones."""

    def __init__(self, session: SqlSession | Connection) -> None:
        self.conn: Connection = session.conn if isinstance(session, SqlSession) else session

    # ----------------------------------------------------------- constraints

    def get_constraint(self, constraint_id: str) -> StoredConstraint | None:
        rows = self.conn.execute(
            select(airspace_constraints).where(airspace_constraints.c.id == constraint_id)
        ).all()
        found = self._constraints(rows)
        return found[0] if found else None

    def put_constraint(self, c: Constraint) -> StoredConstraint:
        """Insert, or replace the constraint with the same id (version + 1)."""
        now = datetime.now(UTC)
        old = self.conn.execute(
            select(airspace_constraints.c.version, airspace_constraints.c.created_us).where(
                airspace_constraints.c.id == c.id
            )
        ).first()
        values = {
            "type": c.type.value,
            "owner": c.owner,
            "name": c.name,
            "allowed_parties": orjson.dumps(sorted(c.allowed_parties)).decode(),
            "allowed_min_priority": c.allowed_min_priority,
            "valid_start_us": to_us(c.validity.start),
            "valid_end_us": to_us(c.validity.end),
            "details": orjson.dumps(c.details).decode(),
            "updated_us": to_us(now),
        }
        if old is None:
            version, created_us = 1, to_us(now)
            self.conn.execute(
                insert(airspace_constraints),
                {"id": c.id, "version": version, "created_us": created_us, **values},
            )
        else:
            version, created_us = old.version + 1, old.created_us
            self.conn.execute(
                update(airspace_constraints)
                .where(airspace_constraints.c.id == c.id)
                .values(version=version, **values)
            )
            self._drop_constraint_volumes(c.id)
        self.conn.execute(
            insert(airspace_constraint_volumes),
            [
                {
                    "constraint_id": c.id,
                    "idx": i,
                    "time_start_us": to_us(v.time.start),
                    "time_end_us": to_us(v.time.end),
                    "altitude_lower_m": v.altitude.lower_m,
                    "altitude_upper_m": v.altitude.upper_m,
                    "footprint": footprint_to_text(v.footprint),
                }
                for i, v in enumerate(c.volumes)
            ],
        )
        self.conn.execute(
            insert(airspace_constraint_cells),
            [
                {"cell": cell, "constraint_id": c.id, "idx": i}
                for i, v in enumerate(c.volumes)
                for cell in cells_of(v.footprint)
            ],
        )
        return StoredConstraint(c, version, from_us(created_us), now)

    def _drop_constraint_volumes(self, constraint_id: str) -> None:
        self.conn.execute(
            delete(airspace_constraint_cells).where(
                airspace_constraint_cells.c.constraint_id == constraint_id
            )
        )
        self.conn.execute(
            delete(airspace_constraint_volumes).where(
                airspace_constraint_volumes.c.constraint_id == constraint_id
            )
        )

    def delete_constraint(self, constraint_id: str) -> bool:
        self._drop_constraint_volumes(constraint_id)
        result = self.conn.execute(
            delete(airspace_constraints).where(airspace_constraints.c.id == constraint_id)
        )
        return bool(result.rowcount)

    def list_constraints(
        self, owner: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[StoredConstraint]:
        stmt = select(airspace_constraints).order_by(airspace_constraints.c.id).limit(limit)
        if owner is not None:
            stmt = stmt.where(airspace_constraints.c.owner == owner)
        if window is not None:
            stmt = stmt.where(airspace_constraints.c.valid_start_us <= to_us(window.end))
            stmt = stmt.where(airspace_constraints.c.valid_end_us >= to_us(window.start))
        return self._constraints(self.conn.execute(stmt).all())

    def constraints_near(self, volume: Volume4D) -> list[Constraint]:
        t = airspace_constraints
        ids: set[str] = set()
        bounds = _bounds(volume)
        for chunk in _chunks(cells_of(volume.footprint)):
            found = self.conn.execute(_CONSTRAINTS_NEAR, {"cells": list(chunk), **bounds})
            ids.update(r[0] for r in found)
        if not ids:
            return []
        rows: list[Any] = []
        for chunk in _chunks(ids):
            rows.extend(self.conn.execute(select(t).where(t.c.id.in_(chunk))).all())
        return [s.constraint for s in self._constraints(rows)]

    def _constraints(self, rows: Sequence[Any]) -> list[StoredConstraint]:
        if not rows:
            return []
        vols: dict[str, list[Volume4D]] = {r.id: [] for r in rows}
        v = airspace_constraint_volumes
        for chunk in _chunks(vols):
            for row in self.conn.execute(
                select(v).where(v.c.constraint_id.in_(chunk)).order_by(v.c.constraint_id, v.c.idx)
            ):
                vols[row.constraint_id].append(volume_from_row(row))
        return [
            StoredConstraint(
                Constraint(
                    id=r.id,
                    type=ConstraintType(r.type),
                    owner=r.owner,
                    volumes=tuple(vols[r.id]),
                    validity=TimeWindow(from_us(r.valid_start_us), from_us(r.valid_end_us)),
                    allowed_parties=frozenset(orjson.loads(r.allowed_parties)),
                    allowed_min_priority=r.allowed_min_priority,
                    name=r.name,
                    details=orjson.loads(r.details),
                ),
                r.version,
                from_us(r.created_us),
                from_us(r.updated_us),
            )
            for r in sorted(rows, key=lambda r: r.id)
        ]

    # ----------------------------------------------------------------- zones

    def get_zone(self, zone_id: str) -> AgreedZone | None:
        rows = self.conn.execute(select(agreed_zones).where(agreed_zones.c.id == zone_id)).all()
        found = self._zones(rows)
        return found[0] if found else None

    def put_zone(self, zone: AgreedZone, changed_by: str) -> AgreedZone:
        """Write a new version of ``zone`` (its ``version`` field is ignored); the parties
        of the old and the new sectors are each told in their event log."""
        now = datetime.now(UTC)
        old = self.get_zone(zone.id)
        version = self._next_version(zone.id)
        values = {
            "owner": zone.owner,
            "version": version,
            "name": zone.name,
            "valid_start_us": to_us(zone.validity.start),
            "valid_end_us": to_us(zone.validity.end),
            "altitude_lower_m": zone.altitude.lower_m,
            "altitude_upper_m": zone.altitude.upper_m,
            "updated_us": to_us(now),
        }
        if old is None:
            self.conn.execute(
                insert(agreed_zones), {"id": zone.id, "created_us": to_us(now), **values}
            )
        else:
            self.conn.execute(
                update(agreed_zones).where(agreed_zones.c.id == zone.id).values(**values)
            )
            self._drop_sectors(zone.id)
        self.conn.execute(
            insert(agreed_zone_sectors),
            [
                {
                    "zone_id": zone.id,
                    "idx": i,
                    "party": s.party,
                    "footprint": footprint_to_text(s.footprint),
                }
                for i, s in enumerate(zone.sectors)
            ],
        )
        self.conn.execute(
            insert(agreed_zone_cells),
            [
                {"cell": cell, "zone_id": zone.id, "idx": i}
                for i, s in enumerate(zone.sectors)
                for cell in cells_of(s.footprint)
            ],
        )
        stored = AgreedZone(
            zone.id, zone.owner, zone.sectors, zone.validity, zone.altitude, zone.name, version
        )
        body = zone_to_dict(stored)
        self._record(zone.id, version, False, changed_by, now, body)
        concerned = stored.parties | (old.parties if old is not None else frozenset())
        event = {"zone": zone.id, "version": version, "changed_by": changed_by}
        for party in sorted(concerned):
            self._event(party, ZONE_CHANGED, event, now)
        return stored

    def delete_zone(self, zone_id: str, changed_by: str) -> bool:
        old = self.get_zone(zone_id)
        if old is None:
            return False
        now = datetime.now(UTC)
        self._drop_sectors(zone_id)
        self.conn.execute(delete(agreed_zones).where(agreed_zones.c.id == zone_id))
        version = self._next_version(zone_id)
        self._record(zone_id, version, True, changed_by, now, {"id": zone_id})
        event = {"zone": zone_id, "version": version, "changed_by": changed_by}
        for party in sorted(old.parties):
            self._event(party, ZONE_DELETED, event, now)
        return True

    def _drop_sectors(self, zone_id: str) -> None:
        self.conn.execute(delete(agreed_zone_cells).where(agreed_zone_cells.c.zone_id == zone_id))
        self.conn.execute(
            delete(agreed_zone_sectors).where(agreed_zone_sectors.c.zone_id == zone_id)
        )

    def _next_version(self, zone_id: str) -> int:
        """Versions come from the history, not the current row: a zone deleted and
        created again continues its numbering, so a version names one content forever."""
        last = self.conn.execute(
            select(agreed_zone_versions.c.version)
            .where(agreed_zone_versions.c.zone_id == zone_id)
            .order_by(agreed_zone_versions.c.version.desc())
            .limit(1)
        ).scalar()
        return int(last or 0) + 1

    def _record(
        self,
        zone_id: str,
        version: int,
        deleted: bool,
        changed_by: str,
        now: datetime,
        body: dict[str, Any],
    ) -> None:
        self.conn.execute(
            insert(agreed_zone_versions),
            {
                "zone_id": zone_id,
                "version": version,
                "deleted": deleted,
                "changed_by": changed_by,
                "changed_us": to_us(now),
                "body": orjson.dumps(body).decode(),
            },
        )

    def _event(self, party: str, kind: str, body: dict[str, Any], now: datetime) -> None:
        """Into ``party``'s event log (``/v1/events``), in this transaction."""
        append_events(self.conn, [NewEvent(party, kind, orjson.dumps(body).decode())], to_us(now))

    def zone_history(self, zone_id: str) -> list[ZoneVersion]:
        rows = self.conn.execute(
            select(agreed_zone_versions)
            .where(agreed_zone_versions.c.zone_id == zone_id)
            .order_by(agreed_zone_versions.c.version)
        ).all()
        return [
            ZoneVersion(
                r.zone_id,
                r.version,
                bool(r.deleted),
                r.changed_by,
                from_us(r.changed_us),
                None if r.deleted else zone_from_dict(orjson.loads(r.body)),
            )
            for r in rows
        ]

    def list_zones(
        self, party: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[AgreedZone]:
        stmt = select(agreed_zones).order_by(agreed_zones.c.id).limit(limit)
        if party is not None:
            mine = select(agreed_zone_sectors.c.zone_id).where(agreed_zone_sectors.c.party == party)
            stmt = stmt.where(agreed_zones.c.id.in_(mine))
        if window is not None:
            stmt = stmt.where(agreed_zones.c.valid_start_us <= to_us(window.end))
            stmt = stmt.where(agreed_zones.c.valid_end_us >= to_us(window.start))
        return self._zones(self.conn.execute(stmt).all())

    def zones_near(self, volume: Volume4D) -> list[AgreedZone]:
        z = agreed_zones
        ids: set[str] = set()
        bounds = _bounds(volume)
        for chunk in _chunks(cells_of(volume.footprint)):
            found = self.conn.execute(_ZONES_NEAR, {"cells": list(chunk), **bounds})
            ids.update(r[0] for r in found)
        rows: list[Any] = []
        for chunk in _chunks(ids):
            rows.extend(self.conn.execute(select(z).where(z.c.id.in_(chunk))).all())
        return self._zones(rows)

    def _zones(self, rows: Sequence[Any]) -> list[AgreedZone]:
        if not rows:
            return []
        sectors: dict[str, list[Sector]] = {r.id: [] for r in rows}
        s = agreed_zone_sectors
        for chunk in _chunks(sectors):
            for row in self.conn.execute(
                select(s).where(s.c.zone_id.in_(chunk)).order_by(s.c.zone_id, s.c.idx)
            ):
                sectors[row.zone_id].append(Sector(footprint_from_text(row.footprint), row.party))
        return [
            AgreedZone(
                r.id,
                r.owner,
                tuple(sectors[r.id]),
                TimeWindow(from_us(r.valid_start_us), from_us(r.valid_end_us)),
                AltitudeBand(r.altitude_lower_m, r.altitude_upper_m),
                r.name,
                r.version,
            )
            for r in sorted(rows, key=lambda r: r.id)
        ]


def airspace_of(session: StoreSession) -> SqlAirspace:
    """The engine's ``airspace`` hook: constraints and zones in the session's transaction."""
    if not isinstance(session, SqlSession):
        raise TypeError(f"SqlAirspace needs a SqlSession, got {type(session).__name__}")
    return SqlAirspace(session)


def zone_to_dict(zone: AgreedZone) -> dict[str, Any]:
    """The storage form of a zone version (history rows), footprints as in ``codec``."""
    return {
        "id": zone.id,
        "owner": zone.owner,
        "name": zone.name,
        "version": zone.version,
        "valid_start_us": to_us(zone.validity.start),
        "valid_end_us": to_us(zone.validity.end),
        "altitude": [zone.altitude.lower_m, zone.altitude.upper_m],
        "sectors": [
            {"party": s.party, "footprint": orjson.loads(footprint_to_text(s.footprint))}
            for s in zone.sectors
        ],
    }


def zone_from_dict(data: dict[str, Any]) -> AgreedZone:
    def footprint(raw: Any) -> Footprint:
        return footprint_from_text(orjson.dumps(raw).decode())

    return AgreedZone(
        data["id"],
        data["owner"],
        tuple(Sector(footprint(s["footprint"]), s["party"]) for s in data["sectors"]),
        TimeWindow(from_us(data["valid_start_us"]), from_us(data["valid_end_us"])),
        AltitudeBand(*data["altitude"]),
        data["name"],
        data["version"],
    )


def _bounds(volume: Volume4D) -> dict[str, Any]:
    return {
        "t0": to_us(volume.time.start),
        "t1": to_us(volume.time.end),
        "lo": volume.altitude.lower_m,
        "hi": volume.altitude.upper_m,
    }


# Built once: a Core expression costs more to construct than SQLite takes to run it, and
# these two run on every planned volume.
_CONSTRAINTS_NEAR = (
    select(airspace_constraint_cells.c.constraint_id)
    .join(
        airspace_constraint_volumes,
        (airspace_constraint_volumes.c.constraint_id == airspace_constraint_cells.c.constraint_id)
        & (airspace_constraint_volumes.c.idx == airspace_constraint_cells.c.idx),
    )
    .join(
        airspace_constraints,
        airspace_constraints.c.id == airspace_constraint_volumes.c.constraint_id,
    )
    .where(airspace_constraint_cells.c.cell.in_(bindparam("cells", expanding=True)))
    .where(airspace_constraint_volumes.c.time_start_us <= bindparam("t1"))
    .where(airspace_constraint_volumes.c.time_end_us >= bindparam("t0"))
    .where(airspace_constraints.c.valid_start_us <= bindparam("t1"))
    .where(airspace_constraints.c.valid_end_us >= bindparam("t0"))
    .where(airspace_constraint_volumes.c.altitude_lower_m <= bindparam("hi"))
    .where(airspace_constraint_volumes.c.altitude_upper_m >= bindparam("lo"))
    .distinct()
)
_ZONES_NEAR = (
    select(agreed_zone_cells.c.zone_id)
    .join(agreed_zones, agreed_zones.c.id == agreed_zone_cells.c.zone_id)
    .where(agreed_zone_cells.c.cell.in_(bindparam("cells", expanding=True)))
    .where(agreed_zones.c.valid_start_us <= bindparam("t1"))
    .where(agreed_zones.c.valid_end_us >= bindparam("t0"))
    .where(agreed_zones.c.altitude_lower_m <= bindparam("hi"))
    .where(agreed_zones.c.altitude_upper_m >= bindparam("lo"))
    .distinct()
)
