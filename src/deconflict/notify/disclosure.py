"""Whether a conflict notice may name the other side.

HOOK (need-to-know disclosure): this is the single place the event stream asks "may
``viewer`` learn who owns ``other``?". The default answers with one service-wide
setting (``notify.name_other_operation``, off). Per-pair sharing agreements belong in
an implementation of ``Disclosure`` passed to ``Notifier``; nothing else in ``notify``
needs to change for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from deconflict.model.operation import Operation


class Disclosure(Protocol):
    def may_name(self, viewer: str, own: Operation, other: Operation) -> bool:
        """True if ``viewer`` (the owner of ``own``) may see ``other``'s id and party."""
        ...


@dataclass(frozen=True)
class ServiceWideSharing:
    """One answer for every pair: the conservative default until agreements exist."""

    share: bool = False

    def may_name(self, viewer: str, own: Operation, other: Operation) -> bool:
        return self.share or other.party == viewer
