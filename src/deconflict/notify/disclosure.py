"""Whether a conflict notice may name the other side.

The event stream asks one question of the need-to-know policy: "may ``viewer`` learn
who owns ``other``?". By default the answer comes from the sharing agreements as they
stand in the notice's own transaction (``deconflict parties share``), so a notice and
the change it reports are decided on the same facts. ``notify.name_other_operation``
turns naming on for every pair, for a service whose parties all agreed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from deconflict.model.operation import Operation
from deconflict.store.sharing import policy_of


class Disclosure(Protocol):
    def may_name(self, viewer: str, own: Operation, other: Operation) -> bool:
        """True if ``viewer`` (the owner of ``own``) may see ``other``'s id and party."""
        ...


class DisclosureSource(Protocol):
    def in_session(self, session: Any) -> Disclosure:
        """The answer as of the caller's transaction."""
        ...


@dataclass(frozen=True)
class ServiceWideSharing:
    """One answer for every pair, whatever the agreements say."""

    share: bool = False

    def may_name(self, viewer: str, own: Operation, other: Operation) -> bool:
        return self.share or other.party == viewer

    def in_session(self, session: Any) -> Disclosure:
        return self


@dataclass(frozen=True)
class AgreedSharing:
    """The sharing agreements in the store decide, pair by pair."""

    def in_session(self, session: Any) -> Disclosure:
        return policy_of(session)
