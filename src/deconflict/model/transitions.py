"""The one table of allowed operation state transitions.

Every path that changes an operation's state asks this table: the native API
(``POST /v1/operations/{id}/state`` and a ``PUT`` that replaces an operation), the
conformance monitor of the tactical service, and the F3548 DSS path (whose four states
are the same names; its "Ended" is a DELETE, so it only ever asks about the four).

The table is F3548-21's state diagram:

- **Accepted** may be activated, ended, or declared off-nominal before it starts.
- **Activated** may go off-nominal or end; it cannot be un-started (back to Accepted).
- **Nonconforming** may recover to Activated, escalate to Contingent, or end.
- **Contingent** "must transition to Ended" (F3548 ``OperationalIntentState``): the
  aircraft is considered unrecoverable, so neither monitoring nor its party brings it back.
- **Ended** is terminal: in F3548 an ended operation is gone. A new flight is a new
  operation.

Staying in a live state (``Activated -> Activated``) is allowed: it is how a PUT updates
volumes without changing state, and it makes a repeated request harmless. ``Ended ->
Ended`` is refused like every other transition out of Ended.

Who may *declare* an off-nominal state is a separate question (grants, see ``access``);
this table only says which state may follow which.
"""

from __future__ import annotations

from collections.abc import Mapping

from deconflict.errors import TransitionRefused
from deconflict.model.operation import OperationState

_S = OperationState

ALLOWED: Mapping[OperationState, tuple[OperationState, ...]] = {
    _S.ACCEPTED: (_S.ACCEPTED, _S.ACTIVATED, _S.NONCONFORMING, _S.CONTINGENT, _S.ENDED),
    _S.ACTIVATED: (_S.ACTIVATED, _S.NONCONFORMING, _S.CONTINGENT, _S.ENDED),
    _S.NONCONFORMING: (_S.NONCONFORMING, _S.ACTIVATED, _S.CONTINGENT, _S.ENDED),
    _S.CONTINGENT: (_S.CONTINGENT, _S.ENDED),
    _S.ENDED: (),
}
"""State -> the states it may become, in a stable order (the order error messages use)."""


def is_allowed(current: OperationState, requested: OperationState) -> bool:
    """Whether ``requested`` may follow ``current``."""
    return requested in ALLOWED[current]


def refusal(current: OperationState, requested: OperationState) -> TransitionRefused:
    """The refusal of ``current`` -> ``requested``, naming the states the table allows."""
    return TransitionRefused(current, requested, ALLOWED[current])


def check_transition(current: OperationState, requested: OperationState) -> None:
    """Raise ``TransitionRefused`` unless ``requested`` may follow ``current``."""
    if not is_allowed(current, requested):
        raise refusal(current, requested)
