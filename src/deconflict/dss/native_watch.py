"""The service as a subscriber for its native parties' airspace.

F3548 has the USS that changes an intent notify the subscribers the DSS answer lists.
The service is the USS of its native parties, so it must be among them wherever a
change meets a live native operation: then the changing USS POSTs its notification
to the service (``/uss/v1/operational_intents``), as it would to any USS with a
subscription there. Rather than keep subscription rows that would have to follow every
native operation (created, grown and removed with it), the DSS lists the service from
the native operations themselves: each overlapped native operation stands for one
subscription whose id is the operation's F3548 id and whose notification index is its
version. The index is not a count of notifications sent: F3548 lets a subscriber use it
to spot a missed notification, and the service, which sees every change of its own DSS
itself, has no use for that.
"""

from __future__ import annotations

from collections.abc import Iterable

from deconflict.dss.records import IntentRef, Subscriber
from deconflict.model.operation import Operation


def service_subscribers(
    overlapped: Iterable[tuple[IntentRef, Operation]],
) -> tuple[Subscriber, ...]:
    """The service (at its public base URL) as a subscriber of the live native
    operations a change overlaps (``dss.one_airspace.overlapped_natives``), one
    subscription per operation; none if none."""
    by_url: dict[str, list[tuple[str, int]]] = {}
    for ref, _ in overlapped:
        by_url.setdefault(ref.uss_base_url, []).append((ref.id, ref.version))
    return tuple(Subscriber(url, tuple(subs)) for url, subs in sorted(by_url.items()))
