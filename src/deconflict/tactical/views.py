"""What the live picture hands out: per-viewer views and the notices of a pass.

Every object here is already cut to what its recipient may see, or (``AlertNotice``)
holds the identified and the anonymous form side by side, and the sharing policy picks
one at delivery time. Nothing here carries another party's track id or party name
unless a ``Sharing`` answer allowed it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from deconflict.model.operation import OperationState
from deconflict.tactical.alerts import AlertState, EventKind, Observation, Severity
from deconflict.tactical.resolution import Advisory
from deconflict.tactical.sharing import Sharing


@dataclass(frozen=True, slots=True)
class Traffic:
    """Another party's aircraft as a viewer may see it: an alias and a state vector.

    ``id`` and ``party`` are set only under an agreement that lets the viewer identify
    the owner's aircraft.
    """

    alias: str
    time: datetime
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    track_deg: float
    vs_mps: float
    off_nominal: bool = False
    id: str | None = None
    party: str | None = None


@dataclass(frozen=True, slots=True)
class PartyAlert:
    """One alert as seen from one of the viewer's aircraft (``own``).

    ``other_id`` is set when the other aircraft is the viewer's too, or when an agreement
    lets the viewer identify it (then ``other_party`` names its party as well); otherwise
    the other aircraft is only ``other_alias`` and, while it still reports,
    ``other_traffic``.
    """

    alert_id: int
    own: str
    other_id: str | None
    other_alias: str | None
    other_traffic: Traffic | None
    state: AlertState
    severity: Severity
    acknowledged: bool
    latest: Observation
    first_seen: datetime
    last_seen: datetime
    advisory: Advisory | None
    advisory_clears: bool | None
    other_party: str | None = None
    advisory_reversed: bool = False
    """The advisory's sense is the reverse of the encounter's first (see ``Sense``)."""


def identified(view: PartyAlert, other_id: str, other_party: str) -> PartyAlert:
    """``view`` naming the other aircraft and its party (under an agreement)."""
    traffic = view.other_traffic
    if traffic is not None:
        traffic = replace(traffic, id=other_id, party=other_party)
    return replace(view, other_id=other_id, other_party=other_party, other_traffic=traffic)


@dataclass(frozen=True, slots=True)
class AlertNotice:
    """An alert event for one party, about one of its aircraft in the alert.

    Built inside the pass, delivered after it (through the party event stream), so the
    sharing policy is asked at delivery, in the delivery's own transaction.
    """

    kind: EventKind
    party: str
    view: PartyAlert
    """The anonymous form (or the plain form when both aircraft are ``party``'s)."""
    other_party: str
    other_id: str
    acknowledged_by: str | None = None
    """For ``ACKNOWLEDGED``: the party that acknowledged."""

    def view_for(self, sharing: Sharing) -> PartyAlert:
        if self.other_party == self.party or not sharing.may_identify(self.party, self.other_party):
            return self.view
        return identified(self.view, self.other_id, self.other_party)

    @property
    def parties(self) -> tuple[str, str]:
        """The two parties of the alert, ``party`` first (the hotline registers both)."""
        return (self.party, self.other_party)


@dataclass(frozen=True, slots=True)
class Position:
    """Where an aircraft was, without saying whose: for notices to third parties."""

    time: datetime
    lat: float
    lon: float
    alt_m: float


@dataclass(frozen=True, slots=True)
class StateChange:
    """Monitoring moved an operation to ``state`` (or back to Activated) at ``at``.

    ``aircraft`` are the last positions of the operation's tracks, so that parties
    flying near can be told where the off-nominal aircraft actually is, which is
    precisely *not* inside the operation's volumes.
    """

    operation: str
    party: str
    state: OperationState
    at: datetime
    aircraft: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class Disclosed:
    """A track read showed ``viewer`` an aircraft of ``owner`` outside any alert between
    them (off-nominal, or under a telemetry agreement): for the audit log, once per
    viewer and aircraft. (Inside an alert, the ``alert.new`` event is the record.)"""

    viewer: str
    owner: str
    track_id: str
    reason: str
    """``off_nominal`` or ``agreement``."""
    identified: bool
