"""The F3548-21 DSS routes (``/dss/v1``) and InterUSS's aux routes (``/aux/v1``).

What the router reads from ``request.app.state``:

* ``store``: the ``deconflict.store.sql.SqlStore`` (required); the DSS shares its
  database, and so its airspace, with the native planner;
* ``token_verifier``: read by ``require_scopes`` (see ``deconflict.api.security``);
* ``settings``: optional; nothing in it is required yet.

Errors leave as the spec's ``ErrorResponse`` (``{"message": ...}``), missing OVNs as an
``AirspaceConflictResponse``; request bodies that do not parse or validate are 400
(not FastAPI's 422), because F3548 clients and test suites expect 400.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

import deconflict
from deconflict.api import disclosure
from deconflict.api.limits import Slot
from deconflict.api.security import PRINCIPAL_STATE_ATTR, require_scopes
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.dss.ids import parse_uuid4
from deconflict.dss.records import (
    AvailabilityStatus,
    ConstraintParams,
    Extent,
    ImplicitSubscription,
    IntentParams,
    SubscriptionParams,
)
from deconflict.dss.service import DssService
from deconflict.dss.wire import convert
from deconflict.dss.wire import models as w
from deconflict.errors import (
    AirspaceConflict,
    BadRequest,
    DssError,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from deconflict.model.operation import OperationState
from deconflict.store.dss import DssStore

SC = Scope.STRATEGIC_COORDINATION
CM = Scope.CONSTRAINT_MANAGEMENT
CP = Scope.CONSTRAINT_PROCESSING
CMSA = Scope.CONFORMANCE_MONITORING_SA
AA = Scope.AVAILABILITY_ARBITRATION

OirReader = Annotated[Principal, Depends(require_scopes(SC, CMSA))]
OirWriter = Annotated[Principal, Depends(require_scopes(SC, (SC, CP), CMSA))]
ConstraintReader = Annotated[Principal, Depends(require_scopes(CM, CP))]
ConstraintWriter = Annotated[Principal, Depends(require_scopes(CM))]
Subscriber = Annotated[Principal, Depends(require_scopes(CP, SC))]
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
        body = w.AirspaceConflictResponse(
            message=exc.message,
            missing_operational_intents=[
                convert.intent_ref(r, caller) for r in exc.missing_operational_intents
            ],
            missing_constraints=[
                convert.constraint_ref(c, caller) for c in exc.missing_constraints
            ],
        )
        return JSONResponse(
            status_code=409, content=body.model_dump(mode="json", exclude_none=True)
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
                return _error(400, str(exc))

        return route


def _service(request: Request) -> DssService:
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise RuntimeError("app.state.store is not set to a SqlStore")
    notifier = getattr(request.app.state, "dss_notifier", None)
    # Constraint references are native constraints too: their party events (to the
    # parties with operations inside) go through the same notifier, waking live streams.
    record = getattr(notifier, "record_events", None)
    settings = getattr(request.app.state, "settings", None)
    limits = settings.limits if settings is not None else None
    return DssService(DssStore(store, record), notifier=notifier, limits=limits)


def _errors(*codes: int, conflict: bool = False) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for code in (400, 401, 403, *codes):
        model: type[w._Wire] = w.ErrorResponse
        if code == 409 and conflict:
            model = w.AirspaceConflictResponse
        out[code] = {"model": model}
    return out


def _disclosed(
    request: Request, principal: Principal, refs: list[tuple[str, str, str]], via: str
) -> None:
    """Record, before answering, which other managers' references the caller was shown."""
    disclosure.record(
        request.app.state.store, disclosure.shown_references(principal.sub, refs, via)
    )


