"""The F3548-21 DSS routes (``/dss/v1``) and InterUSS's aux routes (``/aux/v1``).

``router`` has every ``/dss/v1`` path and method of the F3548-21 YAML, plus the aux
``version`` and ``validate_oauth``. Its routes take the app's parts through
``deconflict.api.deps``: the store (the DSS shares its database, and so its airspace,
with the native planner), the DSS notifier (who is told of each change) and the
settings' limits, joined into a ``DssService`` by ``dss_service``; an app with other
parts (``deconflict.api.dss.testing``) overrides ``dss_service`` and ``deps.store``.
``require_scopes`` checks the caller (see ``deconflict.api.security``).

Errors leave as the spec's ``ErrorResponse`` (``{"message": ...}``), missing OVNs as an
``AirspaceConflictResponse``; request bodies that do not parse or validate are 400
(not FastAPI's 422), because F3548 clients and test suites expect 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import PlainValidator, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

import deconflict
from deconflict.api import deps, disclosure
from deconflict.api.limits import Slot
from deconflict.api.security import PRINCIPAL_STATE_ATTR, require_scopes
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.dss.native_intents import NativeIdentity
from deconflict.dss.records import (
    ConstraintChange,
    ConstraintRef,
    Extent,
    IntentChange,
    IntentParams,
    IntentRef,
    SubscriptionRec,
)
from deconflict.dss.service import DssService
from deconflict.dss.uuids import parse_uuid4
from deconflict.dss.wire import convert, fast
from deconflict.dss.wire import models as w
from deconflict.errors import (
    AirspaceConflict,
    BadRequest,
    DssError,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from deconflict.store.audit import append_audit
from deconflict.store.dss import DssStore, SqlDssSession
from deconflict.store.sql import SqlSession, SqlStore

SC = Scope.STRATEGIC_COORDINATION
CM = Scope.CONSTRAINT_MANAGEMENT
CP = Scope.CONSTRAINT_PROCESSING
CMSA = Scope.CONFORMANCE_MONITORING_SA
AA = Scope.AVAILABILITY_ARBITRATION

# Who may call each kind of route (the F3548 YAML's security requirements); a route
# takes one as its principal or through its ``_Call`` (``OirWrites`` and the like).
oir_reader = require_scopes(SC, CMSA)
oir_writer = require_scopes(SC, (SC, CP), CMSA)
constraint_reader = require_scopes(CM, CP)
constraint_writer = require_scopes(CM)
subscriber = require_scopes(CP, SC)
Subscriber = Annotated[Principal, Depends(subscriber)]
Reporter = Annotated[Principal, Depends(require_scopes(CM, CP, SC, CMSA, AA))]
Arbiter = Annotated[Principal, Depends(require_scopes(AA))]
AvailabilityReader = Annotated[Principal, Depends(require_scopes(AA, SC, CMSA))]

RID_ISA_READ = "dss.read.identification_service_areas"
RID_ISA_WRITE = "dss.write.identification_service_areas"
AUX_SCOPES = (RID_ISA_READ, RID_ISA_WRITE, SC, CM, CP, CMSA, AA)
"""Scopes ``GET /aux/v1/validate_oauth`` takes: the reference DSS's two (Remote ID's ISA
scopes, which InterUSS's prober sends) and the five of F3548, because this service
serves no Remote ID and a USS holding only F3548 scopes must be able to check its
token too."""
AuxCaller = Annotated[Principal, Depends(require_scopes(*AUX_SCOPES))]

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"
OIR_TAGS: list[str | Enum] = ["Operational intent references", "dss"]
CR_TAGS: list[str | Enum] = ["Constraint references", "dss"]
SUBS_TAGS: list[str | Enum] = ["Subscriptions", "dss"]
NO_NONE: dict[str, Any] = {"response_model_exclude_none": True}
HIDDEN: dict[str, Any] = {"include_in_schema": False}

EntityId = Annotated[
    str,
    Path(
        description="EntityID: a UUIDv4 (the 32-hex and urn:uuid: spellings are accepted too).",
        json_schema_extra={"format": "uuid"},
    ),
]
SubscriptionIdParam = Annotated[
    str,
    Path(
        description="SubscriptionID: a UUIDv4 (other spellings as for EntityID).",
        json_schema_extra={"format": "uuid"},
    ),
]


# ------------------------------------------------------------------ errors


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"message": message})


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in list(exc.errors())[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg")))
    return "invalid request: " + "; ".join(parts)


def _dss_error(request: Request, exc: DssError | NotFound) -> JSONResponse:
    if isinstance(exc, AirspaceConflict):
        principal = getattr(request.state, PRINCIPAL_STATE_ATTR, None)
        caller = principal.sub if isinstance(principal, Principal) else ""
        body = convert.airspace_conflict(exc, caller)
        return JSONResponse(
            status_code=exc.http_status, content=body.model_dump(mode="json", exclude_none=True)
        )
    return _error(exc.http_status, str(exc))


class DssRoute(APIRoute):
    """Turns DSS errors and request-validation failures into F3548 error bodies.

    A route class rather than app-wide exception handlers, so that including this
    router changes nothing for the app's other routes (the native API keeps its own
    error conventions).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _error(400, _validation_message(exc))
            except (DssError, NotFound) as exc:
                return _dss_error(request, exc)
            except InvalidInput as exc:
                # Every broken rule is a 400 here, a limit's TooLarge (413 elsewhere) too:
                # the reference DSS answers a too-large area on these routes with 400.
                return _error(BadRequest.http_status, str(exc))

        return route


