"""Constraints and agreed zones in SQL, inside the caller's transaction.

``SqlAirspaceBook`` is the airspace feature's ``AirspaceBook`` port (``airspace.ports``)
on a ``SqlSession``'s connection, like ``SqlDssSession``: the strategic engine checks an
operation against the constraints and zones in force in the same serializable
transaction that writes it, so a no-fly zone created concurrently either is seen by the
check or is created after the operation (and then reports it). ``SqlAirspace`` adds the
changes (``airspace.service.AirspaceChanges``: versions, zone history, the parties told)
for callers that hold a session: the DSS adapter, the engine's lookup, the tests.
``SqlAirspaceTransactions`` is the feature's ``Transactions`` port on a ``SqlStore``.

Candidate search is the operations' one: the cells of the grown footprint's covering
(``cells_of``) through ``store.cellindex``, then time and altitude filters, then the
exact test in core.

The parties concerned by a change (``airspace.notices``) are told through ``record``:
the app's ``Notifier.record_events``, which also wakes live event streams; by default
the events are appended to the party event log directly, in the change's transaction.

F3548 constraint references (``store.dss``) are constraints here too: the DSS writes
them with ``put_constraint(..., dss=True)`` next to its ``dss_constraints`` row (OVN,
USS base URL), as an intent reference is an operation next to its ``dss_intents`` row.
So the planner enforces them, and the two APIs cannot overwrite each other's: a native
write to a constraint the DSS manages is refused (``ManagedByDss``), and the DSS finds
native ids taken. A native constraint gets, when first written, the random F3548 id
USSs know it by (``native_constraints``; ``store.dss`` shows the restricted and no-fly
ones to USSs as references the service manages).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Table, delete, insert, literal_column, select, update

from deconflict.airspace.notices import PartyEvent
from deconflict.airspace.ports import AirspaceBook
from deconflict.airspace.service import AirspaceChanges
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.core.ports import StoreSession
from deconflict.errors import ManagedByDss as ManagedByDss  # importers move to errors
from deconflict.geo.covering import cells_of
from deconflict.geo.footprint import Footprint
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint, ConstraintType, Sector
from deconflict.model.operation import Operation
from deconflict.store.cellindex import (
    cell_search,
    chunks,
    ids_in_cells,
    rows_by_id,
    union_searches,
    volume_bounds,
)
from deconflict.store.codec import (
    footprint_from_text,
    footprint_to_text,
    from_us,
    reading_stored,
    to_us,
    volume_from_row,
    volume_row,
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
from deconflict.store.schema_dss import dss_constraints, native_constraints
from deconflict.store.sql import SqlSession, SqlStore

T = TypeVar("T")

EventSink = Callable[[Any, list[NewEvent]], None]
"""``Notifier.record_events``: called with this ``SqlAirspaceBook`` (it has ``conn``)."""
UssHook = Callable[[Any, str, Constraint | None, Constraint | None], None]
"""``Notifier.native_constraint_changed``: called with this ``SqlAirspaceBook``."""


@dataclass(frozen=True)
class _Pieces:
    """A table of numbered pieces of a row (``idx`` within ``owner``) and their cells."""

    table: Table
    cells: Table
    owner: str


_CONSTRAINT_PIECES = _Pieces(
    airspace_constraint_volumes, airspace_constraint_cells, "constraint_id"
)
_ZONE_PIECES = _Pieces(agreed_zone_sectors, agreed_zone_cells, "zone_id")


def append_now(session: Any, events: list[NewEvent]) -> None:
    """The default sink: straight into the party event log, in the caller's transaction."""
    append_events(session.conn, events, to_us(datetime.now(UTC)))


