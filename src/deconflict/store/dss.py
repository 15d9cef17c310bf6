"""DSS persistence on SQLAlchemy Core, inside the caller's transaction.

``SqlDssSession`` wraps a ``SqlSession``: an operational intent reference is written
with ``SqlSession.put`` (so it lands in ``operations`` and the shared cell index) plus a
``dss_intents`` row. Likewise a constraint reference is a native constraint written
through ``SqlAirspace`` (``airspace_constraints`` and its cell index, so the planner
enforces it; ``dss.native_constraints`` says as what) plus a ``dss_constraints`` row (OVN, USS
base URL, the extents as sent, for an exact echo). Subscriptions have their own cell
table. Every cell table is searched through ``store.cellindex``.

``DssStore`` adapts a ``SqlStore`` to the ``DssTransactor`` protocol of
``deconflict.dss.ports``: one serializable transaction per DSS operation, retried by
``SqlStore.run`` on serialization failures.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from deconflict.access.grants import DEFAULT_PRIORITY_MAX
from deconflict.core.ports import StoredOperation
from deconflict.dss.native_constraints import SHOWN_TYPES, as_constraint, native_constraint_ref
from deconflict.dss.native_intents import NativeIdentity, is_shown, native_ref
from deconflict.dss.records import (
    AvailabilityStatus,
    ConstraintRef,
    Extent,
    IntentRef,
    Subscriber,
    SubscriptionRec,
    UssAvailability,
    subscribers_to_notify,
)
from deconflict.geo.covering import cells_of
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import Constraint
from deconflict.model.operation import Operation, OperationState
from deconflict.store.cellindex import (
    cell_search,
    chunks,
    ids_in_cells,
    rows_by_id,
    volume_bounds,
)
from deconflict.store.codec import (
    footprint_from_text,
    footprint_to_text,
    from_us,
    reading_stored,
    to_us,
)
from deconflict.store.constraints import EventSink, SqlAirspace
from deconflict.store.schema import CELL_OF_VOLUME, operations, volume_cells, volumes
from deconflict.store.schema_constraints import (
    airspace_constraint_cells,
    airspace_constraint_volumes,
    airspace_constraints,
)
from deconflict.store.schema_dss import (
    NATIVE_OVN_SECRET,
    dss_audiences,
    dss_constraints,
    dss_intents,
    dss_reports,
    dss_subscriptions,
    dss_uss_availability,
    native_constraints,
    native_intents,
    service_secrets,
    subscription_cells,
)
from deconflict.store.schema_sharing import party_grants
from deconflict.store.sql import SqlSession, SqlStore

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
R = TypeVar("R", bound="DataclassInstance")

_AVAILABILITY = "dss.availability"
"""``SqlSession.shared``: each USS's declared availability, None where it declared none."""

DSS_PRIORITY = 0
"""F3548 references carry no priority; without a grant a USS's intents are at the lowest."""


def _footprint_json(text: str) -> Any:
    return orjson.loads(text)


def _extents_to_text(extents: Sequence[Extent]) -> str:
    rows = []
    for e in extents:
        assert e.footprint is not None and e.start is not None and e.end is not None
        rows.append(
            {
                "footprint": _footprint_json(footprint_to_text(e.footprint)),
                "lower_m": e.altitude_lower_m,
                "upper_m": e.altitude_upper_m,
                "start_us": to_us(e.start),
                "end_us": to_us(e.end),
            }
        )
    return orjson.dumps(rows).decode()


def _extents_from_text(text: str) -> tuple[Extent, ...]:
    with reading_stored("F3548 extent"):
        return tuple(
            Extent(
                footprint=footprint_from_text(orjson.dumps(r["footprint"]).decode()),
                altitude_lower_m=r["lower_m"],
                altitude_upper_m=r["upper_m"],
                start=from_us(r["start_us"]),
                end=from_us(r["end_us"]),
            )
            for r in orjson.loads(text)
        )