def _intent_params(body: w.PutOperationalIntentReferenceParameters) -> IntentParams:
    new_sub = body.new_subscription
    return IntentParams(
        extents=tuple(convert.extent(v, f"extents[{i}]") for i, v in enumerate(body.extents)),
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


def _subscription_params(body: w.PutSubscriptionParameters) -> SubscriptionParams:
    return SubscriptionParams(
        extent=convert.extent(body.extents, "extents"),
        uss_base_url=body.uss_base_url,
        notify_for_operational_intents=bool(body.notify_for_operational_intents),
        notify_for_constraints=bool(body.notify_for_constraints),
    )


def _constraint_params(body: w.PutConstraintReferenceParameters) -> ConstraintParams:
    return ConstraintParams(
        extents=tuple(convert.extent(v, f"extents[{i}]") for i, v in enumerate(body.extents)),
        uss_base_url=body.uss_base_url,
    )


def _area(area: w.Volume4D | None) -> Extent | None:
    return convert.extent(area, "area_of_interest") if area is not None else None


def router() -> APIRouter:
    """Every ``/dss/v1`` path and method of the F3548-21 YAML, plus ``/aux/v1/version``."""
    r = APIRouter(route_class=DssRoute)
    oir = "/dss/v1/operational_intent_references"
    cr = "/dss/v1/constraint_references"
    subs = "/dss/v1/subscriptions"
    opts: dict[str, Any] = {"response_model_exclude_none": True}

    # --- operational intent references ---------------------------------------------

    @r.post(
        f"{oir}/query",
        operation_id="queryOperationalIntentReferences",
        tags=["Operational intent references", "dss"],
        responses=_errors(413),
        **opts,
    )
    def query_operational_intent_references(
        request: Request,
        body: w.QueryOperationalIntentReferenceParameters,
        principal: OirReader,
    ) -> w.QueryOperationalIntentReferenceResponse:
        found = _service(request).query_intents(_area(body.area_of_interest))
        refs = [(x.manager, "operational_intent", x.id) for x in found]
        _disclosed(request, principal, refs, "dss.query")
        return w.QueryOperationalIntentReferenceResponse(
            operational_intent_references=[convert.intent_ref(x, principal.sub) for x in found]
        )

    @r.get(
        f"{oir}/{{entityid}}",
        operation_id="getOperationalIntentReference",
        tags=["Operational intent references", "dss"],
        responses=_errors(404),
        **opts,
    )
    def get_operational_intent_reference(
        request: Request, entityid: EntityId, principal: OirReader
    ) -> w.GetOperationalIntentReferenceResponse:
        ref = _service(request).get_intent(parse_uuid4(entityid, "entityid"))
        _disclosed(request, principal, [(ref.manager, "operational_intent", ref.id)], "dss.get")
        return w.GetOperationalIntentReferenceResponse(
            operational_intent_reference=convert.intent_ref(ref, principal.sub)
        )

    def _put_intent(
        request: Request,
        entityid: EntityId,
        ovn: str | None,
        body: w.PutOperationalIntentReferenceParameters,
        principal: Principal,
    ) -> w.ChangeOperationalIntentReferenceResponse:
        try:
            change = _service(request).put_intent(
                principal.sub,
                parse_uuid4(entityid, "entityid"),
                ovn,
                _intent_params(body),
                conformance_monitoring=CMSA in principal.scopes,
            )
        except AirspaceConflict as exc:
            # The 409 lists the references the key lacks: shown, so recorded.
            missing = [
                (x.manager, "operational_intent", x.id) for x in exc.missing_operational_intents
            ]
            missing += [(c.manager, "constraint_reference", c.id) for c in exc.missing_constraints]
            _disclosed(request, principal, missing, "dss.conflict")
            raise
        return w.ChangeOperationalIntentReferenceResponse(
            subscribers=convert.subscribers(change.subscribers),
            operational_intent_reference=convert.intent_ref(change.intent, principal.sub),
        )

    @r.put(
        f"{oir}/{{entityid}}",
        operation_id="createOperationalIntentReference",
        tags=["Operational intent references", "dss"],
        status_code=201,
        responses=_errors(409, 413, conflict=True),
        **opts,
    )
    def create_operational_intent_reference(
        request: Request,
        entityid: EntityId,
        body: w.PutOperationalIntentReferenceParameters,
        principal: OirWriter,
        slot: Slot,  # a large body needs the party's heavy slot (api.limits)
    ) -> w.ChangeOperationalIntentReferenceResponse:
        return _put_intent(request, entityid, None, body, principal)

    @r.put(
        f"{oir}/{{entityid}}/{{ovn}}",
        operation_id="updateOperationalIntentReference",
        tags=["Operational intent references", "dss"],
        responses=_errors(409, 413, conflict=True),
        **opts,
    )
    def update_operational_intent_reference(
        request: Request,
        entityid: EntityId,
        ovn: str,
        body: w.PutOperationalIntentReferenceParameters,
        principal: OirWriter,
        slot: Slot,  # a large body needs the party's heavy slot (api.limits)
    ) -> w.ChangeOperationalIntentReferenceResponse:
        if not ovn:
            raise BadRequest("ovn: is required")
        return _put_intent(request, entityid, ovn, body, principal)

    @r.delete(
        f"{oir}/{{entityid}}/{{ovn}}",
        operation_id="deleteOperationalIntentReference",
        tags=["Operational intent references", "dss"],
        responses=_errors(404, 409),
        **opts,
    )
    def delete_operational_intent_reference(
        request: Request, entityid: EntityId, ovn: str, principal: OirReader
    ) -> w.ChangeOperationalIntentReferenceResponse:
        change = _service(request).delete_intent(
            principal.sub, parse_uuid4(entityid, "entityid"), ovn
        )
        return w.ChangeOperationalIntentReferenceResponse(
            subscribers=convert.subscribers(change.subscribers),
            operational_intent_reference=convert.intent_ref(change.intent, principal.sub),
        )

    # --- constraint references -----------------------------------------------------

    @r.post(
        f"{cr}/query",
        operation_id="queryConstraintReferences",
        tags=["Constraint references", "dss"],
        responses=_errors(413),
        **opts,
    )
    def query_constraint_references(
        request: Request,
        body: w.QueryConstraintReferenceParameters,
        principal: ConstraintReader,
    ) -> w.QueryConstraintReferencesResponse:
        found = _service(request).query_constraints(_area(body.area_of_interest))
        refs = [(c.manager, "constraint_reference", c.id) for c in found]
        _disclosed(request, principal, refs, "dss.query")
        return w.QueryConstraintReferencesResponse(
            constraint_references=[convert.constraint_ref(c, principal.sub) for c in found]
        )

    @r.get(
        f"{cr}/{{entityid}}",
        operation_id="getConstraintReference",
        tags=["Constraint references", "dss"],
        responses=_errors(404),
        **opts,
    )
    def get_constraint_reference(
        request: Request, entityid: EntityId, principal: ConstraintReader
    ) -> w.GetConstraintReferenceResponse:
        ref = _service(request).get_constraint(parse_uuid4(entityid, "entityid"))
        _disclosed(request, principal, [(ref.manager, "constraint_reference", ref.id)], "dss.get")
        return w.GetConstraintReferenceResponse(
            constraint_reference=convert.constraint_ref(ref, principal.sub)
        )

    def _put_constraint(
        request: Request,
        entityid: EntityId,
        ovn: str | None,
        body: w.PutConstraintReferenceParameters,
        principal: Principal,
    ) -> w.ChangeConstraintReferenceResponse:
        change = _service(request).put_constraint(
            principal.sub, parse_uuid4(entityid, "entityid"), ovn, _constraint_params(body)
        )
        return w.ChangeConstraintReferenceResponse(
            subscribers=convert.subscribers(change.subscribers),
            constraint_reference=convert.constraint_ref(change.constraint, principal.sub),
        )

    @r.put(
        f"{cr}/{{entityid}}",
        operation_id="createConstraintReference",
        tags=["Constraint references", "dss"],
        status_code=201,
        responses=_errors(409, 413),
        **opts,
    )
    def create_constraint_reference(
        request: Request,
        entityid: EntityId,
        body: w.PutConstraintReferenceParameters,
        principal: ConstraintWriter,
        slot: Slot,  # a large body needs the party's heavy slot (api.limits)
    ) -> w.ChangeConstraintReferenceResponse:
        return _put_constraint(request, entityid, None, body, principal)

    @r.put(
        f"{cr}/{{entityid}}/{{ovn}}",
        operation_id="updateConstraintReference",
        tags=["Constraint references", "dss"],
        responses=_errors(409, 413),
        **opts,
    )
    def update_constraint_reference(
        request: Request,
        entityid: EntityId,
        ovn: str,
        body: w.PutConstraintReferenceParameters,
        principal: ConstraintWriter,
        slot: Slot,  # a large body needs the party's heavy slot (api.limits)
    ) -> w.ChangeConstraintReferenceResponse:
        if not ovn:
            raise BadRequest("ovn: is required")
        return _put_constraint(request, entityid, ovn, body, principal)

    @r.delete(
        f"{cr}/{{entityid}}/{{ovn}}",
        operation_id="deleteConstraintReference",
        tags=["Constraint references", "dss"],
        responses=_errors(404, 409),
        **opts,
    )
    def delete_constraint_reference(
        request: Request, entityid: EntityId, ovn: str, principal: ConstraintWriter
    ) -> w.ChangeConstraintReferenceResponse:
        change = _service(request).delete_constraint(
            principal.sub, parse_uuid4(entityid, "entityid"), ovn
        )
        return w.ChangeConstraintReferenceResponse(
            subscribers=convert.subscribers(change.subscribers),
            constraint_reference=convert.constraint_ref(change.constraint, principal.sub),
        )

    # --- subscriptions ---------------------------------------------------------------

    @r.post(
        f"{subs}/query",
        operation_id="querySubscriptions",
        tags=["Subscriptions", "dss"],
        responses=_errors(413),
        **opts,
    )
    def query_subscriptions(
        request: Request, body: w.QuerySubscriptionParameters, principal: Subscriber
    ) -> w.QuerySubscriptionsResponse:
        found = _service(request).query_subscriptions(principal.sub, _area(body.area_of_interest))
        return w.QuerySubscriptionsResponse(subscriptions=[convert.subscription(s) for s in found])

    @r.get(
        f"{subs}/{{subscriptionid}}",
        operation_id="getSubscription",
        tags=["Subscriptions", "dss"],
        responses=_errors(404),
        **opts,
    )
    def get_subscription(
        request: Request, subscriptionid: SubscriptionIdParam, principal: Subscriber
    ) -> w.GetSubscriptionResponse:
        sub = _service(request).get_subscription(
            principal.sub, parse_uuid4(subscriptionid, "subscriptionid")
        )
        return w.GetSubscriptionResponse(subscription=convert.subscription(sub))

    def _put_subscription(
        request: Request,
        subscriptionid: SubscriptionIdParam,
        version: str | None,
        body: w.PutSubscriptionParameters,
        principal: Principal,
    ) -> w.PutSubscriptionResponse:
        change = _service(request).put_subscription(
            principal.sub,
            parse_uuid4(subscriptionid, "subscriptionid"),
            version,
            _subscription_params(body),
        )
        shown = [(x.manager, "operational_intent", x.id) for x in change.intents or ()]
        shown += [(c.manager, "constraint_reference", c.id) for c in change.constraints or ()]
        _disclosed(request, principal, shown, "dss.subscription")
        return w.PutSubscriptionResponse(
            subscription=convert.subscription(change.subscription),
            operational_intent_references=(
                [convert.intent_ref(x, principal.sub) for x in change.intents]
                if change.intents is not None
                else None
            ),
            constraint_references=(
                [convert.constraint_ref(c, principal.sub) for c in change.constraints]
                if change.constraints is not None
                else None
            ),
        )

    @r.put(
        f"{subs}/{{subscriptionid}}",
        operation_id="createSubscription",
        tags=["Subscriptions", "dss"],
        responses=_errors(409),
        **opts,
    )
    def create_subscription(
        request: Request,
        subscriptionid: SubscriptionIdParam,
        body: w.PutSubscriptionParameters,
        principal: Subscriber,
    ) -> w.PutSubscriptionResponse:
        return _put_subscription(request, subscriptionid, None, body, principal)

    @r.put(
        f"{subs}/{{subscriptionid}}/{{version}}",
        operation_id="updateSubscription",
        tags=["Subscriptions", "dss"],
        responses=_errors(409),
        **opts,
    )
    def update_subscription(
        request: Request,
        subscriptionid: SubscriptionIdParam,
        version: str,
        body: w.PutSubscriptionParameters,
        principal: Subscriber,
    ) -> w.PutSubscriptionResponse:
        if not version:
            raise BadRequest("version: is required")
        return _put_subscription(request, subscriptionid, version, body, principal)

    @r.delete(
        f"{subs}/{{subscriptionid}}/{{version}}",
        operation_id="deleteSubscription",
        tags=["Subscriptions", "dss"],
        responses=_errors(404, 409),
        **opts,
    )
    def delete_subscription(
        request: Request, subscriptionid: SubscriptionIdParam, version: str, principal: Subscriber
    ) -> w.DeleteSubscriptionResponse:
        sub = _service(request).delete_subscription(
            principal.sub, parse_uuid4(subscriptionid, "subscriptionid"), version
        )
        return w.DeleteSubscriptionResponse(subscription=convert.subscription(sub))

    # --- reports and availability ----------------------------------------------------

    @r.post(
        "/dss/v1/reports",
        operation_id="makeDssReport",
        tags=["Reports", "dss"],
        status_code=201,
        responses=_errors(),
        **opts,
    )
    def make_dss_report(
        request: Request, body: w.ErrorReport, principal: Reporter
    ) -> w.ErrorReport:
        exchange = body.exchange
        times: dict[str, Any] = {}
        for name in ("request_time", "response_time"):
            parsed = convert.parse_time(getattr(exchange, name), f"exchange.{name}")
            times[name] = convert.format_time(parsed) if parsed is not None else None
        report = body.model_copy(update={"exchange": exchange.model_copy(update=times)})
        report_id = _service(request).make_report(
            principal.sub, report.model_dump(mode="json", exclude_none=True)
        )
        return report.model_copy(update={"report_id": report_id})

    @r.put(
        "/dss/v1/uss_availability/{uss_id}",
        operation_id="setUssAvailability",
        tags=["Availability", "dss"],
        responses=_errors(409),
        **opts,
    )
    def set_uss_availability(
        request: Request,
        uss_id: str,
        body: w.SetUssAvailabilityStatusParameters,
        principal: Arbiter,
    ) -> w.UssAvailabilityStatusResponse:
        status = _service(request).set_availability(
            uss_id, body.old_version or "", body.availability
        )
        return _availability(status)

    @r.get(
        "/dss/v1/uss_availability/{uss_id}",
        operation_id="getUssAvailability",
        tags=["Availability", "dss"],
        responses=_errors(),
        **opts,
    )
    def get_uss_availability(
        request: Request, uss_id: str, principal: AvailabilityReader
    ) -> w.UssAvailabilityStatusResponse:
        return _availability(_service(request).get_availability(uss_id))

    @r.get("/aux/v1/version", operation_id="getVersion", tags=["aux"])
    def get_version() -> w.VersionResponse:
        """Unauthenticated, like the reference DSS's: probes use it to see what runs."""
        return w.VersionResponse(version=f"deconflict-{deconflict.__version__}")

    @r.get(
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
            raise NotAllowed(
                f"owner: the token's subject is {principal.sub!r}, not {owner[:200]!r}"
            )
        return {}

    # PUT/DELETE {base}/{id}/: the OVN (or version) segment is there but empty. The
    # reference DSS routes such a path to its handler with an empty OVN, which answers
    # 400; without these routes it would match nothing. Authentication runs first, as
    # on the real routes.
    hidden: dict[str, Any] = {"include_in_schema": False}

    @r.put(f"{oir}/{{entityid}}/", **hidden)
    def update_intent_without_ovn(entityid: str, principal: OirWriter) -> None:
        raise BadRequest(_missing("ovn", oir))

    @r.delete(f"{oir}/{{entityid}}/", **hidden)
    def delete_intent_without_ovn(entityid: str, principal: OirReader) -> None:
        raise BadRequest(_missing("ovn", oir))

    @r.put(f"{cr}/{{entityid}}/", **hidden)
    def update_constraint_without_ovn(entityid: str, principal: ConstraintWriter) -> None:
        raise BadRequest(_missing("ovn", cr))

    @r.delete(f"{cr}/{{entityid}}/", **hidden)
    def delete_constraint_without_ovn(entityid: str, principal: ConstraintWriter) -> None:
        raise BadRequest(_missing("ovn", cr))

    @r.put(f"{subs}/{{subscriptionid}}/", **hidden)
    def update_subscription_without_version(subscriptionid: str, principal: Subscriber) -> None:
        raise BadRequest(_missing("version", subs))

    @r.delete(f"{subs}/{{subscriptionid}}/", **hidden)
    def delete_subscription_without_version(subscriptionid: str, principal: Subscriber) -> None:
        raise BadRequest(_missing("version", subs))

    @r.api_route("/dss/v1/{path:path}", methods=ALL_METHODS, include_in_schema=False)
    @r.api_route("/aux/v1/{path:path}", methods=ALL_METHODS, include_in_schema=False)
    def unknown_path(request: Request, path: str) -> Response:
        """A path or method the API does not have, said in words: never a redirect."""
        return _no_such_endpoint(request, r.routes)

    return r


def _missing(what: str, base: str) -> str:
    return (
        f"{what}: is required; the path ends with '/' and has no {what} after the id "
        f"(expected {base}/{{id}}/{{{what}}})"
    )


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


def _availability(status: AvailabilityStatus) -> w.UssAvailabilityStatusResponse:
    return w.UssAvailabilityStatusResponse(
        version=status.version,
        status=w.UssAvailabilityStatus(
            uss=status.uss,
            availability=w.UssAvailabilityState(status.availability.value),
        ),
    )
