"""Per-party admission within one process: heavy requests in flight, and planning
answers that showed where another party's operations are.

Both are counted in this process's memory, so they belong to the service's parts (one
of each per ``Services``), not to a request; the API asks them before doing the work.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from deconflict.errors import Busy, OverBudget
from deconflict.settings import LimitsSettings


class PartyGate:
    """Heavy requests in flight, per party, at most ``limits.heavy_slots_per_party``."""

    def __init__(self, limits: LimitsSettings) -> None:
        self.limits = limits
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, party: str) -> None:
        """One of ``party``'s slots, or ``Busy`` at once: nobody queues."""
        with self._lock:
            running = self._running.get(party, 0)
            if running >= self.limits.heavy_slots_per_party:
                raise Busy(
                    f"party {party!r} already runs {running} heavy request(s) (a body over "
                    f"{self.limits.heavy_body_bytes:,} bytes or over "
                    f"{self.limits.heavy_request_cells:,} estimated cells; "
                    "DECONFLICT_LIMITS__HEAVY_SLOTS_PER_PARTY): retry when it has finished"
                )
            self._running[party] = running + 1

    def release(self, party: str) -> None:
        with self._lock:
            left = self._running[party] - 1
            if left:
                self._running[party] = left
            else:
                del self._running[party]


class ProbeBudget:
    """Planning answers that showed a party where another party's operation is, per
    party over the last hour, at most ``limits.max_reports_per_hour``.

    Each such answer is a probe of another's shape (``docs/disclosure.md``): the cells
    of a report, or only the yes/no of a conflict, traced request by request. Answers
    with no conflict with another party cost nothing, so ordinary planning never meets
    the budget. Counted per process: with several replicas a party gets the budget on
    each (the operator divides it).
    """

    WINDOW_S = 3600.0

    def __init__(self, limits: LimitsSettings, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._clock = clock
        self._spent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, party: str, now: float) -> deque[float]:
        spent = self._spent.setdefault(party, deque())
        while spent and spent[0] <= now - self.WINDOW_S:
            spent.popleft()
        return spent

    def check(self, party: str) -> None:
        """``OverBudget`` (429) when ``party`` has had its hour's answers."""
        with self._lock:
            now = self._clock()
            spent = self._recent(party, now)
            if len(spent) >= self.limits.max_reports_per_hour:
                wait = max(1, math.ceil(spent[0] + self.WINDOW_S - now))
                raise OverBudget(
                    f"party {party!r} has had {len(spent)} planning answers reporting other "
                    "parties' operations in the last hour, the most allowed "
                    f"(DECONFLICT_LIMITS__MAX_REPORTS_PER_HOUR): retry in {wait} s",
                    wait,
                )

    def spend(self, party: str, answers: int = 1) -> None:
        if answers <= 0:
            return
        with self._lock:
            now = self._clock()
            self._recent(party, now).extend([now] * answers)
