"""One set of rules across both APIs: a USS intent against the native operations.

Between USSs F3548's own model holds: the key proves awareness and USSs deconflict
among themselves. A native operation, though, is protected by the service's rules
(``core.rules``), so a USS intent that overlaps one exactly (the planner's 4D test,
not the grid's relevance) is judged as a native operation planned there would be. An
F3548 reference carries no priority, so a USS's intents are at the priority the
operator granted it (``deconflict parties grant``; the lowest, 0, by default), never
above; a native operation's priority is the same integer F3548 details carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deconflict.core.report import volume_overlaps
from deconflict.core.rules import Reason, Verdict, judge
from deconflict.dss.ports import DssSession
from deconflict.dss.records import IntentRef
from deconflict.errors import AirspaceConflict
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation
from deconflict.settings import EqualPriorityPolicy

_RULES = {
    Reason.LOWER_PRIORITY: "lower priority",
    Reason.EQUAL_PRIORITY: "equal priority, which this service refuses (equal_priority: reject)",
}


def overlapped_natives(
    s: DssSession, volumes: Sequence[Volume4D]
) -> list[tuple[IntentRef, Operation]]:
    """The live native operations some of ``volumes`` overlap exactly, by F3548 id."""
    found: dict[str, tuple[IntentRef, Operation]] = {}
    for v in volumes:
        for ref, op in s.native_candidates(v):
            found.setdefault(ref.id, (ref, op))
    planned = tuple(volumes)
    return [found[i] for i in sorted(found) if volume_overlaps(planned, found[i][1].volumes)]


def overlapped_among(
    s: DssSession, volumes: Sequence[Volume4D], relevant: Iterable[IntentRef]
) -> list[tuple[IntentRef, Operation]]:
    """``overlapped_natives`` when the grid's relevant references are known already:
    an exact overlap is also a grid one (a shared cell, span and band), so only the
    native references among them need the exact test, and no search is repeated."""
    found = []
    planned = tuple(volumes)
    for ref in sorted((r for r in relevant if r.native), key=lambda r: r.id):
        if volume_overlaps(planned, ref.volumes):
            native = s.native_intent(ref.id)
            if native is not None:
                found.append(native)
    return found


def check_natives(
    s: DssSession,
    planned: Operation,
    policy: EqualPriorityPolicy,
    relevant: Iterable[IntentRef] | None = None,
) -> list[tuple[IntentRef, Operation]]:
    """Refuse (409 naming the rule) a USS intent, ``planned`` as an operation at its
    USS's granted priority, that the rules forbid over a native operation; else the
    native operations it may overlap, whose parties are to be told.

    The refusal is F3548's ``AirspaceConflictResponse``, the body a USS expects of a
    409 to this request, with nothing missing from its key: the message says why.
    ``relevant``: the references relevant to the intent's airspace by the grid, when
    the key check has found them (the native operations are then not searched again).
    """
    if not planned.state.is_nominal:
        return []  # off-nominal intents block nothing, as off-nominal operations
    allowed = []
    overlapped = (
        overlapped_natives(s, planned.volumes)
        if relevant is None
        else overlapped_among(s, planned.volumes, relevant)
    )
    for ref, op in overlapped:
        verdict, reason = judge(planned, op, policy)
        if verdict is Verdict.BLOCKING:
            raise AirspaceConflict(
                f"operational intent overlaps operational intent {ref.id} of priority "
                f"{op.priority}, which the service protects: {_RULES.get(reason, reason.value)} "
                f"(this USS is granted priority {planned.priority}; the operator sets it "
                "with `deconflict parties grant`)",
                (),
                (),
            )
        allowed.append((ref, op))
    return allowed
