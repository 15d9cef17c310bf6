"""The one place that decides what a viewer may see of an object it does not own.

Defaults, by the rule of need-to-know:

* own objects in full;
* another party's operation as a *reference*: extent, time, altitude band, state,
  priority and party; not its id, shape or details;
* a conflict with another party's operation says where and when (and the other side's
  party and priority, which the planner needs to understand a refusal), naming the other
  operation only under an ``operation_ids`` agreement;
* another party's telemetry only while its aircraft is in conflict with one of the
  viewer's, or off-nominal; always under a ``telemetry`` agreement;
* the service operator (``deconflict.admin``) sees everything: it runs the service and
  answers for it.

The policy is a value built per request from the agreements read in that request's
transaction, so a revoked agreement stops disclosure on every replica at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from deconflict.access.agreements import Agreements, Grant
from deconflict.model.operation import Operation

ALL_GRANTS = frozenset(Grant)


@dataclass(frozen=True, slots=True)
class OperationView:
    """How much of one operation a viewer sees; the wire layer renders accordingly."""

    full: bool
    """Everything: shape, version, details (own operations, the operator)."""
    operation_id: bool
    call_sign: bool
    details: bool

    @property
    def level(self) -> str:
        return "full" if self.full else "reference"


REFERENCE_ONLY = OperationView(full=False, operation_id=False, call_sign=False, details=False)
"""A plain reference: what any party sees of another's operation by default."""


@dataclass(frozen=True)
class DisclosurePolicy:
    agreements: Agreements
    operators: frozenset[str] = frozenset()
    """Viewers that see everything (the service operator's principals)."""

    def grants(self, viewer: str, owner: str) -> frozenset[Grant]:
        """What ``viewer`` may see of ``owner``'s objects beyond references."""
        if viewer == owner or viewer in self.operators:
            return ALL_GRANTS
        return self.agreements.between(viewer, owner)

    def operation(self, viewer: str, op: Operation) -> OperationView:
        if op.party == viewer or viewer in self.operators:
            return OperationView(full=True, operation_id=True, call_sign=True, details=True)
        g = self.agreements.between(viewer, op.party)
        if not g:
            return REFERENCE_ONLY
        details = Grant.DETAILS in g
        return OperationView(
            full=False,
            operation_id=Grant.OPERATION_IDS in g,
            call_sign=details or Grant.CALL_SIGNS in g,
            details=details,
        )

    def constraint_in_full(self, viewer: str, owner: str) -> bool:
        """A constraint's shape and details: its owner, the operator, or a ``details``
        agreement with the owner; everyone else plans against its reference and learns
        exactly where it bites from the planner's conflict reports."""
        return Grant.DETAILS in self.grants(viewer, owner)

    def zone_in_full(self, viewer: str, parties: Iterable[str]) -> bool:
        """An agreed zone in full to the operator and to the parties it assigns."""
        return viewer in self.operators or viewer in set(parties)

    def may_name(self, viewer: str, own: Operation, other: Operation) -> bool:
        """May ``viewer`` (the owner of ``own``) learn ``other``'s id? (notices, reports)"""
        return Grant.OPERATION_IDS in self.grants(viewer, other.party)

    def may_see_telemetry(
        self, viewer: str, owner: str, *, in_conflict_with_viewer: bool, off_nominal: bool
    ) -> bool:
        """Another party's aircraft is shown only when the viewer needs to see it."""
        if Grant.TELEMETRY in self.grants(viewer, owner):
            return True
        return in_conflict_with_viewer or off_nominal

    def may_identify(self, viewer: str, owner: str) -> bool:
        """May tracks and alerts show ``owner``'s ids and call signs to ``viewer``?"""
        g = self.grants(viewer, owner)
        return bool(g & {Grant.OPERATION_IDS, Grant.CALL_SIGNS, Grant.DETAILS})


def call_sign(details: Mapping[str, Any]) -> str | None:
    """The call sign an operation's details carry, if any (``call_sign`` or ``callsign``)."""
    for key in ("call_sign", "callsign"):
        value = details.get(key)
        if isinstance(value, str):
            return value
    return None


NO_AGREEMENTS = DisclosurePolicy(Agreements())
"""The policy with no agreement: every party sees only references of the others."""
