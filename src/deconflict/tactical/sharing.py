"""What one party may learn of another party's aircraft: the tactical need-to-know port.

The live picture asks two questions, and only these, whenever it shows a party anything
about an aircraft that is not the party's own:

- ``may_identify(viewer, owner)``: may alerts and traffic carry the aircraft's track id
  (its call sign) and its party, rather than a per-viewer alias?
- ``may_see_telemetry(viewer, owner, in_conflict_with_viewer=..., off_nominal=...)``: may
  the viewer see the aircraft's state vector at all?

The answers belong to the service-wide disclosure policy (sharing agreements between
pairs of parties, configured by the operator). This module only states the port, and the
answer every party gets when no agreement exists, so the tactical layer depends on
nothing above it: ``deconflict.access.DisclosurePolicy`` satisfies ``Sharing`` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Sharing(Protocol):
    def may_identify(self, viewer: str, owner: str) -> bool:
        """May ``viewer`` see ``owner``'s track ids (call signs) and party name?"""
        ...

    def may_see_telemetry(
        self, viewer: str, owner: str, *, in_conflict_with_viewer: bool, off_nominal: bool
    ) -> bool:
        """May ``viewer`` see the state vector of an aircraft of ``owner``?"""
        ...


@dataclass(frozen=True)
class NoAgreements:
    """Need-to-know with no sharing agreement: the default for every pair of parties.

    Another party's aircraft is anonymous traffic, and visible only while it is in
    conflict with one of the viewer's aircraft or off-nominal (its operation
    Nonconforming or Contingent): that is when the viewer has to act on it.
    """

    def may_identify(self, viewer: str, owner: str) -> bool:
        return viewer == owner

    def may_see_telemetry(
        self, viewer: str, owner: str, *, in_conflict_with_viewer: bool, off_nominal: bool
    ) -> bool:
        return viewer == owner or in_conflict_with_viewer or off_nominal


NO_AGREEMENTS = NoAgreements()
