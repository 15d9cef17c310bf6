"""The escalation loop: a thread that asks the hotline to escalate overdue messages.

Every replica may run one; the hotline's transactions make each escalation happen once
however many loops race for it. A failing pass (database down) is logged and retried
at the next tick rather than ending the loop: an escalation that never fires is the
failure this feature exists to prevent.
"""

from __future__ import annotations

import logging
import threading

from deconflict.hotline.service import Hotline

log = logging.getLogger(__name__)


class EscalationThread:
    def __init__(self, hotline: Hotline, interval_s: float) -> None:
        self.hotline = hotline
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="hotline-escalator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.hotline.escalate_due()
            except Exception:
                log.exception("hotline escalation pass failed; retrying next tick")
