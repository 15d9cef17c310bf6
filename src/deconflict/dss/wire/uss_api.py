"""The answers of the USS-to-USS API (``/uss/v1``) the service gives as a USS.

The service is the USS of its native parties: a USS that finds a native operation's
reference in the DSS asks the ``uss_base_url`` on it for the details
(``GetOperationalIntentDetailsResponse``) and, while it flies, for its telemetry
(``GetOperationalIntentTelemetryResponse``). These are the spec's messages as pydantic
models (names as in ``astm-f3548-21-utm-v1.0.0.yaml``), and the builders that fill
them from what F3548 lets a USS know: where, when, state and priority. Nothing of the
native party (its name, its operation's own id, call signs, details) has a field here,
so no answer can carry it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import Field

from deconflict.dss.native_constraints import extent_volume
from deconflict.dss.records import ConstraintRef, IntentRef
from deconflict.dss.wire import convert
from deconflict.dss.wire import models as w
from deconflict.dss.wire.uss_notifications import volume4d
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import OperationState

OFF_NOMINAL = frozenset({OperationState.NONCONFORMING, OperationState.CONTINGENT})
"""States that need ``off_nominal_volumes`` (F3548: at least one, in these states only)."""
NOMINAL_VOLUMES = frozenset(
    {OperationState.ACCEPTED, OperationState.ACTIVATED, OperationState.NONCONFORMING}
)
"""States that need ``volumes`` (F3548: at least one; a Contingent intent has none)."""


class OperationalIntentDetails(w._Wire):
    volumes: list[w.Volume4D] = Field(default_factory=list)
    off_nominal_volumes: list[w.Volume4D] = Field(default_factory=list)
    priority: int = 0


class OperationalIntent(w._Wire):
    reference: w.OperationalIntentReference
    details: OperationalIntentDetails


class GetOperationalIntentDetailsResponse(w._Wire):
    operational_intent: OperationalIntent


class ConstraintDetails(w._Wire):
    volumes: list[w.Volume4D]
    type: str | None = None


class Constraint(w._Wire):
    reference: w.ConstraintReference
    details: ConstraintDetails


class GetConstraintDetailsResponse(w._Wire):
    constraint: Constraint


class Position(w._Wire):
    longitude: float = Field(ge=-180, le=180)
    latitude: float = Field(ge=-90, le=90)
    accuracy_h: str | None = None
    accuracy_v: str | None = None
    extrapolated: bool = False
    altitude: w.Altitude | None = None


class Velocity(w._Wire):
    speed: float
    units_speed: Literal["MetersPerSecond"] = "MetersPerSecond"
    track: float = 0


class VehicleTelemetry(w._Wire):
    time_measured: w.Time
    position: Position | None = None
    velocity: Velocity | None = None


class GetOperationalIntentTelemetryResponse(w._Wire):
    operational_intent_id: str
    telemetry: VehicleTelemetry | None = None
    next_telemetry_opportunity: w.Time | None = None


def volumes(of: Iterable[Volume4D]) -> list[w.Volume4D]:
    """Native volumes as F3548 ``Volume4D``s (polygon or circle outline, W84 metres),
    written by the same function as the notification bodies."""
    return [w.Volume4D.model_validate(volume4d(v)) for v in of]


INTENT_DETAILS_SHOWN = ("volumes", "state", "priority", "time_start", "time_end")
"""What ``intent_details`` shows of a native operation (the owner's audit record says so,
for a details read and for a notification alike)."""
CONSTRAINT_DETAILS_SHOWN = ("volumes", "type", "time_start", "time_end")
"""What ``constraint_details`` shows of a native constraint."""


def intent_details(ref: IntentRef, priority: int) -> GetOperationalIntentDetailsResponse:
    """What the manager answers a USS asking for ``ref``'s details: the reference with
    its OVN (the reader needs it for its key, and learns it only here), the volumes and
    the priority, the native integer as is.

    A native operation has one set of volumes; they stand for the off-nominal area too
    in the states that need one (the service knows no other), as they do for the
    nominal ``volumes`` of a Nonconforming operation."""
    shown = volumes(ref.volumes)
    return GetOperationalIntentDetailsResponse(
        operational_intent=OperationalIntent(
            reference=convert.intent_ref(ref, ref.manager),
            details=OperationalIntentDetails(
                volumes=shown if ref.state in NOMINAL_VOLUMES else [],
                off_nominal_volumes=shown if ref.state in OFF_NOMINAL else [],
                priority=priority,
            ),
        )
    )


def telemetry(
    intent_id: str,
    time_measured: datetime,
    lat: float,
    lon: float,
    alt_m: float,
    speed_mps: float,
    track_deg: float,
) -> GetOperationalIntentTelemetryResponse:
    """One position report as F3548 telemetry: measured, not extrapolated; the
    accuracy is unknown to the service, and so left out."""
    return GetOperationalIntentTelemetryResponse(
        operational_intent_id=intent_id,
        telemetry=VehicleTelemetry(
            time_measured=convert.format_time(time_measured),
            position=Position(
                longitude=lon - 360.0 if lon > 180.0 else lon,  # reports allow 0-360
                latitude=lat,
                altitude=w.Altitude(value=alt_m, reference="W84", units="M"),
            ),
            velocity=Velocity(speed=speed_mps, track=track_deg),
        ),
    )


CONSTRAINT_TYPE = "org.deconflict.{}"
"""``ConstraintDetails.type`` of a native constraint: its kind (``no_fly`` or
``restricted``), in F3548's reverse-domain form for types outside the standard."""


def constraint_details(ref: ConstraintRef, kind: str) -> GetConstraintDetailsResponse:
    """What the manager answers a USS asking for the native constraint ``ref``: the
    reference with its OVN (the reader's key needs it), the volumes in force and the
    kind; no ``geozone`` (a native constraint is no ED-269 zone), nothing of its owner,
    its name, its allowed parties or its own id."""
    return GetConstraintDetailsResponse(
        constraint=Constraint(
            reference=convert.constraint_ref(ref, ref.manager),
            details=ConstraintDetails(
                volumes=volumes(extent_volume(e) for e in ref.extents),
                type=CONSTRAINT_TYPE.format(kind),
            ),
        )
    )
