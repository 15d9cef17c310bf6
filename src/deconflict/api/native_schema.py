"""The shapes of the native API's answers, for the OpenAPI document only.

The routes build their JSON with the functions of ``api/wire.py`` and send it with
orjson: validating every answer through pydantic would cost each creation time for
nothing the builders do not already guarantee. These models describe what those
builders write, so that generated clients get types; the schema fuzzing test
(``tests/e2e/native/test_schemathesis.py``) checks every answer against them, and the
tests of ``tests/api/test_native_schema.py`` check the builders' output against them
field by field. A field the builders write only sometimes is optional here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deconflict.core.constraints import ConstraintReason
from deconflict.core.rules import Reason, Verdict
from deconflict.hotline.model import MessageStatus
from deconflict.model.constraint import ConstraintType
from deconflict.model.operation import OperationState


class _Out(BaseModel):
    """Answers may gain fields: clients must ignore the ones they do not know."""

    model_config = ConfigDict(extra="allow")


GEOJSON_GEOMETRY = "GeoJSON geometry (RFC 7946): a Polygon, or a Point with the volume's radius_m."


class VolumeOut(_Out):
    geometry: dict[str, Any] = Field(description=GEOJSON_GEOMETRY)
    radius_m: float | None = Field(None, description="Circle radius, when geometry is a Point.")
    altitude_lower_m: float = Field(description="Metres above the WGS-84 ellipsoid.")
    altitude_upper_m: float
    time_start: datetime
    time_end: datetime


class OperationOut(_Out):
    """An operation in full: only ever sent to its own party (and the operator)."""

    id: str
    party: str
    priority: int
    state: OperationState
    version: int = Field(description="Give it back in If-Match for a conditional write.")
    created: datetime
    updated: datetime
    volumes: list[VolumeOut]
    details: dict[str, Any] = Field(description="Private: shown to the owning party only.")


class ReferenceOut(_Out):
    """Another party's operation as the disclosure policy shows it: where, when, whose,
    how urgent; the id, call sign and details only under a sharing agreement."""

    reference: Literal[True]
    party: str
    priority: int
    state: OperationState
    time_start: datetime
    time_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float
    bbox: list[float] = Field(
        min_length=4, max_length=4, description="west, south, east, north in degrees."
    )
    id: str | None = Field(None, description="Under an operation_ids agreement.")
    call_sign: str | None = Field(None, description="Under a call_signs or details agreement.")
    details: dict[str, Any] | None = Field(None, description="Under a details agreement.")


class WhereAndWhen(_Out):
    time_start: datetime
    time_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float
    area_m2: float = Field(description="The overlap's area (an upper bound when coarsened).")
    geometry: dict[str, Any] = Field(
        description="GeoJSON of the overlap; S2 cells, not the exact overlap, to a viewer "
        "who does not see the other operation in full (docs/disclosure.md)."
    )


class OverlapOut(WhereAndWhen):
    volume: int = Field(description="Index of the planned operation's volume.")
    other_volume: int | None = Field(
        None, description="Index of the other operation's volume, to a viewer who sees it."
    )


class ConflictOut(_Out):
    other_party: str
    other_priority: int
    verdict: Verdict
    reason: Reason
    overlaps: list[OverlapOut]
    other_operation: str | None = Field(None, description="Under an operation_ids agreement.")


class ConstraintOverlapOut(WhereAndWhen):
    volume: int
    constraint_volume: int | None = None
    sector: int | None = None


class ConstraintConflictOut(_Out):
    """The operation inside a constraint or an agreed zone's sector."""

    operation: str
    party: str
    constraint: str | None = Field(None, description="The constraint's id (or zone).")
    zone: str | None = Field(None, description="The agreed zone's id (or constraint).")
    type: str | None = None
    verdict: Verdict
    reason: ConstraintReason
    overlaps: list[ConstraintOverlapOut]
    assigned_party: str | None = None
    version: int | None = None


class DecisionOut(_Out):
    """The planner's answer: accepted (with the stored operation) or not, and why."""

    accepted: bool
    conflicts: list[ConflictOut]
    constraint_conflicts: list[ConstraintConflictOut] | None = None
    operation: OperationOut | None = Field(None, description="As stored, when accepted.")


class TransitionOut(_Out):
    """A state change the state table refuses, with the states allowed instead."""

    message: str
    state: OperationState
    requested: OperationState
    allowed: list[OperationState]


class ProblemOut(_Out):
    message: str


class BatchResultOut(_Out):
    """One item's outcome: its status as a lone request would have had it, with that
    request's body (a decision, a refused transition, or a message)."""

    id: str
    status: int
    message: str | None = None
    accepted: bool | None = None
    conflicts: list[ConflictOut] | None = None
    constraint_conflicts: list[ConstraintConflictOut] | None = None
    operation: OperationOut | None = None
    state: OperationState | None = None
    requested: OperationState | None = None
    allowed: list[OperationState] | None = None


class BatchOut(_Out):
    results: list[BatchResultOut]
    receipt: str | None = Field(
        None, description="Signed receipt naming every accepted item (docs/audit.md)."
    )


class OperationListOut(_Out):
    operations: list[OperationOut | ReferenceOut] = Field(
        description="Your operations in full, others' as references, by start time."
    )


