"""Retry timing: exponential backoff with jitter, capped, ending at the give-up time.

Jitter keeps many notifications that failed together (one receiver down) from
retrying in lock-step when it comes back. Half of each delay is fixed so that a retry
never comes right on the heels of the failure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float
    max_s: float
    give_up_s: float
    rng: random.Random = field(default_factory=random.Random)

    def delay_s(self, attempts: int) -> float:
        """Wait before the next try after ``attempts`` failed ones (``attempts`` >= 1)."""
        ceiling = min(self.max_s, self.base_s * 2.0 ** min(max(attempts - 1, 0), 60))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def next_attempt_us(self, created_us: int, now_us: int, attempts: int) -> int | None:
        """When to try again, or None to give up (dead-letter).

        The last retry is moved up to the give-up time rather than skipped, so a receiver
        that returns just before the deadline still gets the notification.
        """
        deadline = created_us + int(self.give_up_s * 1e6)
        if now_us >= deadline:
            return None
        return min(now_us + int(self.delay_s(attempts) * 1e6), deadline)
