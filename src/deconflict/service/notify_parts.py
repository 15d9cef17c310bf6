"""The notification pieces of one process, built from settings and started together."""

from __future__ import annotations

from deconflict.auth.keys import load_or_create_signing_key
from deconflict.dss.native_intents import NativeIdentity
from deconflict.notify.recorder import Notifier
from deconflict.notify.stream import PartyBus
from deconflict.notify.tokens import ServiceTokens
from deconflict.notify.worker import DeliveryWorker, WorkerThread
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore


class NotifyParts:
    """Recorder, party bus and (optionally) the in-process delivery worker.

    The recorder always runs: notifications are written even when this process does
    not deliver them, so a separate ``deconflict worker`` can.
    """

    def __init__(self, store: SqlStore, settings: Settings) -> None:
        self.settings = settings
        relay = settings.dss.relay_uss_notifications
        identity = NativeIdentity(settings.dss.manager, settings.dss.base_url)
        self.notifier = Notifier(settings.notify, relay_uss_changes=relay, identity=identity)
        self.bus = PartyBus()
        self.notifier.on_events.append(self.bus.publish)
        self.worker = build_worker(store, settings)
        self.notifier.on_outbox.append(self.worker.wake)
        self._thread: WorkerThread | None = None

    def wake(self) -> None:
        self.worker.wake()

    def start(self) -> None:
        """Start delivering in a background thread, unless a separate worker does it.
        Starting twice starts one thread."""
        if self.settings.notify.worker_in_process and self._thread is None:
            self._thread = WorkerThread(self.worker)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None


def build_worker(store: SqlStore, settings: Settings) -> DeliveryWorker:
    """The delivery worker, signing its requests to USSs with the service's key (the
    same for the in-process worker and ``deconflict worker``)."""
    data_dir = settings.data_dir
    tokens = ServiceTokens(
        lambda: load_or_create_signing_key(data_dir),
        issuer=settings.auth.issuer,
        subject=settings.notify.service_subject,
    )
    return DeliveryWorker(store, settings.notify, tokens)
