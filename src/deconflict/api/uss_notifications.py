"""USS notifications to the service: ``POST /uss/v1/operational_intents`` and
``POST /uss/v1/constraints``.

F3548 has a USS that changes an intent or a constraint POST its details to every
subscriber the DSS answer listed, and the service is one wherever a native operation
lies (``dss.native_watch``). Each notification becomes party events for the native
parties whose live operations the notified volumes meet (``notify.uss_plans``):
details present are the entity's volumes now, details absent mean it was deleted. A
change this service's own DSS made has already been told; its notification is then
acknowledged and not told again.

The sender is who its token says (``sub``), with the F3548 scope the route's security
requirement names; a USS intent is held at the lower of the priority its details give
and the one its USS is granted, as in the DSS. The answer is 204, or 400 naming the
field of a malformed body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from deconflict.api import deps
from deconflict.api.dss.router import DssRoute
from deconflict.api.security import require_scopes
from deconflict.api.uss import CONSTRAINT_TAGS, CONSTRAINTS, INTENTS, TAGS, identity_of
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.dss.checks import intent_volume, query_volume
from deconflict.dss.uuids import parse_uuid4
from deconflict.dss.wire import convert, uss_api
from deconflict.dss.wire import models as w
from deconflict.errors import BadRequest
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import OperationState
from deconflict.notify import uss_plans
from deconflict.notify.uss_plans import CONSTRAINT, INTENT, UssPlan
from deconflict.store.dss import SqlDssSession
from deconflict.store.sql import SqlSession

Coordinator = Annotated[Principal, Depends(require_scopes(Scope.STRATEGIC_COORDINATION))]
ConstraintProcessor = Annotated[Principal, Depends(require_scopes(Scope.CONSTRAINT_PROCESSING))]


class PutOperationalIntentDetailsParameters(w._Wire):
    operational_intent_id: str
    operational_intent: uss_api.OperationalIntent | None = None
    subscriptions: list[w.SubscriptionState]


class ConstraintDetails(w._Wire):
    volumes: list[w.Volume4D]
    type: str | None = None


class Constraint(w._Wire):
    reference: w.ConstraintReference
    details: ConstraintDetails


class PutConstraintDetailsParameters(w._Wire):
    constraint_id: str
    constraint: Constraint | None = None
    subscriptions: list[w.SubscriptionState]


router = APIRouter(route_class=DssRoute)

_NO_CONTENT = {"status_code": 204, "response_class": Response}
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": w.ErrorResponse} for code in (400, 401, 403)
}


def _subscriptions(given: Sequence[w.SubscriptionState]) -> None:
    if not given:
        raise BadRequest("subscriptions: at least one subscription is required")


def _intent_plan(body: PutOperationalIntentDetailsParameters, sender: str) -> UssPlan | None:
    """The notified intent, or None for a deletion (no details)."""
    intent = body.operational_intent
    if intent is None:
        return None
    ref, details = intent.reference, intent.details
    given = [
        ("operational_intent.details.volumes", details.volumes),
        ("operational_intent.details.off_nominal_volumes", details.off_nominal_volumes),
    ]
    volumes = tuple(
        intent_volume(convert.extent(v, f"{field}[{i}]"), f"{field}[{i}]")
        for field, vs in given
        for i, v in enumerate(vs)
    )
    if not volumes:
        raise BadRequest("operational_intent.details.volumes: at least one volume is required")
    state = OperationState(ref.state.value)
    return UssPlan(INTENT, ref.id, sender, ref.version, state, volumes, details.priority, "uss")


def _constraint_plan(body: PutConstraintDetailsParameters, sender: str) -> UssPlan | None:
    constraint = body.constraint
    if constraint is None:
        return None
    field = "constraint.details.volumes"
    volumes: tuple[Volume4D, ...] = tuple(
        query_volume(convert.extent(v, f"{field}[{i}]"), f"{field}[{i}]")
        for i, v in enumerate(constraint.details.volumes)
    )
    ref = constraint.reference
    return UssPlan(
        CONSTRAINT, ref.id, sender, ref.version, OperationState.ACCEPTED, volumes, 0, "uss"
    )


def _tell(
    store: deps.Store,
    notifier: deps.NotifierDep,
    settings: deps.AppSettings,
    plan: Callable[[SqlDssSession], UssPlan | None],
    deleted: bool,
) -> None:
    """Turn the notification into party events in one transaction."""
    identity = identity_of(settings)

    def work(s: SqlSession) -> None:
        dss = SqlDssSession(s, identity=identity)
        told = plan(dss)
        if told is None:
            return
        events = uss_plans.tell_natives(dss, told, deleted=deleted, policy=settings.equal_priority)
        if events:
            notifier.record_events(s, events)

    store.run(work, write=True)


@router.post(
    INTENTS,
    operation_id="notifyOperationalIntentDetailsChanged",
    tags=TAGS,
    responses=_ERRORS,
    **_NO_CONTENT,  # type: ignore[arg-type]
)
def notify_operational_intent_details_changed(
    body: PutOperationalIntentDetailsParameters,
    principal: Coordinator,
    store: deps.Store,
    notifier: deps.NotifierDep,
    settings: deps.AppSettings,
) -> Response:
    intent_id = parse_uuid4(body.operational_intent_id, "operational_intent_id")
    _subscriptions(body.subscriptions)
    found = _intent_plan(body, principal.sub)
    if found is not None and found.intent_id != intent_id:
        raise BadRequest(
            "operational_intent.reference.id: is not the notified operational_intent_id"
        )

    def plan(dss: SqlDssSession) -> UssPlan | None:
        if found is None:
            return uss_plans.deleted_plan(INTENT, intent_id, principal.sub, 0)
        # Never above the priority its USS is granted, as in the DSS.
        granted = dss.uss_priority(principal.sub)
        return replace(found, priority=min(found.priority, granted))

    _tell(store, notifier, settings, plan, deleted=found is None)
    return Response(status_code=204)


@router.post(
    CONSTRAINTS,
    operation_id="notifyConstraintDetailsChanged",
    tags=CONSTRAINT_TAGS,
    responses=_ERRORS,
    **_NO_CONTENT,  # type: ignore[arg-type]
)
def notify_constraint_details_changed(
    body: PutConstraintDetailsParameters,
    principal: ConstraintProcessor,
    store: deps.Store,
    notifier: deps.NotifierDep,
    settings: deps.AppSettings,
) -> Response:
    constraint_id = parse_uuid4(body.constraint_id, "constraint_id")
    _subscriptions(body.subscriptions)
    found = _constraint_plan(body, principal.sub)

    def plan(dss: SqlDssSession) -> UssPlan | None:
        if dss.get_constraint(constraint_id) is not None:
            return None  # this DSS's own constraint reference: a native constraint, told
        if found is None:
            return uss_plans.deleted_plan(CONSTRAINT, constraint_id, principal.sub, 0)
        return found

    _tell(store, notifier, settings, plan, deleted=found is None)
    return Response(status_code=204)
