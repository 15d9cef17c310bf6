"""What a subscribed USS is told: the F3548 notification bodies.

F3548 bodies (``PutOperationalIntentDetailsParameters``, ``PutConstraintDetailsParameters``)
are written by the *managing USS* in the standard, which knows the full details. Here
the DSS itself notifies, and a DSS holds only references and their extents. The choice,
made so that a receiver can act on a notification without a round trip yet is never
misled:

* ``operational_intent.reference`` is the reference as its manager sees it, OVN
  included (the spec requires the OVN; the manager would send it too);
* ``operational_intent.details`` carries the reference's extents as ``volumes`` (or as
  ``off_nominal_volumes`` for Nonconforming and Contingent intents) and ``priority`` 0,
  since F3548 references carry no priority. They contain the manager's details by the
  standard's own rule (extents must wholly contain the intent); a receiver that needs
  the exact details asks the manager's ``uss_base_url`` as usual;
* a deletion omits ``operational_intent`` (resp. ``constraint``), as the spec says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from deconflict.dss.records import ConstraintRef, Extent, IntentRef
from deconflict.dss.wire import convert
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import OperationState

INTENTS_PATH = "/uss/v1/operational_intents"
CONSTRAINTS_PATH = "/uss/v1/constraints"


def _time(t: datetime) -> dict[str, Any]:
    return convert.format_time(t).model_dump(mode="json", exclude_none=True)


def _alt(value: float) -> dict[str, Any]:
    return {"value": value, "reference": "W84", "units": "M"}


def _outline(fp: Footprint) -> dict[str, Any]:
    if isinstance(fp, Circle):
        return {
            "outline_circle": {
                "center": {"lng": fp.lon, "lat": fp.lat},
                "radius": {"value": fp.radius_m, "units": "M"},
            }
        }
    assert isinstance(fp, Polygon)
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in fp.vertices]}}


def volume4d(v: Volume4D) -> dict[str, Any]:
    return {
        "volume": {
            **_outline(v.footprint),
            "altitude_lower": _alt(v.altitude.lower_m),
            "altitude_upper": _alt(v.altitude.upper_m),
        },
        "time_start": _time(v.time.start),
        "time_end": _time(v.time.end),
    }


def extent4d(e: Extent) -> dict[str, Any]:
    volume: dict[str, Any] = {}
    if e.footprint is not None:
        volume.update(_outline(e.footprint))
    if e.altitude_lower_m is not None:
        volume["altitude_lower"] = _alt(e.altitude_lower_m)
    if e.altitude_upper_m is not None:
        volume["altitude_upper"] = _alt(e.altitude_upper_m)
    out: dict[str, Any] = {"volume": volume}
    if e.start is not None:
        out["time_start"] = _time(e.start)
    if e.end is not None:
        out["time_end"] = _time(e.end)
    return out


def subscription_states(subs: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"subscription_id": sid, "notification_index": idx} for sid, idx in subs]


def intent_part(ref: IntentRef, deleted: bool) -> dict[str, Any]:
    """Everything but ``subscriptions``: built once per change, shared by every receiver."""
    body: dict[str, Any] = {"operational_intent_id": ref.id}
    if not deleted:
        volumes = [volume4d(v) for v in ref.volumes]
        off_nominal = ref.state in (OperationState.NONCONFORMING, OperationState.CONTINGENT)
        body["operational_intent"] = {
            "reference": convert.intent_ref(ref, ref.manager).model_dump(
                mode="json", exclude_none=True
            ),
            "details": {
                "volumes": [] if off_nominal else volumes,
                "off_nominal_volumes": volumes if off_nominal else [],
                "priority": 0,
            },
        }
    return body


def constraint_part(ref: ConstraintRef, deleted: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"constraint_id": ref.id}
    if not deleted:
        body["constraint"] = {
            "reference": convert.constraint_ref(ref, ref.manager).model_dump(
                mode="json", exclude_none=True
            ),
            "details": {"volumes": [extent4d(e) for e in ref.extents]},
        }
    return body


def with_subscriptions(part: dict[str, Any], subs: Sequence[tuple[str, int]]) -> dict[str, Any]:
    return {**part, "subscriptions": subscription_states(subs)}