class SqlDssSession:
    """The ``DssSession`` protocol in one SQL transaction (the wrapped session's)."""

    def __init__(
        self,
        session: SqlSession,
        record: EventSink | None = None,
        identity: NativeIdentity | None = None,
    ) -> None:
        self.ops = session
        self.conn = session.conn
        self.airspace = SqlAirspace(session, record)
        self.identity = identity or NativeIdentity()
        self._secret: bytes | None = None
        # F3548 id -> native operation id (None: no such id), as read in this transaction.
        self._native_ids: dict[str, str | None] = {}
        # USS -> its granted priority, as read in this transaction (asked by the rules
        # and again by the notifier on every write of an intent).
        self._priorities: dict[str, int] = {}

    # ------------------------------------------------------------------ intents

    def _availability_of(self, parties: Iterable[str]) -> dict[str, UssAvailability]:
        """Of those ``parties`` that declared one; read once per transaction (every
        intent write answers with its manager's), ``put_availability`` keeps it."""
        known: dict[str, UssAvailability | None] = self.ops.shared.setdefault(_AVAILABILITY, {})
        wanted = set(parties)
        missing = wanted - known.keys()
        if missing:
            known.update(dict.fromkeys(missing))
            for r in rows_by_id(self.conn, dss_uss_availability, missing, "uss_id"):
                known[r.uss_id] = UssAvailability(r.availability)
        return {p: a for p in wanted if (a := known[p]) is not None}

    def _refs(self, stored: Sequence[StoredOperation], *, native: bool = True) -> list[IntentRef]:
        """Intent references for those of ``stored`` that are DSS intents and, unless
        ``native`` is False, for the shown native operations among the rest, in order."""
        if not stored:
            return []
        dss_rows: dict[str, Any] = {}
        ids = [s.operation.id for s in stored]
        for r in rows_by_id(self.conn, dss_intents, ids, "operation_id"):
            dss_rows[r.operation_id] = r
        natives = dict(self._native_refs([s for s in stored if s.operation.id not in dss_rows]))
        dss_parties = {s.operation.party for s in stored if s.operation.id in dss_rows}
        availability = self._availability_of(dss_parties)
        refs: list[IntentRef] = []
        for s in stored:
            row = dss_rows.get(s.operation.id)
            if row is not None:
                party = s.operation.party
                refs.append(
                    _intent_ref(
                        s,
                        row.ovn,
                        row.uss_base_url,
                        row.subscription_id,
                        availability.get(party, UssAvailability.UNKNOWN),
                    )
                )
            elif native and (ref := natives.get(s.operation.id)) is not None:
                refs.append(ref)
        return refs

    def _native_refs(self, stored: Sequence[StoredOperation]) -> list[tuple[str, IntentRef]]:
        """(operation id, reference) of the shown native operations among ``stored``."""
        shown = {s.operation.id: s for s in stored if is_shown(s.operation.state)}
        if not shown:
            return []
        rows = rows_by_id(self.conn, native_intents, list(shown), "operation_id")
        if not rows:
            return []
        secret = self._native_secret()
        return [
            (r.operation_id, native_ref(r.intent_id, shown[r.operation_id], secret, self.identity))
            for r in sorted(rows, key=lambda r: r.operation_id)
        ]

    def _native_secret(self) -> bytes:
        """The key native OVNs are derived under, made by the migration; a database
        created some other way gets one on first use."""
        if self._secret is None:
            key = service_secrets.c.name == NATIVE_OVN_SECRET
            row = self.conn.execute(select(service_secrets.c.secret).where(key)).first()
            if row is None:
                secret = os.urandom(32)
                self.conn.execute(
                    insert(service_secrets).values(name=NATIVE_OVN_SECRET, secret=secret)
                )
                self._secret = secret
            else:
                self._secret = bytes(row.secret)
        return self._secret

    def _native_operation_id(self, intent_id: str) -> str | None:
        if intent_id not in self._native_ids:
            row = self.conn.execute(_NATIVE_OPERATION_ID, {"intent_id": intent_id}).first()
            self._native_ids[intent_id] = None if row is None else str(row.operation_id)
        return self._native_ids[intent_id]

    def native_intent_id(self, operation_id: str) -> str | None:
        """The F3548 id USSs know native operation ``operation_id`` by, kept once it
        ended or was deleted (a USS is told of its end under that id); None for an F3548
        intent, which is its own id and has no such row."""
        row = self.conn.execute(_NATIVE_INTENT_ID, {"operation_id": operation_id}).first()
        return None if row is None else str(row.intent_id)

    def get_intent(self, intent_id: str) -> IntentRef | None:
        """The USS intent ``intent_id``, else the native operation USSs know by it."""
        stored, native_of = self.ops.get_or_native(intent_id)
        self._native_ids[intent_id] = native_of
        refs = self._refs([stored], native=False) if stored is not None else []
        if refs:
            return refs[0]
        found = self.native_intent(intent_id)
        return found[0] if found is not None else None

    def operation_exists(self, operation_id: str) -> bool:
        """Whether an operation has the id, or a native one (ended too) is known by it."""
        return self.ops.exists(operation_id) or self._native_operation_id(operation_id) is not None

    def native_intent(self, intent_id: str) -> tuple[IntentRef, Operation] | None:
        operation_id = self._native_operation_id(intent_id)
        stored = self.ops.get(operation_id) if operation_id is not None else None
        if stored is None or not is_shown(stored.operation.state):
            return None
        ref = native_ref(intent_id, stored, self._native_secret(), self.identity)
        return ref, stored.operation

    def native_parties(self, intent_ids: Collection[str]) -> dict[str, str]:
        """The party of each native operation USSs know by one of ``intent_ids`` (for
        the owner's audit record of what a USS was shown; never for a USS's eyes)."""
        rows = rows_by_id(self.conn, native_intents, list(intent_ids), "intent_id")
        ops = {r.operation_id: r.intent_id for r in rows}
        owners = rows_by_id(self.conn, operations, list(ops))
        return {ops[r.id]: r.party for r in owners}

    def native_candidates(self, volume: Volume4D) -> list[tuple[IntentRef, Operation]]:
        """The planner's candidate search, native operations only: the USS intents
        nearby are neither loaded nor mapped (every USS intent write asks this)."""
        bounds = volume_bounds(volume)
        ids = ids_in_cells(self.conn, _NATIVE_CANDIDATES, cells_of(volume.footprint), bounds)
        stored = {s.operation.id: s for s in self.ops.get_many(ids)}
        return [
            (ref, stored[op_id].operation)
            for op_id, ref in self._native_refs(list(stored.values()))
        ]

    def uss_priority(self, uss: str) -> int:
        """The highest priority ``uss`` is granted (``store.sharing.grant_of``'s, the
        defaults when none is recorded), read once per transaction."""
        if uss not in self._priorities:
            # With its availability, which the answer to its write carries: one round
            # trip for both (``_availability_of`` then finds it read).
            row = self.conn.execute(_GRANT_AND_AVAILABILITY, {"party": uss}).one()
            granted = row.priority_max
            self._priorities[uss] = DEFAULT_PRIORITY_MAX if granted is None else int(granted)
            known = self.ops.shared.setdefault(_AVAILABILITY, {})
            if uss not in known:
                declared = row.availability
                known[uss] = None if declared is None else UssAvailability(declared)
        return self._priorities[uss]

    def intents_in(
        self, cells: Collection[int], window: TimeWindow, altitudes: AltitudeBand
    ) -> list[IntentRef]:
        params = {
            **_span(window.start, window.end),
            "lo": altitudes.lower_m,
            "hi": altitudes.upper_m,
        }
        ids = ids_in_cells(self.conn, _INTENTS_IN, cells, params)
        return self._refs(self.ops.get_many(ids))

    def put_intent(
        self,
        intent_id: str,
        manager: str,
        state: OperationState,
        volumes: Sequence[Volume4D],
        ovn: str,
        uss_base_url: str,
        subscription_id: str | None,
        priority: int = DSS_PRIORITY,
    ) -> IntentRef:
        operation = Operation(intent_id, manager, priority, state, tuple(volumes))
        values = {"ovn": ovn, "uss_base_url": uss_base_url, "subscription_id": subscription_id}
        row = {"operation_id": intent_id, **values}
        if self.ops.exists(intent_id):
            stored = self.ops.put(operation, native=False)
            if not self.conn.execute(_UPDATE_INTENT, {"key": intent_id, **values}).rowcount:
                self.conn.execute(_INSERT_INTENT, row)
        else:
            # A first version has no row to update: written with the operation, its
            # volumes and cells, in one statement on PostgreSQL (``store.bulk``).
            stored = self.ops.put(operation, native=False, also=[(dss_intents, [row])])
        availability = self._availability_of([manager]).get(manager, UssAvailability.UNKNOWN)
        return _intent_ref(stored, ovn, uss_base_url, subscription_id, availability)

    def delete_intent(self, intent_id: str) -> None:
        self.conn.execute(delete(dss_intents).where(dss_intents.c.operation_id == intent_id))
        self.ops.delete(intent_id)

    # ------------------------------------------------------------ subscriptions

    def _dependents(self, sub_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in sub_ids}
        for chunk in chunks(sub_ids):
            rows = self.conn.execute(
                select(dss_intents.c.subscription_id, dss_intents.c.operation_id)
                .where(dss_intents.c.subscription_id.in_(chunk))
                .order_by(dss_intents.c.operation_id)
            )
            for r in rows:
                found[r.subscription_id].append(r.operation_id)
        return found

    def _subs(self, rows: Sequence[Any]) -> list[SubscriptionRec]:
        deps = self._dependents([r.id for r in rows])
        return [
            _record(SubscriptionRec, r, dependent_operational_intents=tuple(deps[r.id]))
            for r in rows
        ]

    def get_subscription(self, subscription_id: str) -> SubscriptionRec | None:
        row = self.conn.execute(_SUBSCRIPTION_BY_ID, {"id": subscription_id}).first()
        return self._subs([row])[0] if row is not None else None

    def subscription_cells(self, subscription_id: str) -> frozenset[int]:
        rows = self.conn.execute(
            select(subscription_cells.c.cell).where(
                subscription_cells.c.subscription_id == subscription_id
            )
        )
        return frozenset(r[0] for r in rows)

    def put_subscription(self, sub: SubscriptionRec, cells: Collection[int]) -> None:
        """The subscription joins the audience of its cells and kinds with the
        index it has (``sub.notification_index``), leaving its old one if that differs."""
        key = audience_key(cells, sub.notify_for_operational_intents, sub.notify_for_constraints)
        left = self.conn.execute(_AUDIENCE_OF, {"id": sub.id}).scalar()
        values = _columns(sub, skip=("dependent_operational_intents",))
        values["audience_id"] = key
        values["audience_mark"] = self._audience_count(key)
        values["updated_us"] = to_us(datetime.now(UTC))
        # Statements built once (an implicit subscription is written with every intent).
        if self.conn.execute(_UPDATE_SUBSCRIPTION, {"key": sub.id, **values}).rowcount:
            self.conn.execute(
                delete(subscription_cells).where(subscription_cells.c.subscription_id == sub.id)
            )
        else:
            self.conn.execute(_INSERT_SUBSCRIPTION, {**values, "created_us": values["updated_us"]})
        if cells:
            self.conn.execute(
                insert(subscription_cells),
                [{"cell": c, "subscription_id": sub.id} for c in sorted(cells)],
            )
        if left is not None and left != key:
            self._drop_if_empty(left)

    def _audience_count(self, key: str) -> int:
        """The audience's count, the audience made (at 0) if it is new."""
        count = self.conn.execute(_AUDIENCE_COUNT, {"id": key}).scalar()
        if count is None:
            self.conn.execute(_NEW_AUDIENCE, {"id": key})
            return 0
        return int(count)

    def _drop_if_empty(self, audience_id: str) -> None:
        if self.conn.execute(_AUDIENCE_MEMBER, {"id": audience_id}).first() is None:
            self.conn.execute(_DROP_AUDIENCE, {"id": audience_id})

    def delete_subscription(self, subscription_id: str) -> None:
        left = self.conn.execute(_AUDIENCE_OF, {"id": subscription_id}).scalar()
        self.conn.execute(
            delete(subscription_cells).where(
                subscription_cells.c.subscription_id == subscription_id
            )
        )
        self.conn.execute(
            delete(dss_subscriptions).where(dss_subscriptions.c.id == subscription_id)
        )
        if left is not None:
            self._drop_if_empty(left)

    def subscriptions_in(
        self, cells: Collection[int], start: datetime, end: datetime
    ) -> list[SubscriptionRec]:
        ids = ids_in_cells(self.conn, _SUBS_IN[None], cells, _span(start, end))
        rows: list[Any] = []
        for chunk in chunks(ids):
            rows.extend(self.conn.execute(_SUBSCRIPTIONS_BY_IDS, {"ids": chunk}).all())
        return self._subs(sorted(rows, key=lambda r: r.id))

    def bump_notification_indices(
        self,
        cells: Collection[int],
        start: datetime,
        end: datetime,
        *,
        for_constraints: bool,
    ) -> tuple[Subscriber, ...]:
        """One write per audience over the airspace, not per subscription: every member
        of an audience is told of the same changes, so its counter is theirs."""
        span = _span(start, end)
        audiences = ids_in_cells(self.conn, _AUDIENCES_IN[for_constraints], cells, span)
        if None in audiences:  # rows written without one (an old export): adopt them
            self._adopt(ids_in_cells(self.conn, _STRAYS_IN[for_constraints], cells, span))
            audiences = ids_in_cells(self.conn, _AUDIENCES_IN[for_constraints], cells, span)
        t0, t1 = span["t0"], span["t1"]
        members: list[tuple[str, str, int]] = []
        for chunk in chunks(audiences):
            # The members are read once, before the bump, as the driver's plain tuples
            # (no row object per member: 1,000 per change). A member whose window the
            # change misses is not told: it leaves for an audience of its own (named by
            # its id) with its index, before the bump; every other one is told with the
            # index the bump gives it, its own plus one.
            result = self.conn.execute(_MEMBERS, {"ids": chunk})
            rows = result.cursor.fetchall()
            result.close()
            for url, sub_id, index, start_us, end_us in rows:
                if start_us > t1 or end_us < t0:
                    self._go_alone(sub_id, int(index))
                else:
                    members.append((url, sub_id, int(index) + 1))
            self.conn.execute(_BUMP_AUDIENCES, {"ids": chunk})
        return subscribers_to_notify(members)

    def _go_alone(self, sub_id: str, index: int) -> None:
        count = self._audience_count(sub_id)
        self.conn.execute(
            _MOVE_SUBSCRIPTION, {"key": sub_id, "audience": sub_id, "index": index, "mark": count}
        )

    def _adopt(self, subscription_ids: Collection[str]) -> None:
        """Give subscriptions that have no audience theirs, their index unchanged."""
        for sub_id in sorted(subscription_ids):
            sub = self.get_subscription(sub_id)
            if sub is not None:
                self.put_subscription(sub, self.subscription_cells(sub_id))

    # -------------------------------------------------------------- constraints

    def _constraint(self, row: Any) -> ConstraintRef:
        return _record(ConstraintRef, row, extents=_extents_from_text(row.extents), native=False)

    def get_constraint(self, constraint_id: str) -> ConstraintRef | None:
        """The USS constraint ``constraint_id``, else the native one USSs know by it."""
        row = self.conn.execute(
            select(dss_constraints).where(dss_constraints.c.id == constraint_id)
        ).first()
        if row is not None:
            return self._constraint(row)
        found = self.native_constraint(constraint_id)
        return found[0] if found is not None else None

    def native_constraint(self, reference_id: str) -> tuple[ConstraintRef, Constraint] | None:
        """The native constraint USSs know by ``reference_id`` as they see it, and as it
        is (for the owner's audit record); None unless it is shown to USSs."""
        row = self.conn.execute(
            select(native_constraints.c.constraint_id).where(
                native_constraints.c.reference_id == reference_id
            )
        ).first()
        if row is None:
            return None
        found = self._native_constraint_refs([row.constraint_id])
        return found[0] if found else None

    def native_constraint_id(self, constraint_id: str) -> str | None:
        """The F3548 id USSs know native constraint ``constraint_id`` by; None for an
        F3548 constraint reference (its id is its own). Read a deleted constraint's id
        before its rows go: the id's row goes with them."""
        row = self.conn.execute(
            select(native_constraints.c.reference_id).where(
                native_constraints.c.constraint_id == constraint_id
            )
        ).first()
        return None if row is None else str(row.reference_id)

    def native_constraint_owners(self, reference_ids: Collection[str]) -> dict[str, str]:
        """The owner of each native constraint USSs know by one of ``reference_ids`` (for
        the owner's audit record of what a USS was shown; never for a USS's eyes)."""
        rows = rows_by_id(self.conn, native_constraints, list(reference_ids), "reference_id")
        refs = {r.constraint_id: r.reference_id for r in rows}
        owners = rows_by_id(self.conn, airspace_constraints, list(refs))
        return {refs[r.id]: r.owner for r in owners}

    def _native_constraint_refs(
        self, constraint_ids: Collection[str]
    ) -> list[tuple[ConstraintRef, Constraint]]:
        """(reference, constraint) of the shown native constraints among the ids."""
        if not constraint_ids:
            return []
        refs = {
            r.constraint_id: r.reference_id
            for r in rows_by_id(self.conn, native_constraints, constraint_ids, "constraint_id")
        }
        found = []
        for stored in self.airspace.constraints_by_id(refs):
            c = stored.constraint
            ref = native_constraint_ref(
                refs[c.id], c, stored.version, self._native_secret(), self.identity
            )
            if ref is not None:
                found.append((ref, c))
        return found

    def constraint_exists(self, constraint_id: str) -> bool:
        """Whether any constraint (DSS or native) already uses the id."""
        row = self.conn.execute(
            select(airspace_constraints.c.id).where(airspace_constraints.c.id == constraint_id)
        ).first()
        return row is not None

    def put_constraint(self, ref: ConstraintRef, cells: Collection[int]) -> None:
        """Write the constraint the planner enforces, then the F3548 row; ``cells`` are
        the airspace index's own (the same covering of the same footprints)."""
        self.airspace.put_constraint(as_constraint(ref), ref.manager, dss=True, skip=(ref.manager,))
        values = {
            **_columns(ref, skip=("extents", "native")),
            "extents": _extents_to_text(ref.extents),
        }
        _upsert(self.conn, dss_constraints.c.id, values, stamped=True)

    def delete_constraint(self, constraint_id: str) -> None:
        manager = self.airspace.dss_manager(constraint_id)
        self.conn.execute(delete(dss_constraints).where(dss_constraints.c.id == constraint_id))
        self.airspace.delete_constraint(
            constraint_id, manager, dss=True, skip=(manager,) if manager else ()
        )

    def constraints_in(
        self, cells: Collection[int], start: datetime, end: datetime
    ) -> list[ConstraintRef]:
        """USSs' constraint references, and the native constraints shown to USSs
        (``dss.native_constraints``), in force at some time of [``start``, ``end``]."""
        ids = ids_in_cells(self.conn, _CONSTRAINTS_IN, cells, _span(start, end))
        found = [self._constraint(r) for r in rows_by_id(self.conn, dss_constraints, ids)]
        natives = ids_in_cells(self.conn, _NATIVE_CONSTRAINTS_IN, cells, _span(start, end))
        found.extend(
            ref
            for ref, _ in self._native_constraint_refs(natives)
            if ref.time_start <= end and ref.time_end >= start
        )
        return found

    # ------------------------------------------------- availability and reports

    def get_availability(self, uss_id: str) -> AvailabilityStatus | None:
        row = self.conn.execute(
            select(dss_uss_availability).where(dss_uss_availability.c.uss_id == uss_id)
        ).first()
        if row is None:
            return None
        return AvailabilityStatus(row.uss_id, UssAvailability(row.availability), row.version)

    def put_availability(self, status: AvailabilityStatus, now: datetime) -> None:
        values = {
            "uss_id": status.uss,
            "availability": status.availability.value,
            "version": status.version,
            "updated_us": to_us(now),
        }
        _upsert(self.conn, dss_uss_availability.c.uss_id, values)
        self.ops.shared.setdefault(_AVAILABILITY, {})[status.uss] = status.availability

    def add_report(
        self, report_id: str, reporter: str, report: dict[str, Any], now: datetime
    ) -> None:
        self.conn.execute(
            insert(dss_reports).values(
                id=report_id,
                reporter=reporter,
                report=orjson.dumps(report).decode(),
                created_us=to_us(now),
            )
        )