def _errors(*codes: int, conflict: bool = False) -> dict[int | str, dict[str, Any]]:
    """The F3548 error answers of a route; 429 on every one, as F3548 lists it (the rate
    limits per USS and per address, ``service/rate_limits.py``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in (400, 401, 403, *codes, 429):
        model: type[w._Wire] = w.ErrorResponse
        if code == 409 and conflict:
            model = w.AirspaceConflictResponse
        out[code] = {"model": model}
    return out


# ------------------------------------------------------------------ intent bodies

IntentBody = Annotated[
    Any,
    PlainValidator(lambda v: v, json_schema_input_type=w.PutOperationalIntentReferenceParameters),
    Body(),
]
"""An intent PUT's body as FastAPI parsed it (its JSON errors are FastAPI's, as for any
body), not yet validated: ``_intent_body`` reads it. The OpenAPI document shows the
``PutOperationalIntentReferenceParameters`` schema, exactly as a model body would."""

FAST_INTENT_BODIES = True
"""Whether plain intent bodies take ``dss.wire.fast``'s lane (tests switch it off to
compare both paths through HTTP)."""


def _intent_body(body: Any) -> IntentParams | w.PutOperationalIntentReferenceParameters:
    """The fast lane's reading of ``body`` if it takes it (``dss.wire.fast``), else the
    pydantic model, whose errors are the 400 FastAPI's own validation gave (each
    located in ``body``). A corridor of a hundred extents costs the model and its
    conversion a millisecond or two of CPU, the lane a fraction of it."""
    if FAST_INTENT_BODIES:
        params = fast.intent_params(body)
        if params is not None:
            return params
    try:
        # As FastAPI validates a body (``from_attributes``, which words a non-object
        # "a valid dictionary or object to extract fields from").
        return w.PutOperationalIntentReferenceParameters.model_validate(body, from_attributes=True)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=body) from None


# ------------------------------------------------------------------ dependencies


async def dss_service(
    store: deps.Store, notifier: deps.DssNotifier, settings: deps.AppSettings
) -> DssService:
    # ``async`` (it does no I/O) so that FastAPI does not hand it to a worker thread.
    # Constraint references are native constraints too: their party events (to the
    # parties with operations inside) go through the same notifier, waking live streams.
    # Native operations appear to USSs under the service's F3548 identity.
    identity = NativeIdentity(settings.dss.manager, settings.dss.base_url)
    sink = DssStore(store, notifier.record_events, identity)
    return DssService(
        sink, notifier=notifier, limits=settings.limits, policy=settings.equal_priority
    )


Service = Annotated[DssService, Depends(dss_service)]


@dataclass(frozen=True)
class _Call:
    """One request as the entity's own steps see it."""

    service: DssService
    store: SqlStore
    principal: Principal


