"""The fake USS receiver for ``deconflict worker --once`` (tests/cli/test_notifications.py)."""

from __future__ import annotations

from tests.notify.helpers import receiver  # noqa: F401
