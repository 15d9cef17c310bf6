"""The routes' dependencies: the one ``Services`` of the app, and its parts by type.

A route names what it needs (``store: Store``, ``engine: Engine``) and FastAPI hands it
over; no router reads ``app.state`` itself. ``HTTPConnection`` serves HTTP requests and
WebSockets alike.
"""

from __future__ import annotations

from typing import Annotated

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


AppServices = Annotated[Services, Depends(services)]
AppSettings = Annotated[Settings, Depends(settings)]
Store = Annotated[SqlStore, Depends(store)]
Engine = Annotated[StrategicEngine, Depends(engine)]
NotifierDep = Annotated[Notifier, Depends(notifier)]
DssNotifier = Annotated[AuditedDssNotifier, Depends(dss_notifier)]
HotlineDep = Annotated[Hotline, Depends(hotline)]
Live = Annotated[LivePicture, Depends(live)]
Bus = Annotated[PartyBus, Depends(party_bus)]
AuditKeyDep = Annotated[AuditKey | None, Depends(audit_key)]
Metrics = Annotated[ServiceMetrics, Depends(metrics)]
Limits = Annotated[LimitsSettings, Depends(limits)]
Probes = Annotated[ProbeBudget, Depends(probe_budget)]
