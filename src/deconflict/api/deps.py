"""The routes' dependencies: the one ``Services`` of the app, and its parts by type.

A route names what it needs (``store: Store``, ``engine: Engine``) and FastAPI hands it
over; no router reads ``app.state`` itself. ``HTTPConnection`` serves HTTP requests and
WebSockets alike.

Each getter below is a plain function (routes and helpers call them directly), but
FastAPI takes each through ``dependency``: an ``async`` wrapper. FastAPI runs every
synchronous dependency in its thread pool, a hand-off to a worker thread and back for
what is an attribute look-up; a request of the F3548 write routes resolved seven of them.
A test that overrides a part overrides ``dependency(getter)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI
from starlette.requests import HTTPConnection

from deconflict.audit.keys import AuditKey
from deconflict.core.engine import StrategicEngine
from deconflict.hotline.service import Hotline
from deconflict.notify.recorder import Notifier
from deconflict.notify.stream import PartyBus
from deconflict.service.admission import PartyGate, ProbeBudget
from deconflict.service.audit_hooks import AuditedDssNotifier
from deconflict.service.metering import ServiceMetrics
from deconflict.service.services import Services
from deconflict.settings import LimitsSettings, Settings
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture

T = TypeVar("T")

SERVICES_STATE_ATTR = "services"
"""The one attribute of ``app.state`` that the app factory sets."""


def services_of(app: FastAPI) -> Services:
    """The app's ``Services``; failing loudly (500) beats serving half-wired."""
    services = getattr(app.state, SERVICES_STATE_ATTR, None)
    if not isinstance(services, Services):
        raise RuntimeError(f"app.state.{SERVICES_STATE_ATTR} is not set to a Services")
    return services


def services(conn: HTTPConnection) -> Services:
    return services_of(conn.app)


def settings(conn: HTTPConnection) -> Settings:
    return services(conn).settings


def store(conn: HTTPConnection) -> SqlStore:
    return services(conn).store


def engine(conn: HTTPConnection) -> StrategicEngine:
    return services(conn).engine


def notifier(conn: HTTPConnection) -> Notifier:
    return services(conn).notifier


def dss_notifier(conn: HTTPConnection) -> AuditedDssNotifier:
    return services(conn).dss_notifier


def hotline(conn: HTTPConnection) -> Hotline:
    return services(conn).hotline


def live(conn: HTTPConnection) -> LivePicture:
    return services(conn).live


def party_bus(conn: HTTPConnection) -> PartyBus:
    return services(conn).party_bus


def audit_key(conn: HTTPConnection) -> AuditKey | None:
    return services(conn).audit_key


def metrics(conn: HTTPConnection) -> ServiceMetrics:
    return services(conn).metrics


def limits(conn: HTTPConnection) -> LimitsSettings:
    return services(conn).settings.limits


def party_gate(conn: HTTPConnection) -> PartyGate:
    return services(conn).party_gate


def probe_budget(conn: HTTPConnection) -> ProbeBudget:
    return services(conn).probe_budget


_DEPENDENCIES: dict[Callable[..., Any], Callable[..., Awaitable[Any]]] = {}


def dependency(getter: Callable[[HTTPConnection], T]) -> Callable[[HTTPConnection], Awaitable[T]]:
    """The one ``async`` dependency FastAPI resolves ``getter`` by (the same object
    every time, so that FastAPI's per-request cache and ``dependency_overrides`` see
    one dependency). Only for getters that do no I/O: they run on the event loop."""
    found = _DEPENDENCIES.get(getter)
    if found is None:

        async def resolved(conn: HTTPConnection) -> T:
            return getter(conn)

        resolved.__name__ = resolved.__qualname__ = getter.__name__
        resolved.__doc__ = getter.__doc__
        found = _DEPENDENCIES[getter] = resolved
    return found


AppServices = Annotated[Services, Depends(dependency(services))]
AppSettings = Annotated[Settings, Depends(dependency(settings))]
Store = Annotated[SqlStore, Depends(dependency(store))]
Engine = Annotated[StrategicEngine, Depends(dependency(engine))]
NotifierDep = Annotated[Notifier, Depends(dependency(notifier))]
DssNotifier = Annotated[AuditedDssNotifier, Depends(dependency(dss_notifier))]
HotlineDep = Annotated[Hotline, Depends(dependency(hotline))]
Live = Annotated[LivePicture, Depends(dependency(live))]
Bus = Annotated[PartyBus, Depends(dependency(party_bus))]
AuditKeyDep = Annotated[AuditKey | None, Depends(dependency(audit_key))]
Metrics = Annotated[ServiceMetrics, Depends(dependency(metrics))]
Limits = Annotated[LimitsSettings, Depends(dependency(limits))]
Probes = Annotated[ProbeBudget, Depends(dependency(probe_budget))]