def _call_by(role: Callable[..., Awaitable[Principal]]) -> Callable[..., Awaitable[_Call]]:
    """A dependency: the request's ``_Call``, its caller admitted by ``role`` (one of
    the ``require_scopes`` above, which FastAPI then runs once a request)."""

    # ``role`` goes in the default, not in an ``Annotated``: FastAPI reads annotations
    # in the module's namespace, where this function's ``role`` is not.
    async def call(
        *, principal: Principal = Depends(role), service: Service, store: deps.Store
    ) -> _Call:
        return _Call(service, store, principal)

    return call


OirReads = Annotated[_Call, Depends(_call_by(oir_reader))]
OirWrites = Annotated[_Call, Depends(_call_by(oir_writer))]
ConstraintReads = Annotated[_Call, Depends(_call_by(constraint_reader))]
ConstraintWrites = Annotated[_Call, Depends(_call_by(constraint_writer))]
Subscribes = Annotated[_Call, Depends(_call_by(subscriber))]


INTENT_REF = "operational_intent"
CONSTRAINT_REF = "constraint_reference"


_NATIVE = ""
"""The owner ``_shown`` gives a native operation's (or constraint's) reference until
``_disclosed`` finds its party (no party is named ""): its manager is the service, not
the owner."""


def _shown(kind: str, refs: Iterable[IntentRef | ConstraintRef]) -> list[tuple[str, str, str]]:
    """``refs`` as ``disclosure.shown_references`` takes them: (owner, kind, id), the
    owner being the manager, or ``_NATIVE`` for a native operation's reference."""
    return [(_NATIVE if r.native else r.manager, kind, r.id) for r in refs]


def _disclosed(
    store: SqlStore, principal: Principal, refs: list[tuple[str, str, str]], via: str
) -> None:
    """Record, before answering, which other managers' references the caller was shown;
    a native operation's reference is a disclosure about its party, found (with the
    entries written) in one transaction."""
    if not any(owner == _NATIVE for owner, _, _ in refs):
        disclosure.record(store, disclosure.shown_references(principal.sub, refs, via))
        return

    def work(s: SqlSession) -> None:
        natives = [i for o, _, i in refs if o == _NATIVE]
        dss = SqlDssSession(s)
        parties = {**dss.native_parties(natives), **dss.native_constraint_owners(natives)}
        owned = [
            (parties[i] if o == _NATIVE else o, kind, i)
            for o, kind, i in refs
            if o != _NATIVE or i in parties
        ]
        entries = disclosure.shown_references(principal.sub, owned, via)
        if entries:
            append_audit(s, entries)

    store.run(work)


BodyT = TypeVar("BodyT")
PutT = TypeVar("PutT")
DeleteT = TypeVar("DeleteT")
RefT = TypeVar("RefT", IntentRef, ConstraintRef)
WireT = TypeVar("WireT")


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class _Reads(Generic[RefT, WireT]):
    """How the references of one kind are found and shown.

    What a read of either kind does is written once here: whatever other managers'
    references the caller is shown are recorded (``_disclosed``) before the answer,
    which has each reference in the wire's terms, its OVN only for its manager.
    """

    kind: str
    get: Callable[[DssService, str], RefT]
    query: Callable[[DssService, Extent | None], list[RefT]]
    wire: Callable[[RefT, str], WireT]

    def one(self, call: _Call, raw_id: str) -> WireT:
        ref = self.get(call.service, parse_uuid4(raw_id, "entityid"))
        _disclosed(call.store, call.principal, _shown(self.kind, [ref]), "dss.get")
        return self.wire(ref, call.principal.sub)

    def within(self, call: _Call, area: w.Volume4D | None) -> list[WireT]:
        found = self.query(call.service, convert.area(area))
        _disclosed(call.store, call.principal, _shown(self.kind, found), "dss.query")
        return [self.wire(r, call.principal.sub) for r in found]


