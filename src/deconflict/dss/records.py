"""The DSS's own records: references to entities whose details live with their USS.

These are what the service reads and writes through ``ports.DssSession``; the wire
models in ``deconflict.dss.wire`` are built from them and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import groupby
from operator import itemgetter

from deconflict.geo.footprint import Footprint
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation, OperationState

NO_OVN_PHRASE = "Available from USS"
"""What everyone but the manager sees instead of an OVN (the reference DSS's phrase)."""

NULL_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000000"
"""``subscription_id`` of an intent with no subscription: the field is required on the wire."""


class UssAvailability(StrEnum):
    UNKNOWN = "Unknown"
    NORMAL = "Normal"
    DOWN = "Down"


@dataclass(frozen=True)
class Extent:
    """A wire ``Volume4D`` before the rules of its endpoint decide what may be missing."""

    footprint: Footprint | None = None
    altitude_lower_m: float | None = None
    altitude_upper_m: float | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class IntentRef:
    """An operational intent reference; ``volumes`` are its extents, exact geometry kept."""

    id: str
    manager: str
    version: int
    state: OperationState
    ovn: str
    uss_base_url: str
    subscription_id: str | None
    time_start: datetime
    time_end: datetime
    uss_availability: UssAvailability
    volumes: tuple[Volume4D, ...] = field(compare=False)
    native: bool = field(default=False, compare=False)
    """A native operation's reference, which the service manages for its party
    (``dss.native_intents``): no USS may write it, whatever its name."""


@dataclass(frozen=True)
class ConstraintRef:
    """A constraint reference; its extents may leave altitude open but never time."""

    id: str
    manager: str
    version: int
    ovn: str
    uss_base_url: str
    time_start: datetime
    time_end: datetime
    extents: tuple[Extent, ...] = field(compare=False)
    native: bool = field(default=False, compare=False)
    """A native constraint's reference, which the service manages for its owner
    (``dss.native_constraints``): no USS may write it, whatever its name."""


@dataclass(frozen=True)
class SubscriptionRec:
    """A subscription; ``cells`` are loaded only when asked for (implicit ones grow large)."""

    id: str
    owner: str
    version: str
    notification_index: int
    uss_base_url: str
    notify_for_operational_intents: bool
    notify_for_constraints: bool
    implicit: bool
    time_start: datetime
    time_end: datetime
    dependent_operational_intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subscriber:
    """One ``SubscriberToNotify``: every subscription of one USS touched by a change."""

    uss_base_url: str
    subscriptions: tuple[tuple[str, int], ...]


def subscribers_to_notify(members: list[tuple[str, str, int]]) -> tuple[Subscriber, ...]:
    """``SubscriberToNotify`` entries from ``(uss_base_url, subscription id, index)``
    (sorted in place): one per base URL, so a USS gets one POST, subscriptions by id.
    Plain tuples, no object per subscription: a change over an audience of 1,000
    subscriptions answers all of them (``bench/notify.py``)."""
    members.sort()
    return tuple(
        Subscriber(url, tuple((sid, index) for _, sid, index in group))
        for url, group in groupby(members, key=itemgetter(0))
    )


@dataclass(frozen=True)
class IntentChange:
    intent: IntentRef
    subscribers: tuple[Subscriber, ...]
    natives: tuple[tuple[IntentRef, Operation], ...] | None = field(
        default=None, compare=False, repr=False
    )
    """The live native operations the intent's volumes overlap exactly, as the DSS
    found them for the write (None: not looked for), so that whoever tells their parties
    need not search again."""


@dataclass(frozen=True)
class ConstraintChange:
    constraint: ConstraintRef
    subscribers: tuple[Subscriber, ...]


@dataclass(frozen=True)
class SubscriptionChange:
    """``None`` lists are omitted on the wire (the notify flag for them is off)."""

    subscription: SubscriptionRec
    intents: tuple[IntentRef, ...] | None
    constraints: tuple[ConstraintRef, ...] | None


@dataclass(frozen=True)
class AvailabilityStatus:
    uss: str
    availability: UssAvailability
    version: str


@dataclass(frozen=True)
class IntentParams:
    """A validated-shape ``PutOperationalIntentReferenceParameters``."""

    extents: tuple[Extent, ...]
    state: OperationState
    uss_base_url: str
    key: frozenset[str] = frozenset()
    subscription_id: str | None = None
    new_subscription: ImplicitSubscription | None = None


@dataclass(frozen=True)
class ImplicitSubscription:
    uss_base_url: str
    notify_for_constraints: bool = False


@dataclass(frozen=True)
class SubscriptionParams:
    extent: Extent
    uss_base_url: str
    notify_for_operational_intents: bool = False
    notify_for_constraints: bool = False


@dataclass(frozen=True)
class ConstraintParams:
    extents: tuple[Extent, ...]
    uss_base_url: str
