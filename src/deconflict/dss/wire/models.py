"""Wire models of the F3548-21 DSS API (``astm-f3548-21-utm-v1.0.0.yaml``), by hand.

Field names are exactly the spec's. Two deliberate departures from a literal
transcription, both required by the spec's own prose:

* every optional field is ``X | None = None``, because "whenever an object-type field
  may be omitted, it may also be set to null for the same effect";
* unknown fields are ignored (``extra="ignore"``), because "fields specified in a
  message but not declared in the API must be ignored".

Request models are lenient where the reference DSS is (``Time.format`` is not checked,
availability is case-insensitive); the rules that make a request *meaningful* (one
outline, bounded times, area limits) live in ``deconflict.dss.checks`` and answer 400
with a message naming the field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OperationalIntentState(StrEnum):
    Accepted = "Accepted"
    Activated = "Activated"
    Nonconforming = "Nonconforming"
    Contingent = "Contingent"


class UssAvailabilityState(StrEnum):
    Unknown = "Unknown"
    Normal = "Normal"
    Down = "Down"


# --- geometry ------------------------------------------------------------------------


class Time(_Wire):
    value: str = Field(
        description="RFC3339-formatted time/date string. The time zone must be 'Z'.",
        json_schema_extra={"format": "date-time"},
    )
    format: str | None = Field(default="RFC3339", description="Always RFC3339.")


class Altitude(_Wire):
    value: float = Field(ge=-8000, le=100000)
    reference: Literal["W84"]
    units: Literal["M"]


class Radius(_Wire):
    value: float = Field(gt=0)
    units: Literal["M"]


class LatLngPoint(_Wire):
    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class Polygon(_Wire):
    vertices: list[LatLngPoint] = Field(min_length=3)


class Circle(_Wire):
    center: LatLngPoint | None = None
    radius: Radius | None = None


class Volume3D(_Wire):
    outline_circle: Circle | None = None
    outline_polygon: Polygon | None = None
    altitude_lower: Altitude | None = None
    altitude_upper: Altitude | None = None


class Volume4D(_Wire):
    volume: Volume3D
    time_start: Time | None = None
    time_end: Time | None = None


class ErrorResponse(_Wire):
    message: str | None = None


# --- subscriptions ---------------------------------------------------------------------


class SubscriptionState(_Wire):
    subscription_id: str
    notification_index: int = Field(ge=0)


class SubscriberToNotify(_Wire):
    subscriptions: list[SubscriptionState] = Field(min_length=1)
    uss_base_url: str


class Subscription(_Wire):
    id: str
    version: str
    notification_index: int = Field(ge=0)
    time_start: Time | None = None
    time_end: Time | None = None
    uss_base_url: str
    notify_for_operational_intents: bool = False
    notify_for_constraints: bool = False
    implicit_subscription: bool = False
    dependent_operational_intents: list[str] = Field(default_factory=list)


class QuerySubscriptionParameters(_Wire):
    area_of_interest: Volume4D | None = None


class QuerySubscriptionsResponse(_Wire):
    subscriptions: list[Subscription]


class GetSubscriptionResponse(_Wire):
    subscription: Subscription


class PutSubscriptionParameters(_Wire):
    extents: Volume4D
    uss_base_url: str
    notify_for_operational_intents: bool | None = None
    notify_for_constraints: bool | None = None


class DeleteSubscriptionResponse(_Wire):
    subscription: Subscription


# --- operational intent references ----------------------------------------------------


class OperationalIntentReference(_Wire):
    id: str
    manager: str
    uss_availability: UssAvailabilityState
    version: int
    state: OperationalIntentState
    ovn: str | None = None
    time_start: Time
    time_end: Time
    uss_base_url: str
    subscription_id: str


class ImplicitSubscriptionParameters(_Wire):
    uss_base_url: str
    notify_for_constraints: bool | None = None


class PutOperationalIntentReferenceParameters(_Wire):
    extents: list[Volume4D] = Field(min_length=1)
    key: list[str] | None = None
    state: OperationalIntentState
    uss_base_url: str
    subscription_id: str | None = None
    new_subscription: ImplicitSubscriptionParameters | None = None


class GetOperationalIntentReferenceResponse(_Wire):
    operational_intent_reference: OperationalIntentReference


class ChangeOperationalIntentReferenceResponse(_Wire):
    subscribers: list[SubscriberToNotify]
    operational_intent_reference: OperationalIntentReference


class QueryOperationalIntentReferenceParameters(_Wire):
    area_of_interest: Volume4D | None = None


class QueryOperationalIntentReferenceResponse(_Wire):
    operational_intent_references: list[OperationalIntentReference]


# --- constraint references -------------------------------------------------------------


class ConstraintReference(_Wire):
    id: str
    manager: str
    uss_availability: UssAvailabilityState
    version: int
    ovn: str | None = None
    time_start: Time
    time_end: Time
    uss_base_url: str


class PutConstraintReferenceParameters(_Wire):
    extents: list[Volume4D] = Field(min_length=1)
    uss_base_url: str


class GetConstraintReferenceResponse(_Wire):
    constraint_reference: ConstraintReference


class ChangeConstraintReferenceResponse(_Wire):
    subscribers: list[SubscriberToNotify]
    constraint_reference: ConstraintReference


class QueryConstraintReferenceParameters(_Wire):
    area_of_interest: Volume4D | None = None


class QueryConstraintReferencesResponse(_Wire):
    constraint_references: list[ConstraintReference]


class PutSubscriptionResponse(_Wire):
    subscription: Subscription
    operational_intent_references: list[OperationalIntentReference] | None = None
    constraint_references: list[ConstraintReference] | None = None


class AirspaceConflictResponse(_Wire):
    message: str | None = None
    missing_operational_intents: list[OperationalIntentReference] = Field(default_factory=list)
    missing_constraints: list[ConstraintReference] = Field(default_factory=list)


# --- availability and reports ----------------------------------------------------------


class UssAvailabilityStatus(_Wire):
    uss: str
    availability: UssAvailabilityState


class SetUssAvailabilityStatusParameters(_Wire):
    old_version: str | None = ""
    availability: str = Field(description="Unknown, Normal or Down (any letter case).")


class UssAvailabilityStatusResponse(_Wire):
    version: str
    status: UssAvailabilityStatus


class ExchangeRecord(_Wire):
    url: str
    method: str
    headers: list[str] | None = None
    recorder_role: Literal["Client", "Server"]
    request_time: Time
    request_body: str | None = None
    response_time: Time | None = None
    response_body: str | None = None
    response_code: int | None = Field(None, ge=-(2**31), le=2**31 - 1)  # int32 in the spec
    problem: str | None = None


class ErrorReport(_Wire):
    report_id: str | None = Field(default=None, max_length=128)
    exchange: ExchangeRecord


class VersionResponse(_Wire):
    """``GET /aux/v1/version`` (InterUSS aux API)."""

    version: str