INTENT_READS = _Reads(
    INTENT_REF, DssService.get_intent, DssService.query_intents, convert.intent_ref
)
CONSTRAINT_READS = _Reads(
    CONSTRAINT_REF, DssService.get_constraint, DssService.query_constraints, convert.constraint_ref
)


# ------------------------------------------------------------------ writes


@dataclass(frozen=True)
class _Writes(Generic[BodyT, PutT, DeleteT]):
    """How one kind of entity is created, updated and deleted.

    The shape the three kinds share is written once here: an update must name a
    version (OVN), and the id is read as a UUIDv4 in its canonical form, before the
    kind's own steps run. ``put`` and ``delete`` are those steps: the service call,
    what the caller is shown and so recorded, and the answer in the wire's terms.
    """

    id_field: str
    version_field: str
    put: Callable[[_Call, str, str | None, BodyT], PutT]
    delete: Callable[[_Call, str, str], DeleteT]

    def create(self, call: _Call, raw_id: str, body: BodyT) -> PutT:
        return self.put(call, parse_uuid4(raw_id, self.id_field), None, body)

    def update(self, call: _Call, raw_id: str, version: str, body: BodyT) -> PutT:
        if not version:
            raise BadRequest(f"{self.version_field}: is required")
        return self.put(call, parse_uuid4(raw_id, self.id_field), version, body)

    def remove(self, call: _Call, raw_id: str, version: str) -> DeleteT:
        return self.delete(call, parse_uuid4(raw_id, self.id_field), version)


def _intent_change(change: IntentChange, caller: str) -> w.ChangeOperationalIntentReferenceResponse:
    return w.ChangeOperationalIntentReferenceResponse(
        subscribers=convert.subscribers(change.subscribers),
        operational_intent_reference=convert.intent_ref(change.intent, caller),
    )


def _put_intent(
    call: _Call,
    intent_id: str,
    ovn: str | None,
    body: IntentParams | w.PutOperationalIntentReferenceParameters,
) -> w.ChangeOperationalIntentReferenceResponse:
    principal = call.principal
    params = body if isinstance(body, IntentParams) else convert.intent_params(body)
    try:
        change = call.service.put_intent(
            principal.sub,
            intent_id,
            ovn,
            params,
            conformance_monitoring=CMSA in principal.scopes,
        )
    except AirspaceConflict as exc:
        # The 409 lists the references the key lacks: shown, so recorded.
        missing = _shown(INTENT_REF, exc.missing_operational_intents)
        missing += _shown(CONSTRAINT_REF, exc.missing_constraints)
        _disclosed(call.store, principal, missing, "dss.conflict")
        raise
    return _intent_change(change, principal.sub)


def _delete_intent(
    call: _Call, intent_id: str, ovn: str
) -> w.ChangeOperationalIntentReferenceResponse:
    change = call.service.delete_intent(call.principal.sub, intent_id, ovn)
    return _intent_change(change, call.principal.sub)


def _constraint_change(
    change: ConstraintChange, caller: str
) -> w.ChangeConstraintReferenceResponse:
    return w.ChangeConstraintReferenceResponse(
        subscribers=convert.subscribers(change.subscribers),
        constraint_reference=convert.constraint_ref(change.constraint, caller),
    )


def _put_constraint(
    call: _Call, constraint_id: str, ovn: str | None, body: w.PutConstraintReferenceParameters
) -> w.ChangeConstraintReferenceResponse:
    params = convert.constraint_params(body)
    change = call.service.put_constraint(call.principal.sub, constraint_id, ovn, params)
    return _constraint_change(change, call.principal.sub)


