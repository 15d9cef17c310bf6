"""The equal-priority policy, apart from ``settings``: the rules and ``deconflict check``
need this one enum, and importing the settings tree (pydantic-settings, every section's
model) cost the check command 0.3 CPU-s before it read a byte. ``settings`` re-exports it.
"""

from __future__ import annotations

from enum import StrEnum


class EqualPriorityPolicy(StrEnum):
    """What happens when two active operations of equal priority overlap."""

    REJECT = "reject"
    ALLOW_WITH_NOTICE = "allow_with_notice"
