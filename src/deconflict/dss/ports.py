"""What the DSS semantics need from persistence, as a protocol: no SQL here.

Every ``DssService`` operation is one call to ``DssTransactor.run``: one serializable
transaction, so the key check, the write and the notification-index increments happen
atomically and a concurrent writer cannot slip in between the check and the write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from deconflict.dss.records import (
    AvailabilityStatus,
    ConstraintRef,
    IntentRef,
    Subscriber,
    SubscriptionRec,
)
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState

T = TypeVar("T")


class DssSession(Protocol):
    # --- operational intent references (stored as operations) ---
    def get_intent(self, intent_id: str) -> IntentRef | None: ...

    def operation_exists(self, operation_id: str) -> bool:
        """Whether any operation (DSS or native) already uses the id."""
        ...

    def intents_in(
        self, cells: Collection[int], window: TimeWindow, altitudes: AltitudeBand
    ) -> list[IntentRef]:
        """The intent references *relevant* to an airspace, as the reference DSS's grid
        says: an intent sharing a cell with ``cells`` whose overall time span (first
        start to last end of its extents) meets ``window`` and whose overall altitude
        band meets ``altitudes``. Queries, key checks and subscription responses all
        ask this one question, so they agree on what a USS must know."""
        ...

    def put_intent(
        self,
        intent_id: str,
        manager: str,
        state: OperationState,
        volumes: Sequence[Volume4D],
        ovn: str,
        uss_base_url: str,
        subscription_id: str | None,
        priority: int = 0,
    ) -> IntentRef:
        """Create or replace; the reference as written. ``priority`` is what the native
        planner holds the intent at (its USS's grant)."""
        ...

    # --- native operations, as the service shows them to USSs (dss.native_intents) ---
    def native_intent(self, intent_id: str) -> tuple[IntentRef, Operation] | None:
        """The live native operation USSs know by the F3548 id ``intent_id``, with its
        reference; None when there is none (or it has ended)."""
        ...

    def native_candidates(self, volume: Volume4D) -> list[tuple[IntentRef, Operation]]:
        """The live native operations that may overlap ``volume`` (the planner's cell
        and bounds search, not yet the exact test), with their references."""
        ...

    def uss_priority(self, uss: str) -> int:
        """The highest priority the operator granted ``uss`` (``deconflict parties
        grant``; the lowest, 0, by default): the priority of its intents."""
        ...

    def delete_intent(self, intent_id: str) -> None: ...

    # --- subscriptions ---
    def get_subscription(self, subscription_id: str) -> SubscriptionRec | None: ...

    def subscription_cells(self, subscription_id: str) -> frozenset[int]: ...

    def put_subscription(self, sub: SubscriptionRec, cells: Collection[int]) -> None:
        """Insert or replace, cells included; ``sub.notification_index`` is stored as is."""
        ...

    def delete_subscription(self, subscription_id: str) -> None: ...

    def subscriptions_in(
        self, cells: Collection[int], start: datetime, end: datetime
    ) -> list[SubscriptionRec]: ...

    def bump_notification_indices(
        self,
        cells: Collection[int],
        start: datetime,
        end: datetime,
        *,
        for_constraints: bool,
    ) -> tuple[Subscriber, ...]:
        """Increment the index of every subscription over ``cells`` and the time window
        that asks for this kind of change; return them with their new index, as the
        subscribers to notify (``records.subscribers_to_notify``)."""
        ...

    # --- constraint references ---
    def get_constraint(self, constraint_id: str) -> ConstraintRef | None: ...

    def constraint_exists(self, constraint_id: str) -> bool:
        """Whether any constraint (DSS or native) already uses the id."""
        ...

    def put_constraint(self, ref: ConstraintRef, cells: Collection[int]) -> None: ...

    def delete_constraint(self, constraint_id: str) -> None: ...

    def constraints_in(
        self, cells: Collection[int], start: datetime, end: datetime
    ) -> list[ConstraintRef]: ...

    # --- availability and reports ---
    def get_availability(self, uss_id: str) -> AvailabilityStatus | None: ...

    def put_availability(self, status: AvailabilityStatus, now: datetime) -> None: ...

    def add_report(
        self, report_id: str, reporter: str, report: dict[str, Any], now: datetime
    ) -> None: ...


class DssTransactor(Protocol):
    def run(self, work: Callable[[DssSession], T], write: bool = True) -> T:
        """``work`` in one serializable transaction, retried on transient failures."""
        ...