def _delete_constraint(
    call: _Call, constraint_id: str, ovn: str
) -> w.ChangeConstraintReferenceResponse:
    change = call.service.delete_constraint(call.principal.sub, constraint_id, ovn)
    return _constraint_change(change, call.principal.sub)


def _put_subscription(
    call: _Call, sub_id: str, version: str | None, body: w.PutSubscriptionParameters
) -> w.PutSubscriptionResponse:
    caller = call.principal.sub
    params = convert.subscription_params(body)
    change = call.service.put_subscription(caller, sub_id, version, params)
    shown = _shown(INTENT_REF, change.intents or ()) + _shown(
        CONSTRAINT_REF, change.constraints or ()
    )
    _disclosed(call.store, call.principal, shown, "dss.subscription")
    return w.PutSubscriptionResponse(
        subscription=convert.subscription(change.subscription),
        operational_intent_references=(
            [convert.intent_ref(x, caller) for x in change.intents]
            if change.intents is not None
            else None
        ),
        constraint_references=(
            [convert.constraint_ref(c, caller) for c in change.constraints]
            if change.constraints is not None
            else None
        ),
    )


def _delete_subscription(call: _Call, sub_id: str, version: str) -> w.DeleteSubscriptionResponse:
    sub: SubscriptionRec = call.service.delete_subscription(call.principal.sub, sub_id, version)
    return w.DeleteSubscriptionResponse(subscription=convert.subscription(sub))


INTENTS = _Writes("entityid", "ovn", _put_intent, _delete_intent)
CONSTRAINTS = _Writes("entityid", "ovn", _put_constraint, _delete_constraint)
SUBSCRIPTIONS = _Writes("subscriptionid", "version", _put_subscription, _delete_subscription)


# ------------------------------------------------------------------ routes

router = APIRouter(route_class=DssRoute)


# --- operational intent references ---------------------------------------------------


@router.post(
    f"{OIR}/query",
    operation_id="queryOperationalIntentReferences",
    tags=OIR_TAGS,
    responses=_errors(413),
    **NO_NONE,
)
def query_operational_intent_references(
    body: w.QueryOperationalIntentReferenceParameters,
    call: OirReads,
) -> w.QueryOperationalIntentReferenceResponse:
    return w.QueryOperationalIntentReferenceResponse(
        operational_intent_references=INTENT_READS.within(call, body.area_of_interest)
    )


@router.get(
    f"{OIR}/{{entityid}}",
    operation_id="getOperationalIntentReference",
    tags=OIR_TAGS,
    responses=_errors(404),
    **NO_NONE,
)
def get_operational_intent_reference(
    entityid: EntityId, call: OirReads
) -> w.GetOperationalIntentReferenceResponse:
    ref = INTENT_READS.one(call, entityid)
    return w.GetOperationalIntentReferenceResponse(operational_intent_reference=ref)


# The intent writes (the load test's every request) are ``async`` routes that send their
# work to the thread pool themselves: a synchronous route costs FastAPI two hand-offs to
# a worker thread, one for the route and one more to validate its answer, which for a
# model it made itself is a type check. The work (the body's reading too: a large body
# must not hold the event loop) runs in the thread as before.


def _create_intent(
    call: _Call, entityid: str, body: Any
) -> w.ChangeOperationalIntentReferenceResponse:
    return INTENTS.create(call, entityid, _intent_body(body))


def _update_intent(
    call: _Call, entityid: str, ovn: str, body: Any
) -> w.ChangeOperationalIntentReferenceResponse:
    return INTENTS.update(call, entityid, ovn, _intent_body(body))