class SqlAirspaceBook:
    """The ``AirspaceLookup`` of the core and the ``AirspaceBook`` of the feature: rows
    of constraints, zones and zone histories, no rules."""

    def __init__(
        self,
        session: SqlSession | Connection,
        record: EventSink | None = None,
        tell_usss: UssHook | None = None,
    ) -> None:
        self.conn: Connection = session.conn if isinstance(session, SqlSession) else session
        self.record = record or append_now
        self._tell_usss = tell_usss

    def tell_usss(self, constraint_id: str, old: Constraint | None, new: Constraint | None) -> None:
        if self._tell_usss is not None:
            self._tell_usss(self, constraint_id, old, new)

    def tell(self, events: Sequence[PartyEvent]) -> None:
        if events:
            self.record(
                self, [NewEvent(e.party, e.kind, orjson.dumps(e.body).decode()) for e in events]
            )

    def operations_near(self, volumes: Iterable[Volume4D]) -> list[Operation]:
        ops = SqlSession(self.conn)
        return [s.operation for v in volumes for s in ops.candidates(v)]

    def dss_manager(self, constraint_id: str) -> str | None:
        return self.conn.execute(
            select(dss_constraints.c.manager).where(dss_constraints.c.id == constraint_id)
        ).scalar()

    # ----------------------------------------------------------- constraints

    def get_constraint(self, constraint_id: str) -> StoredConstraint | None:
        rows = self.conn.execute(
            select(airspace_constraints).where(airspace_constraints.c.id == constraint_id)
        ).all()
        found = self._constraints(rows)
        return found[0] if found else None

    def write_constraint(
        self, stored: StoredConstraint, *, replace: bool, native: bool = True
    ) -> None:
        c = stored.constraint
        values = {
            "type": c.type.value,
            "owner": c.owner,
            "name": c.name,
            "version": stored.version,
            "allowed_parties": orjson.dumps(sorted(c.allowed_parties)).decode(),
            "allowed_min_priority": c.allowed_min_priority,
            "valid_start_us": to_us(c.validity.start),
            "valid_end_us": to_us(c.validity.end),
            "details": orjson.dumps(c.details).decode(),
            "updated_us": to_us(stored.updated),
        }
        self._upsert(airspace_constraints, c.id, values, to_us(stored.created), replace=replace)
        self._write_pieces(
            _CONSTRAINT_PIECES,
            c.id,
            [volume_row(c.id, i, v, owner="constraint_id") for i, v in enumerate(c.volumes)],
            [v.footprint for v in c.volumes],
            replace=replace,
        )
        if native and not replace:
            # The random F3548 id USSs will know it by (``dss.native_constraints``).
            self.conn.execute(
                insert(native_constraints).values(
                    constraint_id=c.id, reference_id=str(uuid.uuid4())
                )
            )

    def remove_constraint(self, constraint_id: str) -> None:
        self._drop_pieces(_CONSTRAINT_PIECES, constraint_id)
        self.conn.execute(
            delete(airspace_constraints).where(airspace_constraints.c.id == constraint_id)
        )

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

    def near(self, volume: Volume4D) -> tuple[list[Constraint], list[AgreedZone]]:
        found = ids_in_cells(
            self.conn, _AIRSPACE_NEAR, cells_of(volume.footprint), volume_bounds(volume), columns=2
        )
        constraints = [k for k, kind in found if kind == "c"]
        zones = [k for k, kind in found if kind == "z"]
        return (
            [s.constraint for s in self.constraints_by_id(constraints)] if constraints else [],
            self._zones(rows_by_id(self.conn, agreed_zones, zones)) if zones else [],
        )

    def constraints_by_id(self, ids: Iterable[str]) -> list[StoredConstraint]:
        return self._constraints(rows_by_id(self.conn, airspace_constraints, set(ids)))

    def _constraints(self, rows: Sequence[Any]) -> list[StoredConstraint]:
        if not rows:
            return []
        vols: dict[str, list[Volume4D]] = {r.id: [] for r in rows}
        for row in self._pieces(_CONSTRAINT_PIECES, vols):
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

    def write_zone(self, zone: AgreedZone, at: datetime, *, replace: bool) -> None:
        values = {
            "owner": zone.owner,
            "version": zone.version,
            "name": zone.name,
            "valid_start_us": to_us(zone.validity.start),
            "valid_end_us": to_us(zone.validity.end),
            "altitude_lower_m": zone.altitude.lower_m,
            "altitude_upper_m": zone.altitude.upper_m,
            "updated_us": to_us(at),
        }
        self._upsert(agreed_zones, zone.id, values, to_us(at), replace=replace)
        self._write_pieces(
            _ZONE_PIECES,
            zone.id,
            [
                {
                    "zone_id": zone.id,
                    "idx": i,
                    "party": s.party,
                    "footprint": footprint_to_text(s.footprint),
                }
                for i, s in enumerate(zone.sectors)
            ],
            [s.footprint for s in zone.sectors],
            replace=replace,
        )

    def remove_zone(self, zone_id: str) -> None:
        self._drop_pieces(_ZONE_PIECES, zone_id)
        self.conn.execute(delete(agreed_zones).where(agreed_zones.c.id == zone_id))

    def last_zone_version(self, zone_id: str) -> int:
        last = self.conn.execute(
            select(agreed_zone_versions.c.version)
            .where(agreed_zone_versions.c.zone_id == zone_id)
            .order_by(agreed_zone_versions.c.version.desc())
            .limit(1)
        ).scalar()
        return int(last or 0)

    def add_zone_version(self, entry: ZoneVersion) -> None:
        body = zone_to_dict(entry.zone) if entry.zone is not None else {"id": entry.zone_id}
        self.conn.execute(
            insert(agreed_zone_versions),
            {
                "zone_id": entry.zone_id,
                "version": entry.version,
                "deleted": entry.deleted,
                "changed_by": entry.changed_by,
                "changed_us": to_us(entry.changed),
                "body": orjson.dumps(body).decode(),
            },
        )

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

    def _zones(self, rows: Sequence[Any]) -> list[AgreedZone]:
        if not rows:
            return []
        sectors: dict[str, list[Sector]] = {r.id: [] for r in rows}
        for row in self._pieces(_ZONE_PIECES, sectors):
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

    # ---------------------------------------------- rows with numbered pieces

    def _upsert(
        self, table: Table, key: str, values: dict[str, Any], created_us: int, *, replace: bool
    ) -> None:
        """Change the row ``key`` in place, or insert it with its creation time."""
        if replace:
            self.conn.execute(update(table).where(table.c.id == key).values(**values))
        else:
            self.conn.execute(insert(table), {"id": key, "created_us": created_us, **values})

    def _write_pieces(
        self,
        pieces: _Pieces,
        key: str,
        rows: list[dict[str, Any]],
        footprints: list[Footprint],
        *,
        replace: bool,
    ) -> None:
        """Write the pieces of ``key`` (volumes, sectors) and their cell index, in place
        of the old ones when ``replace``."""
        if replace:
            self._drop_pieces(pieces, key)
        self.conn.execute(insert(pieces.table), rows)
        self.conn.execute(
            insert(pieces.cells),
            [
                {"cell": cell, pieces.owner: key, "idx": i}
                for i, footprint in enumerate(footprints)
                for cell in cells_of(footprint)
            ],
        )

    def _drop_pieces(self, pieces: _Pieces, key: str) -> None:
        self.conn.execute(delete(pieces.cells).where(pieces.cells.c[pieces.owner] == key))
        self.conn.execute(delete(pieces.table).where(pieces.table.c[pieces.owner] == key))

    def _pieces(self, pieces: _Pieces, keys: Collection[str]) -> Iterator[Any]:
        """The pieces of ``keys``, by owner then ``idx``."""
        owner = pieces.table.c[pieces.owner]
        for chunk in chunks(keys):
            yield from self.conn.execute(
                select(pieces.table).where(owner.in_(chunk)).order_by(owner, pieces.table.c.idx)
            )


