"""What the operator lets each party declare: its priority range, off-nominal states.

Priority decides who must give way: an operation of higher priority may overlap a lower
one, whose owner is only told. Declared by the parties themselves, it let any party
claim priority 2^63-1 over everyone; and an operation declared ``Contingent`` at
creation is no longer protected by strategic deconfliction, nor held to it. So both are
granted by the service operator, per party, beside the sharing agreements
(``deconflict parties grant``), in the spirit of F3548, which reserves the off-nominal
states to the conformance-monitoring role.

The defaults are the conservative ones: priority 0 only, no off-nominal declaration
(the service's own conformance monitoring still marks operations Nonconforming and
Contingent; that is not a party's declaration).
"""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.errors import InvalidInput
from deconflict.model.numbers import INT64_MAX, INT64_MIN
from deconflict.model.operation import OperationState

DEFAULT_PRIORITY_MIN = 0
DEFAULT_PRIORITY_MAX = 0

OFF_NOMINAL = frozenset({OperationState.NONCONFORMING, OperationState.CONTINGENT})


@dataclass(frozen=True)
class PartyGrant:
    """One party's grant; a party with no grant recorded has ``PartyGrant(party)``."""

    party: str
    priority_min: int = DEFAULT_PRIORITY_MIN
    priority_max: int = DEFAULT_PRIORITY_MAX
    off_nominal: bool = False

    def __post_init__(self) -> None:
        if not self.party:
            raise InvalidInput("party", "must not be empty")
        bounds = {"priority_min": self.priority_min, "priority_max": self.priority_max}
        for name, value in bounds.items():
            if not INT64_MIN <= value <= INT64_MAX:
                raise InvalidInput(name, "must be a signed 64-bit integer")
        if self.priority_min > self.priority_max:
            raise InvalidInput("priority_min", "must not exceed priority_max")

    @property
    def is_default(self) -> bool:
        return self == PartyGrant(self.party)

    def describe(self) -> str:
        low, high = self.priority_min, self.priority_max
        priorities = f"priority {low}" if low == high else f"priorities {low}..{high}"
        states = "may declare" if self.off_nominal else "may not declare"
        return f"{priorities}; {states} Nonconforming or Contingent"

    def refusal(self, priority: int, state: OperationState) -> InvalidInput | None:
        """Why a submission with ``priority`` and ``state`` is beyond this grant, naming
        the field and the grant; ``None`` when it is within."""
        return self.priority_refusal(priority) or self.state_refusal(state)

    def priority_refusal(self, priority: int) -> InvalidInput | None:
        if self.priority_min <= priority <= self.priority_max:
            return None
        return InvalidInput(
            "priority",
            f"{priority} is outside the range the operator granted {self.party!r} "
            f"({self.priority_min}..{self.priority_max})",
        )

    def state_refusal(self, state: OperationState) -> InvalidInput | None:
        if state not in OFF_NOMINAL or self.off_nominal:
            return None
        return InvalidInput(
            "state",
            f"{state.value} is an off-nominal state, which the operator has not granted "
            f"{self.party!r} to declare",
        )


def within_defaults(priority: int, state: OperationState) -> bool:
    """True when any party may submit this, so no grant needs reading: a plain
    submission costs no extra read."""
    return PartyGrant("any").refusal(priority, state) is None
