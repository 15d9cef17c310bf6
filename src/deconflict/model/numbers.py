"""The integers the store can hold: its integer columns are signed 64-bit (BIGINT)."""

from __future__ import annotations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