class FeatureCollectionOut(_Out):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class DeletedOut(_Out):
    id: str
    deleted: bool = Field(description="Always true: the operation is gone.")


# ------------------------------------------------- constraints and agreed zones
# What ``api/airspace_wire.py`` builds.


class _Identity(_Out):
    id: str
    owner: str
    name: str
    version: int


class ConstraintOut(_Identity):
    """A constraint in full: to its owner, the operator, a ``details`` agreement."""

    type: ConstraintType
    created: datetime
    updated: datetime
    valid_start: datetime
    valid_end: datetime
    allowed_parties: list[str]
    allowed_min_priority: int | None
    volumes: list[VolumeOut]
    details: dict[str, Any]


class ConstraintReferenceOut(_Identity):
    """Another's constraint: its extent, and whether the viewer may enter; no shape."""

    type: ConstraintType
    reference: Literal[True]
    valid_start: datetime
    valid_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float
    bbox: list[float] = Field(min_length=4, max_length=4)
    allowed_for_you: bool
    allowed_min_priority: int | None


class ConstraintListOut(_Out):
    constraints: list[ConstraintOut | ConstraintReferenceOut]


class SectorOut(_Out):
    party: str = Field(description="The one party allowed in this sector.")
    geometry: dict[str, Any] = Field(description=GEOJSON_GEOMETRY)
    radius_m: float | None = None


class ZoneOut(_Identity):
    """An agreed zone in full: to the operator and the parties it assigns."""

    valid_start: datetime
    valid_end: datetime
    sectors: list[SectorOut]
    altitude_lower_m: float | None = Field(None, description="Absent: every altitude.")
    altitude_upper_m: float | None = None


class ZoneReferenceOut(_Identity):
    reference: Literal[True]
    valid_start: datetime
    valid_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float
    bbox: list[float] = Field(min_length=4, max_length=4)


class ZoneListOut(_Out):
    zones: list[ZoneOut | ZoneReferenceOut]


class ZoneVersionOut(_Out):
    version: int
    deleted: bool
    changed_by: str
    changed: datetime
    zone: ZoneOut | None = Field(description="None for the deletion.")


class ZoneHistoryOut(_Out):
    id: str
    versions: list[ZoneVersionOut]


# ------------------------------------------------------------------ the hotline
# What ``hotline/events.py`` builds.


class MessageOut(_Out):
    """A hotline message as the viewer may see it: the other side of a conflict's
    message is named only under an agreement (None otherwise)."""

    id: str
    conflict_id: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    text: str
    status: MessageStatus
    created: datetime
    deadline: datetime
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    acknowledged_by: str | None = Field(None, description="To the operator only.")


class MessageListOut(_Out):
    messages: list[MessageOut]


# ------------------------------------------------------- the console's reads
# What ``api/console.py`` and ``api/uss_plans.py`` send.


class StandingConflictOut(ConflictOut):
    """A standing overlap between one of the caller's live operations and another."""

    operation: str = Field(description="The caller's operation (any party's, to the operator).")
    party: str | None = Field(
        None, description="Whose ``operation`` it is: to the operator (deconflict.admin) only."
    )
    conflict_id: str | None = Field(
        None, description="The hotline's id for messaging the other side (two parties)."
    )


class StandingConflictListOut(_Out):
    conflicts: list[StandingConflictOut]


class UssOverlapOut(WhereAndWhen):
    volume: int = Field(description="Index of the party's operation's volume.")


class UssPlanOut(_Out):
    """The newest ``uss_intent.changed`` / ``uss_constraint.changed`` event's body the
    caller was told of a USS's plan near one of its operations, with its ``kind``."""

    kind: Literal["uss_intent", "uss_constraint"]
    operational_intent_id: str | None = Field(None, description="The F3548 id (uss_intent).")
    constraint_id: str | None = Field(None, description="The F3548 id (uss_constraint).")
    manager: str = Field(description="The USS.")
    version: int
    via: str = Field(description="How it was learnt: the DSS's own sighting, or the USS's POST.")
    operation_id: str = Field(description="The caller's operation it meets.")
    change: Literal["created", "updated"]
    time_start: datetime
    time_end: datetime
    overlaps: list[UssOverlapOut]
    state: OperationState | None = Field(None, description="An intent's state.")
    priority: int | None = Field(None, description="An intent's priority, as the rules hold it.")
    verdict: Verdict | None = Field(None, description="The rules' verdict on an intent.")
    reason: Reason | None = None


class UssPlanListOut(_Out):
    uss_plans: list[UssPlanOut]


# ----------------------------------------------------------------- the service


class ReadyChecksOut(_Out):
    database: str = Field(description="ok, or what is wrong (unreachable, read-only: ...).")
    migrations: str = Field(description="ok, or where the schema is against the code.")
    keys: str = Field(description="ok, or which keys are not loaded.")


class ReadyOut(_Out):
    """``/ready``'s answer, 200 or 503 alike: each check, ``ok`` or what is missing."""

    ready: bool
    checks: ReadyChecksOut
    message: str | None = Field(None, description="When not ready: every problem in one line.")


def body(model: type[BaseModel] | Any, description: str) -> dict[str, Any]:
    """An OpenAPI response entry with ``model`` as its JSON body."""
    return {"model": model, "description": description}
