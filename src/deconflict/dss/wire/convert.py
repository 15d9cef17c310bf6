"""Wire models to DSS records and back; the only place that knows both.

Times: RFC 3339 in, any offset accepted and converted to UTC, fractions beyond
microseconds truncated (Go clients send nanoseconds); RFC 3339 out with ``Z`` and the
shortest exact fraction, so a time a USS sent comes back equal to the microsecond.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from deconflict.dss.records import (
    NO_OVN_PHRASE,
    NULL_SUBSCRIPTION_ID,
    AvailabilityStatus,
    ConstraintParams,
    ConstraintRef,
    Extent,
    ImplicitSubscription,
    IntentParams,
    IntentRef,
    Subscriber,
    SubscriptionParams,
    SubscriptionRec,
)
from deconflict.dss.uuids import parse_uuid4
from deconflict.dss.wire import models as w
from deconflict.errors import AirspaceConflict, BadRequest, InvalidInput
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.model.operation import OperationState

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_time(t: w.Time | None, field: str) -> datetime | None:
    if t is None:
        return None
    parsed = _parse_rfc3339(t.value)
    if isinstance(parsed, datetime):
        return parsed
    raise BadRequest(f"{field}.value: {t.value[:40]!r} is not {parsed}")


@lru_cache(maxsize=4096)
def _parse_rfc3339(text: str) -> datetime | str:
    """The UTC time ``text`` states, else what it fails to be. Remembered: the extents of
    one intent nearly always carry the same two times (a corridor of a hundred legs)."""
    m = _RFC3339.match(text.strip())
    if m is None:
        return "an RFC 3339 date-time"
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError):
        return "a valid date-time"


def format_time(t: datetime) -> w.Time:
    t = t.astimezone(UTC)
    # Not strftime: glibc does not zero-pad years before 1000, and RFC 3339 needs 4 digits.
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return w.Time(value=text + "Z", format="RFC3339")


def _footprint(volume: w.Volume3D, field: str) -> Footprint | None:
    if volume.outline_circle is not None and volume.outline_polygon is not None:
        raise BadRequest(f"{field}: give outline_circle or outline_polygon, not both")
    try:
        if volume.outline_polygon is not None:
            return Polygon(tuple((p.lng, p.lat) for p in volume.outline_polygon.vertices))
        if volume.outline_circle is not None:
            c = volume.outline_circle
            if c.center is None:
                raise BadRequest(f"{field}.outline_circle.center: is required")
            if c.radius is None:
                raise BadRequest(f"{field}.outline_circle.radius: is required")
            return Circle(c.center.lng, c.center.lat, c.radius.value)
    except InvalidInput as exc:
        shape = "outline_polygon" if volume.outline_polygon is not None else "outline_circle"
        raise BadRequest(str(exc.within(f"{field}.{shape}"))) from None
    return None


def extent(v: w.Volume4D, field: str) -> Extent:
    return Extent(
        footprint=_footprint(v.volume, f"{field}.volume"),
        altitude_lower_m=v.volume.altitude_lower.value if v.volume.altitude_lower else None,
        altitude_upper_m=v.volume.altitude_upper.value if v.volume.altitude_upper else None,
        start=parse_time(v.time_start, f"{field}.time_start"),
        end=parse_time(v.time_end, f"{field}.time_end"),
    )


def area(volume: w.Volume4D | None) -> Extent | None:
    """A query's ``area_of_interest``; whether it may be missing is the service's rule."""
    return extent(volume, "area_of_interest") if volume is not None else None


def intent_params(body: w.PutOperationalIntentReferenceParameters) -> IntentParams:
    new_sub = body.new_subscription
    return IntentParams(
        extents=tuple(extent(v, f"extents[{i}]") for i, v in enumerate(body.extents)),
        state=OperationState(body.state.value),
        uss_base_url=body.uss_base_url,
        key=frozenset(body.key or ()),
        subscription_id=(
            parse_uuid4(body.subscription_id, "subscription_id")
            if body.subscription_id is not None
            else None
        ),
        new_subscription=(
            ImplicitSubscription(new_sub.uss_base_url, bool(new_sub.notify_for_constraints))
            if new_sub is not None
            else None
        ),
    )


def constraint_params(body: w.PutConstraintReferenceParameters) -> ConstraintParams:
    return ConstraintParams(
        extents=tuple(extent(v, f"extents[{i}]") for i, v in enumerate(body.extents)),
        uss_base_url=body.uss_base_url,
    )


def subscription_params(body: w.PutSubscriptionParameters) -> SubscriptionParams:
    return SubscriptionParams(
        extent=extent(body.extents, "extents"),
        uss_base_url=body.uss_base_url,
        notify_for_operational_intents=bool(body.notify_for_operational_intents),
        notify_for_constraints=bool(body.notify_for_constraints),
    )


def intent_ref(ref: IntentRef, caller: str) -> w.OperationalIntentReference:
    """Only the manager sees the OVN: anyone else must get it from the manager's USS."""
    return w.OperationalIntentReference(
        id=ref.id,
        manager=ref.manager,
        uss_availability=w.UssAvailabilityState(ref.uss_availability.value),
        version=ref.version,
        state=w.OperationalIntentState(ref.state.value),
        ovn=ref.ovn if ref.manager == caller else NO_OVN_PHRASE,
        time_start=format_time(ref.time_start),
        time_end=format_time(ref.time_end),
        uss_base_url=ref.uss_base_url,
        subscription_id=ref.subscription_id or NULL_SUBSCRIPTION_ID,
    )


