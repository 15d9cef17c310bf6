"""Wire formats of the native ``/v1`` API, and their translation to domain objects.

Only translation lives here: validation rules belong to the domain constructors, whose
``InvalidInput`` errors come back as 400s naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from deconflict.access.policy import REFERENCE_ONLY, DisclosurePolicy, OperationView, call_sign
from deconflict.api.listing import in_shown_order
from deconflict.core.engine import Decision
from deconflict.core.ports import StoredOperation
from deconflict.core.report import OperationConflict, where_and_when
from deconflict.errors import InvalidInput
from deconflict.geo.bounds import bounding_box
from deconflict.geo.coarsen import EXACT, coarse_overlap
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.io.plan import volume_properties
from deconflict.model.numbers import INT64_MAX, INT64_MIN
from deconflict.model.operation import Operation, OperationState
from deconflict.model.times import rfc3339


def _not_a_boolean(value: Any) -> Any:
    """JSON true/false is not a number, whatever Python's bool-is-int says."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


Number = Annotated[float, BeforeValidator(_not_a_boolean)]
Integer = Annotated[int, BeforeValidator(_not_a_boolean)]


class GeometryIn(BaseModel):
    """A GeoJSON Polygon (one ring) or Point; a Point is a circle with ``radius_m``."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["Polygon", "Point"]
    coordinates: list[Any]


class VolumeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    geometry: GeometryIn
    radius_m: Number | None = Field(None, description="Circle radius when geometry is a Point.")
    altitude_lower_m: Number = Field(description="Metres above the WGS-84 ellipsoid.")
    altitude_upper_m: Number
    time_start: datetime
    time_end: datetime

    def to_domain(self) -> Volume4D:
        from deconflict.io.plan import parse_geometry

        props = {"radius_m": self.radius_m} if self.radius_m is not None else {}
        try:
            footprint = parse_geometry(self.geometry.model_dump(), props)
        except InvalidInput as exc:
            raise as_sent(exc) from None
        altitude = AltitudeBand(self.altitude_lower_m, self.altitude_upper_m)
        return Volume4D(footprint, altitude, TimeWindow(self.time_start, self.time_end))


def as_sent(exc: InvalidInput) -> InvalidInput:
    """A footprint's error in the fields of this body, not of the GeoJSON plan file the
    parser also reads.

    The parser names the ring's positions as GeoJSON has them
    (``geometry.coordinates[0][k]``, ``io.plan.as_written``), as this body does too, but
    a circle's radius ``properties.radius_m`` (a plan file's place for it); this body
    has ``radius_m`` beside the geometry, and a client must be told the field it sent.
    """
    if exc.field == "properties.radius_m":
        return InvalidInput("radius_m", exc.rule)
    return exc


def volumes_of(given: Sequence[VolumeIn]) -> tuple[Volume4D, ...]:
    """The domain volumes of a body's ``volumes``; an invalid one is named by its index."""
    volumes = []
    for i, v in enumerate(given):
        try:
            volumes.append(v.to_domain())
        except InvalidInput as exc:
            raise exc.within(f"volumes[{i}]") from None
    return tuple(volumes)


MAX_DETAILS_DEPTH = 32
"""How deeply ``details`` may nest: plenty for any record a party keeps, and far below
where serialising it (or a client parsing it back) runs out of stack."""


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DETAILS_DEPTH:
            raise ValueError(f"must nest at most {MAX_DETAILS_DEPTH} levels deep")
        children = item.values() if isinstance(item, dict) else item
        stack += [(c, depth + 1) for c in children if isinstance(c, dict | list)]
    return value


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    volumes: list[VolumeIn] = Field(min_length=1)
    priority: Integer = Field(
        0, ge=INT64_MIN, le=INT64_MAX, description="Within the range the operator granted."
    )
    state: OperationState = OperationState.ACCEPTED
    details: Annotated[dict[str, Any], AfterValidator(_shallow)] = Field(
        default_factory=dict, description="Private: shown to the owning party only."
    )

    def to_domain(self, op_id: str, party: str) -> Operation:
        volumes = volumes_of(self.volumes)
        return Operation(op_id, party, self.priority, self.state, volumes, self.details)


class CheckIn(OperationIn):
    id: str = Field(
        "dry-run", description="The id the operation would have (its own old version is ignored)."
    )