class SqlAirspace(SqlAirspaceBook, AirspaceChanges):
    """The book with the feature's changes (``AirspaceChanges``) on it, for callers that
    already hold a session: the changes are the feature's own methods, run on this book."""

    def __init__(self, session: SqlSession | Connection, record: EventSink | None = None) -> None:
        SqlAirspaceBook.__init__(self, session, record)
        AirspaceChanges.__init__(self, self)


class SqlAirspaceTransactions:
    """The feature's ``Transactions`` port on a ``SqlStore`` (retries included).

    ``record`` receives the events of the changes; ``on_attempt`` runs before every
    attempt, as the store may run the work again and only the last attempt commits (a
    caller collecting what was written starts over there).
    """

    def __init__(
        self,
        store: SqlStore,
        record: EventSink | None = None,
        *,
        on_attempt: Callable[[], None] | None = None,
        tell_usss: UssHook | None = None,
    ) -> None:
        self.store = store
        self.record = record
        self.on_attempt = on_attempt
        self.tell_usss = tell_usss

    def run(self, work: Callable[[AirspaceBook, object], T], write: bool) -> T:
        def in_session(s: SqlSession) -> T:
            if self.on_attempt is not None:
                self.on_attempt()
            return work(SqlAirspaceBook(s, self.record, self.tell_usss), s)

        return self.store.run(in_session, write=write)


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

    with reading_stored("agreed zone"):
        return AgreedZone(
            data["id"],
            data["owner"],
            tuple(Sector(footprint(s["footprint"]), s["party"]) for s in data["sectors"]),
            TimeWindow(from_us(data["valid_start_us"]), from_us(data["valid_end_us"])),
            AltitudeBand(*data["altitude"]),
            data["name"],
            data["version"],
        )


# Built once: a Core expression costs more to construct than SQLite takes to run it, and
# this runs on every planned volume.
_CV = airspace_constraint_volumes.c
_CONSTRAINTS_NEAR = cell_search(
    airspace_constraint_cells,
    "constraint_id",
    [
        (
            airspace_constraint_volumes,
            (_CV.constraint_id == airspace_constraint_cells.c.constraint_id)
            & (_CV.idx == airspace_constraint_cells.c.idx),
        ),
        (airspace_constraints, airspace_constraints.c.id == _CV.constraint_id),
    ],
    times=[
        (_CV.time_start_us, _CV.time_end_us),
        (airspace_constraints.c.valid_start_us, airspace_constraints.c.valid_end_us),
    ],
    altitudes=[(_CV.altitude_lower_m, _CV.altitude_upper_m)],
)
_ZONES_NEAR = cell_search(
    agreed_zone_cells,
    "zone_id",
    [(agreed_zones, agreed_zones.c.id == agreed_zone_cells.c.zone_id)],
    times=[(agreed_zones.c.valid_start_us, agreed_zones.c.valid_end_us)],
    altitudes=[(agreed_zones.c.altitude_lower_m, agreed_zones.c.altitude_upper_m)],
)
# Constraints and zones in one round trip: the engine asks for both.
_AIRSPACE_NEAR = union_searches(
    _CONSTRAINTS_NEAR.map(lambda s: s.add_columns(literal_column("'c'").label("kind"))),
    _ZONES_NEAR.map(lambda s: s.add_columns(literal_column("'z'").label("kind"))),
)