def constraint_ref(ref: ConstraintRef, caller: str) -> w.ConstraintReference:
    return w.ConstraintReference(
        id=ref.id,
        manager=ref.manager,
        uss_availability=w.UssAvailabilityState.Unknown,
        version=ref.version,
        ovn=ref.ovn if ref.manager == caller else NO_OVN_PHRASE,
        time_start=format_time(ref.time_start),
        time_end=format_time(ref.time_end),
        uss_base_url=ref.uss_base_url,
    )


def subscription(sub: SubscriptionRec) -> w.Subscription:
    return w.Subscription(
        id=sub.id,
        version=sub.version,
        notification_index=sub.notification_index,
        time_start=format_time(sub.time_start),
        time_end=format_time(sub.time_end),
        uss_base_url=sub.uss_base_url,
        notify_for_operational_intents=sub.notify_for_operational_intents,
        notify_for_constraints=sub.notify_for_constraints,
        implicit_subscription=sub.implicit,
        dependent_operational_intents=list(sub.dependent_operational_intents),
    )


def subscribers(subs: tuple[Subscriber, ...]) -> list[w.SubscriberToNotify]:
    return [
        w.SubscriberToNotify(
            uss_base_url=s.uss_base_url,
            subscriptions=[
                w.SubscriptionState(subscription_id=i, notification_index=n)
                for i, n in s.subscriptions
            ],
        )
        for s in subs
    ]


def airspace_conflict(exc: AirspaceConflict, caller: str) -> w.AirspaceConflictResponse:
    """The 409 body listing what the caller's key lacks, each reference as ``caller``
    may see it."""
    return w.AirspaceConflictResponse(
        message=exc.message,
        missing_operational_intents=[
            intent_ref(r, caller) for r in exc.missing_operational_intents
        ],
        missing_constraints=[constraint_ref(c, caller) for c in exc.missing_constraints],
    )


def availability(status: AvailabilityStatus) -> w.UssAvailabilityStatusResponse:
    return w.UssAvailabilityStatusResponse(
        version=status.version,
        status=w.UssAvailabilityStatus(
            uss=status.uss,
            availability=w.UssAvailabilityState(status.availability.value),
        ),
    )


def report(body: w.ErrorReport) -> w.ErrorReport:
    """The report as stored and echoed: its exchange's times checked and written in
    this service's RFC 3339 form."""
    exchange = body.exchange
    times: dict[str, w.Time | None] = {}
    for name in ("request_time", "response_time"):
        parsed = parse_time(getattr(exchange, name), f"exchange.{name}")
        times[name] = format_time(parsed) if parsed is not None else None
    return body.model_copy(update={"exchange": exchange.model_copy(update=times)})
