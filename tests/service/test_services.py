"""The composition root: what ``Services.build`` wires from the settings, and that
``start``/``stop`` start the workers once and stop every one they started."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deconflict.audit.entry import AUTH_FAILURE, NO_SUBJECT
from deconflict.notify.recorder import Notifier
from deconflict.service.metering import MeteredEngine
from deconflict.service.services import Services
from deconflict.settings import HotlineSettings, NotifySettings, Settings
from deconflict.store.audit import entries_about
from deconflict.store.sql import SqlStore
from tests.core.factories import operation, square, volume

WORKERS = {"deconflict-notify", "deconflict-audit", "deconflict-auth-tally", "hotline-escalator"}
PICTURE_WORKERS = {"deconflict-picture-listen", "deconflict-picture-send"}
"""On PostgreSQL only: the live picture shared with other replicas (picture_sync)."""


def workers(store: SqlStore, base: set[str] = WORKERS) -> set[str]:
    return base | (PICTURE_WORKERS if store.is_postgresql else set())


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path / "data").model_copy(update=changes)


def _new_threads(before: set[threading.Thread]) -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t not in before and t.is_alive()}


def _worker_names(before: set[threading.Thread]) -> set[str]:
    """The new threads' names, less a worker loop's executor threads (``asyncio_N``):
    those come with the worker's first blocking call, whenever it happens to run, and go
    with it (the checks after ``stop`` count every thread)."""
    return {t.name for t in _new_threads(before) if not t.name.startswith("asyncio_")}


def test_build_wires_every_part_from_the_settings(tmp_path: Path, store: SqlStore) -> None:
    settings = _settings(tmp_path)
    services = Services.build(settings, store)
    assert services.settings is settings
    assert services.store is store and not services.owns_store
    assert isinstance(services.engine, MeteredEngine)
    assert services.engine.store is store
    assert isinstance(services.notifier, Notifier)
    assert services.dss_notifier.inner is services.notifier
    assert services.hotline is services.hotline_parts.hotline
    assert services.party_bus is services.notify.bus
    assert services.audit_key is not None
    assert services.chainer.key is services.audit_key
    assert services.live.config.params.zone.radius_m == settings.tactical.radius_m
    assert (tmp_path / "data").is_dir()


def test_the_engine_counts_its_decisions_into_the_services_metrics(
    tmp_path: Path, store: SqlStore
) -> None:
    services = Services.build(_settings(tmp_path), store)
    planned = operation("op-1", volume(square(7.0, 46.0)))
    assert services.engine.check(planned).accepted
    checked = services.metrics.registry.get_sample_value(
        "deconflict_planning_decisions_total", {"kind": "check", "outcome": "accepted"}
    )
    assert checked == 1.0


def test_start_twice_starts_each_worker_once_and_stop_ends_them(
    tmp_path: Path, store: SqlStore
) -> None:
    services = Services.build(_settings(tmp_path), store)
    before = set(threading.enumerate())
    services.start()
    services.start()
    started = _new_threads(before)
    try:
        names = sorted(t.name for t in started if not t.name.startswith("asyncio_"))
        assert set(names) == workers(store)
        assert len(names) == len(workers(store))  # the second start started nothing
    finally:
        services.stop()
    assert not any(t.is_alive() for t in started)
    services.stop()  # a second stop is harmless
    assert not _new_threads(before)


def test_services_start_again_after_a_stop(tmp_path: Path, store: SqlStore) -> None:
    """An app's lifespan may run twice (two test clients on one app)."""
    services = Services.build(_settings(tmp_path), store)
    before = set(threading.enumerate())
    services.start()
    services.stop()
    services.start()
    try:
        assert _worker_names(before) == workers(store)
    finally:
        services.stop()
    assert not _new_threads(before)


def test_workers_the_settings_leave_to_other_processes_are_not_started(
    tmp_path: Path, store: SqlStore
) -> None:
    settings = _settings(
        tmp_path,
        notify=NotifySettings(worker_in_process=False),
        hotline=HotlineSettings(escalation_in_process=False),
    )
    services = Services.build(settings, store)
    before = set(threading.enumerate())
    services.start()
    try:
        assert _worker_names(before) == workers(
            store, {"deconflict-audit", "deconflict-auth-tally"}
        )
    finally:
        services.stop()


def test_stop_writes_and_chains_what_the_workers_still_held(
    tmp_path: Path, store: SqlStore
) -> None:
    """The authentication failures tallied in the current window are written on stop,
    before the chainer's last round, which links them: an orderly shutdown leaves no
    failure unrecorded and no entry unchained."""
    services = Services.build(_settings(tmp_path), store)
    services.start()
    services.auth_failures("token expired", None, "/v1/operations", "10.0.0.9")
    services.stop()
    chained = store.run(
        lambda s: [c.entry.kind for c in entries_about(s.conn, NO_SUBJECT)], write=False
    )
    assert chained == [AUTH_FAILURE]


def test_stop_closes_only_a_store_it_opened(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = Services.build(_settings(tmp_path), store)
    shared.start()
    shared.stop()
    assert store.run(lambda s: s.get("nothing-here"), write=False) is None  # still open

    owned = Services.build(_settings(tmp_path / "own"))
    assert owned.owns_store
    closed: list[SqlStore] = []
    monkeypatch.setattr(owned.store, "close", lambda: closed.append(owned.store))
    owned.start()
    owned.stop()
    owned.stop()
    assert closed == [owned.store]  # once, however often it is stopped
