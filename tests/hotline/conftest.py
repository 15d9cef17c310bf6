"""A hotline on a real store with a clock the test steps, and the full app with tokens.

The service's escalation loop is off in these fixtures: tests escalate by calling
``escalate_due`` at a chosen instant, so no test sleeps or races a background thread
(one test turns the loop on to prove it runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from deconflict.hotline.service import Hotline
from deconflict.notify.recorder import Notifier
from deconflict.service.hotline_parts import HotlineParts
from deconflict.settings import HotlineSettings, NotifySettings, Settings
from deconflict.store import outbox
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, native_op

T0 = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hotline(store: SqlStore, clock: Clock, tmp_path: Path) -> Hotline:
    """The hotline as the service wires it (event log, audit), on the stepped clock."""
    settings = Settings(data_dir=tmp_path, hotline=HotlineSettings(escalation_in_process=False))
    return HotlineParts(store, settings, Notifier(NotifySettings(), clock=clock)).hotline


def events_of(store: SqlStore, party: str) -> list[tuple[str, dict[str, Any]]]:
    """``(kind, body)`` of every event in ``party``'s log."""
    rows = store.run(lambda s: outbox.events_after(s.conn, party, 0), write=False)
    return [(r.kind, orjson.loads(r.body)) for r in rows]


# ------------------------------------------------------------------------- the app


__all__ = ["Headers", "native_op"]