@router.put(
    f"{OIR}/{{entityid}}",
    operation_id="createOperationalIntentReference",
    tags=OIR_TAGS,
    status_code=201,
    responses=_errors(409, 413, conflict=True),
    **NO_NONE,
)
async def create_operational_intent_reference(
    entityid: EntityId,
    body: IntentBody,
    call: OirWrites,
    slot: Slot,  # a large body needs the party's heavy slot (api.limits)
) -> w.ChangeOperationalIntentReferenceResponse:
    return await run_in_threadpool(_create_intent, call, entityid, body)


@router.put(
    f"{OIR}/{{entityid}}/{{ovn}}",
    operation_id="updateOperationalIntentReference",
    tags=OIR_TAGS,
    responses=_errors(409, 413, conflict=True),
    **NO_NONE,
)
async def update_operational_intent_reference(
    entityid: EntityId,
    ovn: str,
    body: IntentBody,
    call: OirWrites,
    slot: Slot,  # a large body needs the party's heavy slot (api.limits)
) -> w.ChangeOperationalIntentReferenceResponse:
    return await run_in_threadpool(_update_intent, call, entityid, ovn, body)


@router.delete(
    f"{OIR}/{{entityid}}/{{ovn}}",
    operation_id="deleteOperationalIntentReference",
    tags=OIR_TAGS,
    responses=_errors(404, 409),
    **NO_NONE,
)
def delete_operational_intent_reference(
    entityid: EntityId, ovn: str, call: OirReads
) -> w.ChangeOperationalIntentReferenceResponse:
    return INTENTS.remove(call, entityid, ovn)


# --- constraint references -------------------------------------------------------------


@router.post(
    f"{CR}/query",
    operation_id="queryConstraintReferences",
    tags=CR_TAGS,
    responses=_errors(413),
    **NO_NONE,
)
def query_constraint_references(
    body: w.QueryConstraintReferenceParameters,
    call: ConstraintReads,
) -> w.QueryConstraintReferencesResponse:
    return w.QueryConstraintReferencesResponse(
        constraint_references=CONSTRAINT_READS.within(call, body.area_of_interest)
    )


@router.get(
    f"{CR}/{{entityid}}",
    operation_id="getConstraintReference",
    tags=CR_TAGS,
    responses=_errors(404),
    **NO_NONE,
)
def get_constraint_reference(
    entityid: EntityId, call: ConstraintReads
) -> w.GetConstraintReferenceResponse:
    ref = CONSTRAINT_READS.one(call, entityid)
    return w.GetConstraintReferenceResponse(constraint_reference=ref)


@router.put(
    f"{CR}/{{entityid}}",
    operation_id="createConstraintReference",
    tags=CR_TAGS,
    status_code=201,
    responses=_errors(409, 413),
    **NO_NONE,
)
def create_constraint_reference(
    entityid: EntityId,
    body: w.PutConstraintReferenceParameters,
    call: ConstraintWrites,
    slot: Slot,  # a large body needs the party's heavy slot (api.limits)
) -> w.ChangeConstraintReferenceResponse:
    return CONSTRAINTS.create(call, entityid, body)


@router.put(
    f"{CR}/{{entityid}}/{{ovn}}",
    operation_id="updateConstraintReference",
    tags=CR_TAGS,
    responses=_errors(409, 413),
    **NO_NONE,
)
def update_constraint_reference(
    entityid: EntityId,
    ovn: str,
    body: w.PutConstraintReferenceParameters,
    call: ConstraintWrites,
    slot: Slot,  # a large body needs the party's heavy slot (api.limits)
) -> w.ChangeConstraintReferenceResponse:
    return CONSTRAINTS.update(call, entityid, ovn, body)


@router.delete(
    f"{CR}/{{entityid}}/{{ovn}}",
    operation_id="deleteConstraintReference",
    tags=CR_TAGS,
    responses=_errors(404, 409),
    **NO_NONE,
)
def delete_constraint_reference(
    entityid: EntityId, ovn: str, call: ConstraintWrites
) -> w.ChangeConstraintReferenceResponse:
    return CONSTRAINTS.remove(call, entityid, ovn)