class BatchItemIn(OperationIn):
    id: str


class BatchIn(BaseModel):
    operations: list[BatchItemIn] = Field(min_length=1, max_length=1000)


class StateIn(BaseModel):
    state: OperationState


def volume_json(v: Volume4D) -> dict[str, Any]:
    return {"geometry": v.footprint.to_geojson(), **volume_properties(v)}


def operation_json(s: StoredOperation) -> dict[str, Any]:
    """The full operation: only ever sent to its own party."""
    op = s.operation
    return {
        "id": op.id,
        "party": op.party,
        "priority": op.priority,
        "state": op.state.value,
        "version": s.version,
        "created": rfc3339(s.created),
        "updated": rfc3339(s.updated),
        "volumes": [volume_json(v) for v in op.volumes],
        "details": op.details,
    }


def reference_json(s: StoredOperation, view: OperationView = REFERENCE_ONLY) -> dict[str, Any]:
    """What other parties see: where, when, how high, whose, in what state; no shape.

    The id, call sign and details are added only as far as ``view`` (the disclosure
    policy's answer for this viewer) allows.
    """
    op = s.operation
    boxes = [bounding_box(v.footprint) for v in op.volumes]
    t = op.time_extent
    a = op.altitude_extent
    out: dict[str, Any] = {
        "party": op.party,
        "priority": op.priority,
        "state": op.state.value,
        "reference": True,
        "time_start": rfc3339(t.start),
        "time_end": rfc3339(t.end),
        "altitude_lower_m": a.lower_m,
        "altitude_upper_m": a.upper_m,
        "bbox": _union_bbox(boxes),
    }
    if view.operation_id:
        out["id"] = op.id
    if view.call_sign and (sign := call_sign(op.details)) is not None:
        out["call_sign"] = sign
    if view.details:
        out["details"] = op.details
    return out


def operation_view_json(s: StoredOperation, view: OperationView) -> dict[str, Any]:
    """One operation as ``view`` allows: in full, or as a reference."""
    return operation_json(s) if view.full else reference_json(s, view)


def _union_bbox(boxes: list[tuple[float, float, float, float]]) -> list[float]:
    if any(w > e for w, _, e, _ in boxes):
        # Something crosses the antimeridian: keep it simple and honest, span all longitudes.
        return [-180.0, min(b[1] for b in boxes), 180.0, max(b[3] for b in boxes)]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def conflict_json(
    c: OperationConflict, viewer: str, policy: DisclosurePolicy, cell_level: int = EXACT
) -> dict[str, Any]:
    """A conflict as the planning party sees it: where and when, whose and how urgent;
    the other operation's id only when the policy lets ``viewer`` know it. Where, to a
    viewer that does not see the other operation in full, is told no finer than S2 cells
    of ``cell_level`` (``geo.coarsen``): the exact overlap of a probe larger than that
    operation would be its shape."""
    data = c.to_json()
    # The other volume's index numbers the other operation's volumes: its shape, which
    # only a viewer that sees that operation in full may learn.
    numbered = policy.operation(viewer, c.b).full
    overlaps = []
    for o in c.overlaps:
        where = where_and_when(o.overlap)
        if not numbered and cell_level < EXACT:
            fa, fb = c.a.volumes[o.a_index].footprint, c.b.volumes[o.b_index].footprint
            where["geometry"], where["area_m2"] = coarse_overlap(fa, fb, cell_level)
        overlaps.append(
            {"volume": o.a_index, **({"other_volume": o.b_index} if numbered else {}), **where}
        )
    out: dict[str, Any] = {
        "other_party": c.b.party,
        "other_priority": c.b.priority,
        "verdict": data["verdict"],
        "reason": data["reason"],
        "overlaps": overlaps,
    }
    if policy.may_name(viewer, c.a, c.b):
        out["other_operation"] = c.b.id
    return out


def decision_json(
    d: Decision, viewer: str, policy: DisclosurePolicy, cell_level: int = EXACT
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "accepted": d.accepted,
        "conflicts": in_shown_order(
            conflict_json(c, viewer, policy, cell_level) for c in d.conflicts
        ),
    }
    if d.airspace:
        out["constraint_conflicts"] = [c.to_json() for c in d.airspace]
    if d.stored is not None:
        out["operation"] = operation_json(d.stored)
    return out