def backfill_constraints(conn: Connection) -> int:
    """Copy constraint references stored before they were native constraints into the
    shared store (for a data migration); idempotent, and tells no one. Returns how many."""
    known = select(airspace_constraints.c.id)
    rows = conn.execute(select(dss_constraints).where(dss_constraints.c.id.not_in(known))).all()
    session = SqlDssSession(SqlSession(conn))
    air = SqlAirspace(conn, record=lambda _session, _events: None)
    for row in rows:
        ref = session._constraint(row)
        air.put_constraint(as_constraint(ref), ref.manager, dss=True)
    return len(rows)


class DssStore:
    """A ``DssTransactor`` over a ``SqlStore``: the DSS and the planner share one database.

    ``record`` receives the party events of constraint changes (the app's
    ``Notifier.record_events``); by default they go straight to the event log."""

    def __init__(
        self,
        store: SqlStore,
        record: EventSink | None = None,
        identity: NativeIdentity | None = None,
    ) -> None:
        self.store = store
        self.record = record
        self.identity = identity

    def run(self, work: Callable[[SqlDssSession], T], write: bool = True) -> T:
        """Writes share transactions with the concurrent ones (``store/grouped.py``)."""

        def in_session(s: SqlSession) -> T:
            return work(SqlDssSession(s, self.record, self.identity))

        return self.store.run_grouped(in_session) if write else self.store.run(in_session, False)


