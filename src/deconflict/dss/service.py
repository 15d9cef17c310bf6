"""The F3548-21 DSS operations, each one transaction on a ``DssTransactor``.

Shape checks that need no data (ids, URLs, extents, limits) run before the transaction
so that bad requests never take a lock; everything that reads stored state (ownership,
OVN and version checks, the key check, subscription coverage) runs inside it, together
with the write and the notification-index increments, so that what was checked is what
gets written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from deconflict.core.limits import check_f3548
from deconflict.dss.checks import (
    ALL_ALTITUDES,
    ALL_TIME,
    CLOCK_SKEW,
    MAX_SUBSCRIPTION_DURATION,
    check_area,
    check_base_url,
    check_not_ended,
    check_plan_horizon,
    constraint_extent,
    footprint_cells,
    intent_volume,
    query_volume,
    volumes_cells,
)
from deconflict.dss.native_watch import service_subscribers
from deconflict.dss.one_airspace import check_natives, overlapped_among, overlapped_natives
from deconflict.dss.ovn import new_ovn, new_version
from deconflict.dss.ports import DssSession, DssTransactor
from deconflict.dss.records import (
    AvailabilityStatus,
    ConstraintChange,
    ConstraintParams,
    ConstraintRef,
    Extent,
    IntentChange,
    IntentParams,
    IntentRef,
    Subscriber,
    SubscriptionChange,
    SubscriptionParams,
    SubscriptionRec,
    UssAvailability,
)
from deconflict.dss.uuids import new_uuid4
from deconflict.errors import (
    AirspaceConflict,
    AreaTooLarge,
    BadRequest,
    Conflict,
    MissingConstraintOnUpdate,
    MissingOnUpdate,
    NotAllowed,
    NotFound,
)
from deconflict.geo.covering import covers
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.model.transitions import is_allowed, refusal
from deconflict.settings import EqualPriorityPolicy, LimitsSettings

OFF_NOMINAL = (OperationState.NONCONFORMING, OperationState.CONTINGENT)
DSS_STATES = (
    OperationState.ACCEPTED,
    OperationState.ACTIVATED,
    OperationState.NONCONFORMING,
    OperationState.CONTINGENT,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _later(t: datetime, delta: timedelta) -> datetime:
    """``t + delta``, saturating at the end of representable time instead of failing."""
    try:
        return t + delta
    except OverflowError:
        return ALL_TIME.end


def _span(volumes: Iterable[Volume4D]) -> TimeWindow:
    vs = list(volumes)
    return TimeWindow(min(v.time.start for v in vs), max(v.time.end for v in vs))


def _band(volumes: Iterable[Volume4D]) -> AltitudeBand:
    vs = list(volumes)
    return AltitudeBand(min(v.altitude.lower_m for v in vs), max(v.altitude.upper_m for v in vs))


_Airspace = tuple[frozenset[int], TimeWindow]
"""Cells and a time window: the airspace whose subscribers a change concerns."""


T = TypeVar("T")


class _Managed(Protocol):
    """A reference a USS manages and changes at its current OVN."""

    @property
    def manager(self) -> str: ...

    @property
    def ovn(self) -> str: ...


ManagedT = TypeVar("ManagedT", bound=_Managed)


@dataclass(frozen=True)
class _Kind:
    """How the checks every kind of DSS entity shares name that kind in their errors."""

    what: str
    version: str  # what the caller's version is called: "OVN" or "version"
    foreign: str  # how an entity of another USS is said

    def found(self, entity: T | None, entity_id: str, missing: type[Exception] = NotFound) -> T:
        if entity is None:
            raise missing(f"{self.what} {entity_id} does not exist")
        return entity

    def check_absent(self, exists: bool, entity_id: str) -> None:
        if exists:
            raise Conflict(f"{self.what} {entity_id} already exists")

    def check_owner(self, entity_id: str, owner: str, caller: str) -> None:
        if owner != caller:
            raise NotAllowed(f"{self.what} {entity_id} {self.foreign}")

    def check_version(self, entity_id: str, current: str, given: str) -> None:
        if current != given:
            raise Conflict(
                f"{self.version} {given!r} is not the current {self.version} of {entity_id}"
            )

    def at_ovn(
        self,
        old: ManagedT | None,
        entity_id: str,
        caller: str,
        ovn: str,
        missing: type[Exception] = NotFound,
    ) -> ManagedT:
        """``old`` if ``caller`` may change it at ``ovn``: it exists, ``caller`` manages
        it, and ``ovn`` is current (in that order, as the reference DSS checks)."""
        found = self.found(old, entity_id, missing)
        self.check_owner(entity_id, found.manager, caller)
        self.check_version(entity_id, found.ovn, ovn)
        return found


INTENT = _Kind("operational intent", "OVN", "is managed by another USS")
CONSTRAINT = _Kind("constraint", "OVN", "is managed by another USS")
SUBSCRIPTION = _Kind("subscription", "version", "belongs to another USS")


def _required(value: str, name: str) -> None:
    if not value:
        raise BadRequest(f"{name}: is required")


def _ref_to_write(
    kind: _Kind,
    old: ManagedT | None,
    exists: Callable[[str], bool],
    caller: str,
    entity_id: str,
    ovn: str | None,
    missing: type[Exception],
) -> ManagedT | None:
    """The reference a create (``ovn`` None) may not find (nor ``exists`` know of), or
    an update must find managed by ``caller`` at ``ovn``; ``missing`` is the error for
    an update of nothing, which the reference DSS words differently per kind."""
    if ovn is None:
        kind.check_absent(old is not None or exists(entity_id), entity_id)
        return None
    return kind.at_ovn(old, entity_id, caller, ovn, missing)


def _uss_intent(ref: IntentRef | None) -> IntentRef | None:
    """``ref``, unless it is a native operation's, which only the service manages
    (403 as for another USS's intent, even to a USS that took the service's name)."""
    if ref is not None and ref.native:
        raise NotAllowed(f"{INTENT.what} {ref.id} {INTENT.foreign}")
    return ref


def _uss_constraint(ref: ConstraintRef | None, ovn: str | None) -> ConstraintRef | None:
    """``ref``, unless a change (``ovn`` given) would write a native constraint's, which
    only the service manages (403 as for another USS's, whatever the caller's name); a
    create of its id finds it (409)."""
    if ovn is not None and ref is not None and ref.native:
        raise NotAllowed(f"{CONSTRAINT.what} {ref.id} {CONSTRAINT.foreign}")
    return ref


def _replans(old: IntentRef | None, volumes: tuple[Volume4D, ...]) -> bool:
    """Whether writing ``volumes`` over ``old`` is a plan the native rules judge: a
    creation, new volumes, or a return to a nominal state. A nominal intent that only
    changes state (Accepted to Activated) is not judged again, as a native operation's
    state change is not (``core.engine``): an operation planned over it since, by the
    rules, must not stop it from flying what it was accepted for."""
    return old is None or tuple(old.volumes) != volumes or not old.state.is_nominal


def _intent_to_write(
    s: DssSession, caller: str, intent_id: str, ovn: str | None, state: OperationState
) -> IntentRef | None:
    """The intent to write (see ``_ref_to_write``), allowed to move to ``state``."""
    found = s.get_intent(intent_id)
    if ovn is not None:
        _uss_intent(found)
    old = _ref_to_write(INTENT, found, s.operation_exists, caller, intent_id, ovn, MissingOnUpdate)
    if old is not None and not is_allowed(old.state, state):
        # The native transition table (Contingent only ends, in F3548 too).
        raise Conflict(str(refusal(old.state, state)))
    return old


def _subscription_request(
    version: str | None, params: SubscriptionParams, now: datetime
) -> tuple[str, frozenset[int] | None]:
    """What a write of a subscription may be checked for before the transaction: its
    base URL and the cells of a new outline (None: an update keeps its own), or the
    first rule it breaks."""
    uss_base_url = check_base_url(params.uss_base_url, "uss_base_url")
    if not (params.notify_for_operational_intents or params.notify_for_constraints):
        raise BadRequest(
            "notify_for_operational_intents, notify_for_constraints: at least one must be true"
        )
    extent = params.extent
    new_cells: frozenset[int] | None = None
    if extent.footprint is not None:
        check_area(extent.footprint, "extents.volume")
        new_cells = footprint_cells(extent.footprint)
    elif version is None:
        raise BadRequest(
            "extents.volume: an outline is required (outline_circle or outline_polygon)"
        )
    if extent.start is not None and extent.start < now - CLOCK_SKEW:
        raise BadRequest(
            f"extents.time_start: {extent.start.isoformat()} is more than "
            f"{CLOCK_SKEW.seconds // 60} minutes in the past"
        )
    if (
        extent.altitude_lower_m is not None
        and extent.altitude_upper_m is not None
        and extent.altitude_lower_m > extent.altitude_upper_m
    ):
        raise BadRequest("extents.volume.altitude_lower: is above altitude_upper")
    return uss_base_url, new_cells


def _subscription_to_write(
    s: DssSession, caller: str, sub_id: str, version: str | None
) -> SubscriptionRec | None:
    """The subscription a create (``version`` None) may not find, or an update must
    find, owned by ``caller`` at ``version``."""
    old = s.get_subscription(sub_id)
    if version is None:
        SUBSCRIPTION.check_absent(old is not None, sub_id)
        return None
    found = SUBSCRIPTION.found(old, sub_id, MissingOnUpdate)
    SUBSCRIPTION.check_version(sub_id, found.version, version)
    SUBSCRIPTION.check_owner(sub_id, found.owner, caller)
    return found


def _subscription_window(
    extent: Extent, old: SubscriptionRec | None, now: datetime
) -> tuple[datetime, datetime]:
    """The subscription's times: what the request gives, else what it had, else from
    now for the longest duration allowed; current and no longer than that."""
    start = extent.start or (old.time_start if old is not None else now)
    end = extent.end or (
        old.time_end if old is not None else _later(start, MAX_SUBSCRIPTION_DURATION)
    )
    if end < start:
        raise BadRequest("extents.time_end: is before time_start")
    if end < now:
        raise BadRequest(f"extents.time_end: {end.isoformat()} is in the past")
    if end - start > MAX_SUBSCRIPTION_DURATION:
        raise BadRequest(
            "extents: a subscription may last at most "
            f"{MAX_SUBSCRIPTION_DURATION.total_seconds() / 3600:.0f} hours"
        )
    return start, end


def _subscription_change(
    s: DssSession, sub: SubscriptionRec, cells: frozenset[int], band: AltitudeBand
) -> SubscriptionChange:
    """The written subscription with what it is told of now: the intents and
    constraints in its airspace, each list only if it notifies for that kind."""
    intents = (
        tuple(
            sorted(
                s.intents_in(cells, TimeWindow(sub.time_start, sub.time_end), band),
                key=lambda r: r.id,
            )
        )
        if sub.notify_for_operational_intents
        else None
    )
    constraints = (
        tuple(sorted(s.constraints_in(cells, sub.time_start, sub.time_end), key=lambda c: c.id))
        if sub.notify_for_constraints
        else None
    )
    return SubscriptionChange(sub, intents, constraints)


def _sub_band(extent: Extent) -> AltitudeBand:
    """A subscription's altitudes, open ends unbounded (they are not stored: only the
    request that sets them can use them, as in the reference DSS)."""
    lower = ALL_ALTITUDES.lower_m if extent.altitude_lower_m is None else extent.altitude_lower_m
    upper = ALL_ALTITUDES.upper_m if extent.altitude_upper_m is None else extent.altitude_upper_m
    return AltitudeBand(lower, upper)


def _airspace(cells: frozenset[int], ref: IntentRef | ConstraintRef) -> _Airspace:
    return cells, TimeWindow(ref.time_start, ref.time_end)


def _intent_airspace(ref: IntentRef) -> _Airspace:
    """Where and when an intent is: who is told of its change."""
    return _airspace(volumes_cells(ref.volumes), ref)


def _constraint_airspace(ref: ConstraintRef) -> _Airspace:
    return _airspace(_constraint_cells(ref.extents), ref)


def _touched(new: _Airspace, old: _Airspace | None) -> _Airspace:
    """The airspace a write concerns: the new one, and on an update the one it leaves
    (its subscribers are told as well)."""
    if old is None:
        return new
    (cells, span), (old_cells, old_span) = new, old
    return cells | old_cells, TimeWindow(
        min(span.start, old_span.start), max(span.end, old_span.end)
    )


def _constraint_cells(extents: Sequence[Extent]) -> frozenset[int]:
    cells: set[int] = set()
    for e in extents:
        assert e.footprint is not None
        cells |= footprint_cells(e.footprint)
    return frozenset(cells)


def _constraint_span(extents: Sequence[Extent]) -> TimeWindow:
    starts = [e.start for e in extents if e.start is not None]
    ends = [e.end for e in extents if e.end is not None]
    return TimeWindow(min(starts), max(ends))


def _bump(s: DssSession, airspace: _Airspace, *, for_constraints: bool) -> tuple[Subscriber, ...]:
    """Bump the subscriptions over ``airspace`` (those of the change's kind): the
    subscribers to tell, each with its new notification indices."""
    cells, window = airspace
    return s.bump_notification_indices(
        cells, window.start, window.end, for_constraints=for_constraints
    )


class DssNotifier(Protocol):
    """Told of every intent and constraint change inside the transaction that makes it.

    Writing the notifications there (an outbox) means a change never commits without
    them and a rolled-back change never notifies; the DSS itself stays free of how they
    are delivered.
    """

    def intent_changed(
        self, session: DssSession, change: IntentChange, *, deleted: bool
    ) -> None: ...

    def constraint_changed(
        self, session: DssSession, change: ConstraintChange, *, deleted: bool
    ) -> None: ...


class DssService:
    """One instance per request is fine: it holds no state beyond its collaborators."""

    def __init__(
        self,
        tx: DssTransactor,
        clock: Callable[[], datetime] = _utcnow,
        notifier: DssNotifier | None = None,
        limits: LimitsSettings | None = None,
        policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    ) -> None:
        """``policy`` is the service's equal-priority rule, which a USS intent over a
        native operation is held to (``dss.one_airspace``)."""
        self._tx = tx
        self._clock = clock
        self._notifier = notifier
        self._limits = limits or LimitsSettings()
        self._policy = policy

    # ------------------------------------------------------------------ intents

    def get_intent(self, intent_id: str) -> IntentRef:
        return INTENT.found(self._tx.run(lambda s: s.get_intent(intent_id), write=False), intent_id)

    def query_intents(self, area: Extent | None) -> list[IntentRef]:
        """The intents relevant to the area: the grid's answer (see ``DssSession.intents_in``),
        the same one the key check asks, so a USS can key what a query showed it."""
        probe = query_volume(area, "area_of_interest")
        cells = footprint_cells(probe.footprint)
        found = self._tx.run(lambda s: s.intents_in(cells, probe.time, probe.altitude), write=False)
        return sorted(found, key=lambda r: r.id)

    def put_intent(
        self,
        caller: str,
        intent_id: str,
        ovn: str | None,
        params: IntentParams,
        *,
        conformance_monitoring: bool,
    ) -> IntentChange:
        """Create (``ovn`` None) or update an intent reference.

        ``conformance_monitoring`` says whether the caller holds
        ``utm.conformance_monitoring_sa``, which the off-nominal states require.
        """
        now = self._clock()
        uss_base_url, volumes, span = self._intent_request(ovn, params, conformance_monitoring, now)
        cells = volumes_cells(volumes)
        band = _band(volumes)

        def work(s: DssSession) -> IntentChange:
            old = _intent_to_write(s, caller, intent_id, ovn, params.state)
            sub_id, notify_constraints = self._attach_subscription(
                s, caller, intent_id, params, cells, span, now
            )
            # A USS's intents are at the priority its grant gives, never above.
            planned = Operation(intent_id, caller, s.uss_priority(caller), params.state, volumes)
            # The native operations it overlaps, found once for the rules, the service's
            # place among the subscribers and the native parties' notices.
            natives = None
            if params.state.is_nominal:
                relevant = s.intents_in(cells, span, band)
                self._check_key(s, intent_id, relevant, cells, span, params.key, notify_constraints)
                # The key proves awareness; the native operations' rules still decide.
                if _replans(old, volumes):
                    natives = check_natives(s, planned, self._policy, relevant)
                else:
                    natives = overlapped_among(s, volumes, relevant)

            ref = s.put_intent(
                intent_id,
                caller,
                params.state,
                volumes,
                new_ovn(),
                uss_base_url,
                sub_id,
                planned.priority,
            )
            if old is not None and old.subscription_id not in (None, sub_id):
                self._drop_orphaned_implicit(s, old.subscription_id)
            before = _intent_airspace(old) if old is not None else None
            airspace = _touched((cells, span), before)
            return self._tell_intent(s, ref, airspace, deleted=False, natives=natives)

        return self._tx.run(work)

    def _intent_request(
        self,
        ovn: str | None,
        params: IntentParams,
        conformance_monitoring: bool,
        now: datetime,
    ) -> tuple[str, tuple[Volume4D, ...], TimeWindow]:
        """What a write of an intent may be checked for before the transaction: its
        base URL, volumes and span, or the first rule it breaks."""
        uss_base_url = check_base_url(params.uss_base_url, "uss_base_url")
        if params.state not in DSS_STATES:
            raise BadRequest(
                f"state: {params.state.value!r} is not a reference state; end an intent with DELETE"
            )
        if params.subscription_id is not None and params.new_subscription is not None:
            raise BadRequest("subscription_id and new_subscription may not both be given")
        if params.new_subscription is not None:
            check_base_url(params.new_subscription.uss_base_url, "new_subscription.uss_base_url")
        if not params.extents:
            raise BadRequest("extents: at least one volume is required")
        volumes = tuple(intent_volume(e, f"extents[{i}]") for i, e in enumerate(params.extents))
        check_f3548(  # request cost (core.limits), before any covering
            ((f"extents[{i}].volume", v.footprint) for i, v in enumerate(volumes)), self._limits
        )
        span = _span(volumes)
        check_not_ended(span, "operational intent", now)
        check_plan_horizon(span, now)
        if ovn is None and params.state is not OperationState.ACCEPTED:
            raise BadRequest(
                f"state: a new operational intent must be Accepted, not {params.state.value}"
            )
        if params.state in OFF_NOMINAL and not conformance_monitoring:
            raise NotAllowed(
                f"state: {params.state.value} requires the utm.conformance_monitoring_sa scope"
            )
        if (
            params.state is not OperationState.ACCEPTED
            and params.subscription_id is None
            and params.new_subscription is None
        ):
            raise BadRequest(
                f"state: a {params.state.value} intent needs subscription_id or new_subscription"
            )
        return uss_base_url, volumes, span

    def _tell_intent(
        self,
        s: DssSession,
        ref: IntentRef,
        airspace: _Airspace,
        *,
        deleted: bool,
        natives: Sequence[tuple[IntentRef, Operation]] | None = None,
    ) -> IntentChange:
        """``natives``: the native operations ``ref``'s volumes overlap, when the write
        found them already (else they are searched here)."""
        met = tuple(overlapped_natives(s, ref.volumes) if natives is None else natives)
        # The service itself subscribes for its native parties' airspace (dss.native_watch).
        subscribers = _bump(s, airspace, for_constraints=False)
        change = IntentChange(ref, subscribers + service_subscribers(met), met)
        if self._notifier is not None:
            self._notifier.intent_changed(s, change, deleted=deleted)
        return change

    def _attach_subscription(
        self,
        s: DssSession,
        caller: str,
        intent_id: str,
        params: IntentParams,
        cells: frozenset[int],
        span: TimeWindow,
        now: datetime,
    ) -> tuple[str | None, bool]:
        """The subscription the intent will use, created or grown as F3548 says, and
        whether it processes constraints (which decides if constraint OVNs are keyed)."""
        if params.new_subscription is not None:
            sub = SubscriptionRec(
                id=new_uuid4(),
                owner=caller,
                version=new_version(),
                notification_index=0,
                uss_base_url=params.new_subscription.uss_base_url,
                notify_for_operational_intents=True,
                notify_for_constraints=params.new_subscription.notify_for_constraints,
                implicit=True,
                time_start=span.start,
                time_end=span.end,
            )
            s.put_subscription(sub, cells)
            return sub.id, sub.notify_for_constraints
        if params.subscription_id is None:
            return None, False
        sub_id = params.subscription_id
        found = s.get_subscription(sub_id)
        if found is None:
            raise BadRequest(f"subscription_id: subscription {sub_id} does not exist")
        if found.owner != caller:
            raise NotAllowed(f"subscription_id: subscription {sub_id} belongs to another USS")
        if not found.notify_for_operational_intents:
            raise BadRequest(
                f"subscription_id: subscription {sub_id} does not notify for operational intents"
            )
        sub_cells = s.subscription_cells(sub_id)
        covered = (
            covers(sub_cells, cells)
            and found.time_start <= span.start
            and found.time_end >= span.end
        )
        if not covered:
            if not found.implicit:
                raise BadRequest(
                    f"subscription_id: subscription {sub_id} does not cover the intent's extents"
                )
            # An implicit subscription is the DSS's to manage: it grows with its intents.
            grown = replace(
                found,
                time_start=min(found.time_start, span.start),
                time_end=max(found.time_end, span.end),
            )
            s.put_subscription(grown, sub_cells | cells)
        return sub_id, found.notify_for_constraints

    def _check_key(
        self,
        s: DssSession,
        intent_id: str,
        relevant: Sequence[IntentRef],
        cells: frozenset[int],
        span: TimeWindow,
        key: frozenset[str],
        notify_constraints: bool,
    ) -> None:
        """The writer must prove, with OVNs, that it knows every relevant entity.

        Relevant is the grid's answer for the union of the new extents (their cells,
        their overall time span and altitude band), as in the reference DSS, and the
        very answer a query over the same airspace gives: a USS can only key what a
        query showed it, and a USS keying what a query showed it is never refused.
        ``relevant`` is that answer (``intents_in``), asked once for the key and the
        rules (``dss.one_airspace``).
        """
        missing: dict[str, IntentRef] = {}
        for ref in relevant:
            if ref.id == intent_id or ref.ovn in key:
                continue
            # A Down USS cannot be asked for details; its merely planned intents
            # must not block everyone else.
            if (
                ref.uss_availability is UssAvailability.DOWN
                and ref.state is OperationState.ACCEPTED
            ):
                continue
            missing[ref.id] = ref
        missing_constraints: dict[str, ConstraintRef] = {}
        if notify_constraints:
            for c in s.constraints_in(cells, span.start, span.end):
                if c.ovn not in key:
                    missing_constraints[c.id] = c
        if missing or missing_constraints:
            raise AirspaceConflict(
                "the key lacks the current OVN of "
                f"{len(missing)} operational intent(s) and "
                f"{len(missing_constraints)} constraint(s) in the airspace",
                sorted(missing.values(), key=lambda r: r.id),
                sorted(missing_constraints.values(), key=lambda c: c.id),
            )

    def _drop_orphaned_implicit(self, s: DssSession, sub_id: str | None) -> None:
        if sub_id is None:
            return
        sub = s.get_subscription(sub_id)
        if sub is not None and sub.implicit and not sub.dependent_operational_intents:
            s.delete_subscription(sub_id)

    def delete_intent(self, caller: str, intent_id: str, ovn: str) -> IntentChange:
        _required(ovn, "ovn")

        def work(s: DssSession) -> IntentChange:
            old = INTENT.at_ovn(_uss_intent(s.get_intent(intent_id)), intent_id, caller, ovn)
            s.delete_intent(intent_id)
            self._drop_orphaned_implicit(s, old.subscription_id)
            return self._tell_intent(s, old, _intent_airspace(old), deleted=True)

        return self._tx.run(work)

    # ------------------------------------------------------------ subscriptions

    def get_subscription(self, caller: str, sub_id: str) -> SubscriptionRec:
        found = self._tx.run(lambda s: s.get_subscription(sub_id), write=False)
        sub = SUBSCRIPTION.found(found, sub_id)
        SUBSCRIPTION.check_owner(sub_id, sub.owner, caller)
        return sub

    def query_subscriptions(self, caller: str, area: Extent | None) -> list[SubscriptionRec]:
        """Only the caller's own subscriptions that have not expired."""
        probe = query_volume(area, "area_of_interest", AreaTooLarge)
        now = self._clock()
        cells = footprint_cells(probe.footprint)
        found = self._tx.run(
            lambda s: s.subscriptions_in(cells, probe.time.start, probe.time.end), write=False
        )
        return sorted(
            (sub for sub in found if sub.owner == caller and sub.time_end >= now),
            key=lambda sub: sub.id,
        )

    def put_subscription(
        self, caller: str, sub_id: str, version: str | None, params: SubscriptionParams
    ) -> SubscriptionChange:
        """Create (``version`` None) or update an explicit subscription."""
        now = self._clock()
        uss_base_url, new_cells = _subscription_request(version, params, now)
        extent = params.extent

        def work(s: DssSession) -> SubscriptionChange:
            old = _subscription_to_write(s, caller, sub_id, version)
            start, end = _subscription_window(extent, old, now)
            cells = new_cells if new_cells is not None else s.subscription_cells(sub_id)
            if old is not None:
                self._check_dependents(s, old, cells, extent, start, end)
            sub = SubscriptionRec(
                id=sub_id,
                owner=caller,
                version=new_version(),
                notification_index=old.notification_index if old is not None else 0,
                uss_base_url=uss_base_url,
                notify_for_operational_intents=params.notify_for_operational_intents,
                notify_for_constraints=params.notify_for_constraints,
                # Whatever a USS writes itself is its own: an implicit subscription it
                # takes over is explicit from now on and outlives its intents (as in
                # the reference DSS, whose update never sets the implicit flag).
                implicit=False,
                time_start=start,
                time_end=end,
                dependent_operational_intents=(
                    old.dependent_operational_intents if old is not None else ()
                ),
            )
            s.put_subscription(sub, cells)
            return _subscription_change(s, sub, cells, _sub_band(extent))

        return self._tx.run(work)

    def _check_dependents(
        self,
        s: DssSession,
        old: SubscriptionRec,
        cells: frozenset[int],
        extent: Extent,
        start: datetime,
        end: datetime,
    ) -> None:
        """A subscription must keep covering every intent that relies on it."""
        for intent_id in old.dependent_operational_intents:
            ref = s.get_intent(intent_id)
            if ref is None:
                continue
            lower = min(v.altitude.lower_m for v in ref.volumes)
            upper = max(v.altitude.upper_m for v in ref.volumes)
            covered = (
                covers(cells, volumes_cells(ref.volumes))
                and start - ref.time_start <= CLOCK_SKEW
                and ref.time_end <= end
                and (extent.altitude_lower_m is None or extent.altitude_lower_m <= lower)
                and (extent.altitude_upper_m is None or extent.altitude_upper_m >= upper)
            )
            if not covered:
                raise BadRequest(
                    f"extents: the subscription would no longer cover operational intent "
                    f"{intent_id}, which depends on it"
                )

    def delete_subscription(self, caller: str, sub_id: str, version: str) -> SubscriptionRec:
        _required(version, "version")

        def work(s: DssSession) -> SubscriptionRec:
            old = SUBSCRIPTION.found(s.get_subscription(sub_id), sub_id)
            # Owner first, as the reference DSS deletes: another USS learns nothing
            # about the version.
            SUBSCRIPTION.check_owner(sub_id, old.owner, caller)
            SUBSCRIPTION.check_version(sub_id, old.version, version)
            if old.dependent_operational_intents:
                raise BadRequest(
                    f"subscription {sub_id} still serves operational intent(s) "
                    + ", ".join(old.dependent_operational_intents)
                )
            s.delete_subscription(sub_id)
            return old

        return self._tx.run(work)

    # -------------------------------------------------------------- constraints

    def get_constraint(self, constraint_id: str) -> ConstraintRef:
        found = self._tx.run(lambda s: s.get_constraint(constraint_id), write=False)
        return CONSTRAINT.found(found, constraint_id)

    def query_constraints(self, area: Extent | None) -> list[ConstraintRef]:
        """Constraints are matched on cells and time only, as in the reference DSS (and
        as the key check matches them)."""
        probe = query_volume(area, "area_of_interest")
        cells = footprint_cells(probe.footprint)
        found = self._tx.run(
            lambda s: s.constraints_in(cells, probe.time.start, probe.time.end), write=False
        )
        return sorted(found, key=lambda c: c.id)

    def put_constraint(
        self, caller: str, constraint_id: str, ovn: str | None, params: ConstraintParams
    ) -> ConstraintChange:
        now = self._clock()
        uss_base_url = check_base_url(params.uss_base_url, "uss_base_url")
        if not params.extents:
            raise BadRequest("extents: at least one volume is required")
        extents = tuple(constraint_extent(e, f"extents[{i}]") for i, e in enumerate(params.extents))
        check_f3548(  # request cost (core.limits), before any covering
            ((f"extents[{i}].volume", e.footprint) for i, e in enumerate(extents) if e.footprint),
            self._limits,
        )
        cells = _constraint_cells(extents)
        span = _constraint_span(extents)
        check_not_ended(span, "constraint", now)

        def work(s: DssSession) -> ConstraintChange:
            old = _ref_to_write(
                CONSTRAINT,
                _uss_constraint(s.get_constraint(constraint_id), ovn),
                s.constraint_exists,
                caller,
                constraint_id,
                ovn,
                MissingConstraintOnUpdate,
            )
            ref = ConstraintRef(
                id=constraint_id,
                manager=caller,
                version=old.version + 1 if old is not None else 1,
                ovn=new_ovn(),
                uss_base_url=uss_base_url,
                time_start=span.start,
                time_end=span.end,
                extents=extents,
            )
            s.put_constraint(ref, cells)
            before = _constraint_airspace(old) if old is not None else None
            return self._tell_constraint(s, ref, _touched((cells, span), before), deleted=False)

        return self._tx.run(work)

    def _tell_constraint(
        self, s: DssSession, ref: ConstraintRef, airspace: _Airspace, *, deleted: bool
    ) -> ConstraintChange:
        change = ConstraintChange(ref, _bump(s, airspace, for_constraints=True))
        if self._notifier is not None:
            self._notifier.constraint_changed(s, change, deleted=deleted)
        return change

    def delete_constraint(self, caller: str, constraint_id: str, ovn: str) -> ConstraintChange:
        _required(ovn, "ovn")

        def work(s: DssSession) -> ConstraintChange:
            old = CONSTRAINT.at_ovn(
                _uss_constraint(s.get_constraint(constraint_id), ovn), constraint_id, caller, ovn
            )
            s.delete_constraint(constraint_id)
            return self._tell_constraint(s, old, _constraint_airspace(old), deleted=True)

        return self._tx.run(work)

    # ------------------------------------------------- availability and reports

    def get_availability(self, uss_id: str) -> AvailabilityStatus:
        found = self._tx.run(lambda s: s.get_availability(uss_id), write=False)
        return found or AvailabilityStatus(uss_id, UssAvailability.UNKNOWN, "")

    def set_availability(
        self, uss_id: str, old_version: str, availability: str
    ) -> AvailabilityStatus:
        """``old_version`` "" means "no status recorded yet", as in the reference DSS."""
        wanted = {a.value.lower(): a for a in UssAvailability}.get(availability.strip().lower())
        if wanted is None:
            raise BadRequest(
                f"availability: {availability[:32]!r} is not one of Unknown, Normal, Down"
            )
        if not uss_id:
            raise BadRequest("uss_id: is required")
        now = self._clock()

        def work(s: DssSession) -> AvailabilityStatus:
            current = s.get_availability(uss_id)
            current_version = current.version if current is not None else ""
            if old_version != current_version:
                raise Conflict(
                    f"old_version {old_version!r} is not the current version of {uss_id}'s "
                    "availability"
                )
            status = AvailabilityStatus(uss_id, wanted, new_version())
            s.put_availability(status, now)
            return status

        return self._tx.run(work)

    def make_report(self, caller: str, report: dict[str, Any]) -> str:
        """Archive a USS's report of a problem; returns the report id."""
        report_id = new_uuid4()
        now = self._clock()
        self._tx.run(lambda s: s.add_report(report_id, caller, report, now))
        return report_id