# --- subscriptions -----------------------------------------------------------------------


@router.post(
    f"{SUBS}/query",
    operation_id="querySubscriptions",
    tags=SUBS_TAGS,
    responses=_errors(413),
    **NO_NONE,
)
def query_subscriptions(
    body: w.QuerySubscriptionParameters, principal: Subscriber, service: Service
) -> w.QuerySubscriptionsResponse:
    found = service.query_subscriptions(principal.sub, convert.area(body.area_of_interest))
    return w.QuerySubscriptionsResponse(subscriptions=[convert.subscription(s) for s in found])


@router.get(
    f"{SUBS}/{{subscriptionid}}",
    operation_id="getSubscription",
    tags=SUBS_TAGS,
    responses=_errors(404),
    **NO_NONE,
)
def get_subscription(
    subscriptionid: SubscriptionIdParam, principal: Subscriber, service: Service
) -> w.GetSubscriptionResponse:
    sub = service.get_subscription(principal.sub, parse_uuid4(subscriptionid, "subscriptionid"))
    return w.GetSubscriptionResponse(subscription=convert.subscription(sub))


@router.put(
    f"{SUBS}/{{subscriptionid}}",
    operation_id="createSubscription",
    tags=SUBS_TAGS,
    responses=_errors(409),
    **NO_NONE,
)
def create_subscription(
    subscriptionid: SubscriptionIdParam,
    body: w.PutSubscriptionParameters,
    call: Subscribes,
) -> w.PutSubscriptionResponse:
    return SUBSCRIPTIONS.create(call, subscriptionid, body)


@router.put(
    f"{SUBS}/{{subscriptionid}}/{{version}}",
    operation_id="updateSubscription",
    tags=SUBS_TAGS,
    responses=_errors(409),
    **NO_NONE,
)
def update_subscription(
    subscriptionid: SubscriptionIdParam,
    version: str,
    body: w.PutSubscriptionParameters,
    call: Subscribes,
) -> w.PutSubscriptionResponse:
    return SUBSCRIPTIONS.update(call, subscriptionid, version, body)


@router.delete(
    f"{SUBS}/{{subscriptionid}}/{{version}}",
    operation_id="deleteSubscription",
    tags=SUBS_TAGS,
    responses=_errors(404, 409),
    **NO_NONE,
)
def delete_subscription(
    subscriptionid: SubscriptionIdParam,
    version: str,
    call: Subscribes,
) -> w.DeleteSubscriptionResponse:
    return SUBSCRIPTIONS.remove(call, subscriptionid, version)


# --- reports and availability ------------------------------------------------------------


@router.post(
    "/dss/v1/reports",
    operation_id="makeDssReport",
    tags=["Reports", "dss"],
    status_code=201,
    responses=_errors(),
    **NO_NONE,
)
def make_dss_report(body: w.ErrorReport, principal: Reporter, service: Service) -> w.ErrorReport:
    report = convert.report(body)
    report_id = service.make_report(
        principal.sub, report.model_dump(mode="json", exclude_none=True)
    )
    return report.model_copy(update={"report_id": report_id})


@router.put(
    "/dss/v1/uss_availability/{uss_id}",
    operation_id="setUssAvailability",
    tags=["Availability", "dss"],
    responses=_errors(409),
    **NO_NONE,
)
def set_uss_availability(
    uss_id: str,
    body: w.SetUssAvailabilityStatusParameters,
    principal: Arbiter,
    service: Service,
) -> w.UssAvailabilityStatusResponse:
    status = service.set_availability(uss_id, body.old_version or "", body.availability)
    return convert.availability(status)


@router.get(
    "/dss/v1/uss_availability/{uss_id}",
    operation_id="getUssAvailability",
    tags=["Availability", "dss"],
    responses=_errors(),
    **NO_NONE,
)
def get_uss_availability(
    uss_id: str, principal: AvailabilityReader, service: Service
) -> w.UssAvailabilityStatusResponse:
    return convert.availability(service.get_availability(uss_id))