def _intent_ref(
    stored: StoredOperation,
    ovn: str,
    uss_base_url: str,
    subscription_id: str | None,
    availability: UssAvailability,
) -> IntentRef:
    op = stored.operation
    extent = op.time_extent
    return IntentRef(
        id=op.id,
        manager=op.party,
        version=stored.version,
        state=op.state,
        ovn=ovn,
        uss_base_url=uss_base_url,
        subscription_id=subscription_id,
        time_start=extent.start,
        time_end=extent.end,
        uss_availability=availability,
        volumes=op.volumes,
    )


def _columns(record: DataclassInstance, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """``record``'s fields as its table's columns: a time is ``<field>_us`` (``codec``)."""
    out: dict[str, Any] = {}
    for f in fields(record):
        if f.name not in skip:
            value = getattr(record, f.name)
            if isinstance(value, datetime):
                out[f"{f.name}_us"] = to_us(value)
            else:
                out[f.name] = value
    return out


def _record(cls: type[R], row: Any, **given: Any) -> R:
    """A ``cls`` from its table's ``row`` (``_columns`` undone); ``given`` are the
    fields stored elsewhere or otherwise."""
    columns = row._mapping
    values = dict(given)
    for f in fields(cls):
        if f.name not in given:
            values[f.name] = (
                columns[f.name] if f.name in columns else from_us(columns[f"{f.name}_us"])
            )
    return cls(**values)


def _upsert(conn: Connection, key: Any, values: dict[str, Any], *, stamped: bool = False) -> bool:
    """Update the row whose ``key`` column has ``values[key.name]``, else insert it;
    whether it was there. ``stamped``: the table keeps ``created_us`` and ``updated_us``."""
    values = dict(values)
    if stamped:
        values["updated_us"] = to_us(datetime.now(UTC))
    done = conn.execute(update(key.table).where(key == values[key.name]).values(**values))
    if done.rowcount:
        return True
    if stamped:
        values["created_us"] = values["updated_us"]
    conn.execute(insert(key.table).values(**values))
    return False


def audience_key(cells: Collection[int], for_intents: bool, for_constraints: bool) -> str:
    """The audience of a subscription: its cells and the kinds of change it asks for, as
    32 hex digits of a SHA-256, so that every replica names the same audience alike.
    Its time window is not part of it: a change that misses a member's window makes that
    member leave first (``bump_notification_indices``)."""
    h = hashlib.sha256()
    h.update(f"{int(for_intents)}:{int(for_constraints)}:".encode())
    for c in sorted(cells):
        h.update(c.to_bytes(8, "big", signed=True))
    return h.hexdigest()[:32]


def _span(start: datetime, end: datetime) -> dict[str, int]:
    return {"t0": to_us(start), "t1": to_us(end)}


# Statements of every intent write, built once.
_UPDATE_INTENT = (
    update(dss_intents)
    .where(dss_intents.c.operation_id == bindparam("key"))
    .values(
        ovn=bindparam("ovn"),
        uss_base_url=bindparam("uss_base_url"),
        subscription_id=bindparam("subscription_id"),
    )
)
_INSERT_INTENT = insert(dss_intents)

# Point reads on every write, built once (building a statement costs more than running it).
_GRANTED_MAX = select(party_grants.c.priority_max).where(party_grants.c.party == bindparam("party"))
_GRANT_AND_AVAILABILITY = select(
    _GRANTED_MAX.scalar_subquery().label("priority_max"),
    select(dss_uss_availability.c.availability)
    .where(dss_uss_availability.c.uss_id == bindparam("party"))
    .scalar_subquery()
    .label("availability"),
)
_NATIVE_OPERATION_ID = select(native_intents.c.operation_id).where(
    native_intents.c.intent_id == bindparam("intent_id")
)
_NATIVE_INTENT_ID = select(native_intents.c.intent_id).where(
    native_intents.c.operation_id == bindparam("operation_id")
)

# Cell searches, built once (``store.cellindex`` runs them). Subscriptions and
# constraints are matched on footprint and time only, as in the reference DSS.
_INTENTS_IN = cell_search(
    volume_cells,
    "operation_id",
    [(operations, operations.c.id == volume_cells.c.operation_id)],
    # The intent's union of extents, as the reference DSS stores an intent: any of its
    # cells, its first start to last end, its lowest to highest altitude. Native
    # operations are intents too (the service manages them), by the same rule.
    times=[(operations.c.time_start_us, operations.c.time_end_us)],
    altitudes=[(operations.c.altitude_lower_m, operations.c.altitude_upper_m)],
).where(operations.c.state != OperationState.ENDED.value)
_NATIVE_CANDIDATES = cell_search(
    volume_cells,
    "operation_id",
    [
        (volumes, CELL_OF_VOLUME),
        (operations, operations.c.id == volumes.c.operation_id),
        (native_intents, native_intents.c.operation_id == operations.c.id),
    ],
    # Per volume, as the planner's own candidate search (``SqlSession.candidates``).
    times=[(volumes.c.time_start_us, volumes.c.time_end_us)],
    altitudes=[(volumes.c.altitude_lower_m, volumes.c.altitude_upper_m)],
).where(operations.c.state != OperationState.ENDED.value)
_SUBS = dss_subscriptions.c
_ANY_SUBSCRIPTION = cell_search(
    subscription_cells,
    "subscription_id",
    [(dss_subscriptions, _SUBS.id == subscription_cells.c.subscription_id)],
    times=[(_SUBS.time_start_us, _SUBS.time_end_us)],
)
_SUBS_IN = {
    None: _ANY_SUBSCRIPTION,
    False: _ANY_SUBSCRIPTION.where(_SUBS.notify_for_operational_intents.is_(True)),
    True: _ANY_SUBSCRIPTION.where(_SUBS.notify_for_constraints.is_(True)),
}
"""By the kind of change a subscription must ask for: any, intents (False), constraints."""
_AUDIENCES_IN = {
    kind: search.map(
        lambda stmt: stmt.with_only_columns(_SUBS.audience_id, maintain_column_froms=True)
    )
    for kind, search in _SUBS_IN.items()
}
"""The audiences (not the subscriptions) over an airspace, by kind of change."""
_STRAYS_IN = {kind: search.where(_SUBS.audience_id.is_(None)) for kind, search in _SUBS_IN.items()}
_AUD = dss_audiences.c
_CURRENT_INDEX = (
    _SUBS.notification_index
    + func.coalesce(_AUD.notification_count, 0)
    - func.coalesce(_SUBS.audience_mark, 0)
).label("notification_index")
"""What a subscription's index is now (``schema_dss.dss_subscriptions``)."""
_WITH_AUDIENCE = dss_subscriptions.outerjoin(dss_audiences, _AUD.id == _SUBS.audience_id)
_SUBSCRIPTION_ROWS = select(
    *(c for c in dss_subscriptions.c if c.name not in ("notification_index", "audience_mark")),
    _CURRENT_INDEX,
).select_from(_WITH_AUDIENCE)
_SUBSCRIPTION_BY_ID = _SUBSCRIPTION_ROWS.where(_SUBS.id == bindparam("id"))
_SUBSCRIPTIONS_BY_IDS = _SUBSCRIPTION_ROWS.where(_SUBS.id.in_(bindparam("ids", expanding=True)))
_MEMBERS = (
    select(_SUBS.uss_base_url, _SUBS.id, _CURRENT_INDEX, _SUBS.time_start_us, _SUBS.time_end_us)
    .select_from(_WITH_AUDIENCE)
    .where(_SUBS.audience_id.in_(bindparam("ids", expanding=True)))
)
_MOVE_SUBSCRIPTION = (
    update(dss_subscriptions)
    .where(_SUBS.id == bindparam("key"))
    .values(
        audience_id=bindparam("audience"),
        notification_index=bindparam("index"),
        audience_mark=bindparam("mark"),
    )
)
_BUMP_AUDIENCES = (
    update(dss_audiences)
    .where(_AUD.id.in_(bindparam("ids", expanding=True)))
    .values(notification_count=_AUD.notification_count + 1)
)
_UPDATE_SUBSCRIPTION = (
    update(dss_subscriptions)
    .where(_SUBS.id == bindparam("key"))
    .values({c.name: bindparam(c.name) for c in dss_subscriptions.c if c.name != "created_us"})
)
_INSERT_SUBSCRIPTION = insert(dss_subscriptions)
_AUDIENCE_OF = select(_SUBS.audience_id).where(_SUBS.id == bindparam("id"))
_AUDIENCE_COUNT = select(_AUD.notification_count).where(_AUD.id == bindparam("id"))
_NEW_AUDIENCE = insert(dss_audiences).values(id=bindparam("id"), notification_count=0)
_AUDIENCE_MEMBER = select(_SUBS.id).where(_SUBS.audience_id == bindparam("id")).limit(1)
_DROP_AUDIENCE = delete(dss_audiences).where(_AUD.id == bindparam("id"))
_CONSTRAINTS_IN = cell_search(
    airspace_constraint_cells,
    "constraint_id",
    [(dss_constraints, dss_constraints.c.id == airspace_constraint_cells.c.constraint_id)],
    times=[(dss_constraints.c.time_start_us, dss_constraints.c.time_end_us)],
)
_CELLS = airspace_constraint_cells.c
_VOLUMES = airspace_constraint_volumes.c
_NATIVE = airspace_constraints.c
_NATIVE_CONSTRAINTS_IN = cell_search(
    airspace_constraint_cells,
    "constraint_id",
    [
        (
            airspace_constraint_volumes,
            and_(_VOLUMES.constraint_id == _CELLS.constraint_id, _VOLUMES.idx == _CELLS.idx),
        ),
        (airspace_constraints, _NATIVE.id == _CELLS.constraint_id),
        (native_constraints, native_constraints.c.constraint_id == _CELLS.constraint_id),
    ],
    # A volume counts while in force: its own window and the constraint's validity.
    times=[
        (_VOLUMES.time_start_us, _VOLUMES.time_end_us),
        (_NATIVE.valid_start_us, _NATIVE.valid_end_us),
    ],
).where(_NATIVE.type.in_(sorted(t.value for t in SHOWN_TYPES)))
"""Native constraints shown to USSs, matched on footprint and time only as theirs are;
one with a ``dss_constraints`` row has no ``native_constraints`` row."""