# --- aux ---------------------------------------------------------------------------------


@router.get("/aux/v1/version", operation_id="getVersion", tags=["aux"])
def get_version() -> w.VersionResponse:
    """Unauthenticated, like the reference DSS's: probes use it to see what runs."""
    return w.VersionResponse(version=f"deconflict-{deconflict.__version__}")


@router.get(
    "/aux/v1/validate_oauth",
    operation_id="validateOauth",
    tags=["aux"],
    responses=_errors(),
)
def validate_oauth(
    principal: AuxCaller,
    owner: Annotated[
        str | None,
        Query(description="When given, the token's subject must be this owner (else 403)."),
    ] = None,
) -> dict[str, Any]:
    """Lets a USS or a test tool check that this DSS accepts its token, and (with
    ``owner``) under which identity, before it relies on either."""
    if owner and owner != principal.sub:
        raise NotAllowed(f"owner: the token's subject is {principal.sub!r}, not {owner[:200]!r}")
    return {}


# --- paths the API does not have ---------------------------------------------------------

# PUT/DELETE {base}/{id}/: the OVN (or version) segment is there but empty. The
# reference DSS routes such a path to its handler with an empty OVN, which answers
# 400; without these routes it would match nothing. Authentication runs first, as
# on the real routes.


def _missing(what: str, base: str) -> str:
    return (
        f"{what}: is required; the path ends with '/' and has no {what} after the id "
        f"(expected {base}/{{id}}/{{{what}}})"
    )


def _refuse_without(what: str, base: str) -> Callable[[], None]:
    def refuse() -> None:
        raise BadRequest(_missing(what, base))

    return refuse


for _base, _id, _what, _role in (
    (OIR, "entityid", "ovn", {"PUT": oir_writer, "DELETE": oir_reader}),
    (CR, "entityid", "ovn", {"PUT": constraint_writer, "DELETE": constraint_writer}),
    (SUBS, "subscriptionid", "version", {"PUT": subscriber, "DELETE": subscriber}),
):
    for _method, _admits in _role.items():
        router.add_api_route(
            f"{_base}/{{{_id}}}/",
            _refuse_without(_what, _base),
            methods=[_method],
            dependencies=[Depends(_admits)],
            name=f"{_method.lower()}_{_base.rsplit('/', 1)[-1]}_without_{_what}",
            **HIDDEN,
        )


@router.api_route("/dss/v1/{path:path}", methods=ALL_METHODS, **HIDDEN)
@router.api_route("/aux/v1/{path:path}", methods=ALL_METHODS, **HIDDEN)
def unknown_path(request: Request, path: str) -> Response:
    """A path or method the API does not have, said in words: never a redirect."""
    return _no_such_endpoint(request, router.routes)


def _no_such_endpoint(request: Request, routes: Sequence[BaseRoute]) -> Response:
    """404 for a path the API does not have, 405 with ``Allow`` for a method it does not
    take there; the message names the method and path, and the trailing slash when
    dropping it would have found the endpoint. ``routes`` are this router's own (an app
    may nest them where they are not listed)."""

    def methods_at(path: str) -> set[str]:
        found: set[str] = set()
        for route in routes:
            if (
                isinstance(route, APIRoute)
                and "{path:path}" not in route.path
                and route.path_regex.match(path)
            ):
                found |= route.methods or set()
        return found

    path, method = request.url.path, request.method
    stripped = path.rstrip("/")
    if stripped != path and method in methods_at(stripped):
        return _error(404, f"no endpoint at {method} {path} (no trailing slash: {stripped})")
    allowed = methods_at(path)
    if allowed:
        names = ", ".join(sorted(allowed))
        return JSONResponse(
            status_code=405,
            content={"message": f"{method} is not allowed on {path}; use {names}"},
            headers={"Allow": names},
        )
    return _error(404, f"no endpoint at {method} {path}")
