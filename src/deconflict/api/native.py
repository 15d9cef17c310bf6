"""The native party API under ``/v1``: plan, check, list, change state, remove.

The service plans for parties that run no USS of their own, with the exact 4D test of
the core. The party is always the token's ``sub``; a party sees its own operations in
full and everyone else's as references.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from deconflict.access.policy import NO_AGREEMENTS, DisclosurePolicy
from deconflict.api import deps, disclosure, receipts
from deconflict.api.disclosure import policy_for
from deconflict.api.limits import Slot
from deconflict.api.listing import Listed, list_secret, viewer_order
from deconflict.api.native_schema import (
    BatchOut,
    DecisionOut,
    DeletedOut,
    FeatureCollectionOut,
    OperationListOut,
    OperationOut,
    ProblemOut,
    ReferenceOut,
    TransitionOut,
    body,
)
from deconflict.api.params import if_match_version, query_area, query_window
from deconflict.api.parties import grant_refusals, may_declare, within_grant
from deconflict.api.problems import error_responses, transition_json
from deconflict.api.security import require_scopes
from deconflict.api.wire import (
    BatchIn,
    CheckIn,
    OperationIn,
    StateIn,
    decision_json,
    operation_view_json,
)
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.core.engine import ChangeKind, Decision, StrategicEngine
from deconflict.core.limits import check_cells, check_count, check_operations, check_query_area
from deconflict.core.ports import OperationQuery, StoredOperation
from deconflict.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    NotOwner,
    TooLarge,
    TransitionRefused,
)
from deconflict.io.plan import operation_features
from deconflict.model.ids import check_id
from deconflict.model.operation import Operation
from deconflict.store.audit import append_audit

GEOJSON = "application/geo+json"

Planner = Annotated[Principal, Depends(require_scopes(Scope.PLAN))]
Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN))]


ERRORS = error_responses(
    e403="Missing scope, or another party's operation.",
    e404="No such operation.",
    e409="Stale version (If-Match).",
)

router = APIRouter(prefix="/v1", tags=["native"], responses=ERRORS)


def _load(request: Request, op_id: str) -> StoredOperation | None:
    return deps.store(request).run(lambda s: s.get(op_id), write=False)


def _owned(request: Request, op_id: str, principal: Principal) -> StoredOperation:
    current = _load(request, op_id)
    if current is None:
        raise NotFound(f"no operation {op_id!r}")
    if current.operation.party != principal.sub:
        raise Forbidden(f"operation {op_id!r} belongs to another party")
    return current


def _policy(
    request: Request, principal: Principal, decisions: list[Decision], via: str
) -> DisclosurePolicy:
    """The policy for answering with ``decisions``, whose conflict reports show where
    and when other parties' operations are: recorded before the answer is sent."""
    store = deps.store(request)
    if not any(c.b.party != principal.sub for d in decisions for c in d.conflicts):
        # Nothing of another party's to show: no agreement can change the answer, so
        # a plain submission costs no second transaction.
        return NO_AGREEMENTS
    # Each answer showing where another's operation is spends the party's budget.
    reporting = sum(1 for d in decisions if any(c.b.party != principal.sub for c in d.conflicts))
    deps.probe_budget(request).spend(principal.sub, reporting)

    def work(session: Any) -> DisclosurePolicy:
        policy = policy_for(session, principal)
        append_audit(session, disclosure.shown_conflicts(principal.sub, decisions, policy, via))
        return policy

    return store.run(work, write=True)


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


REFUSED = body(
    DecisionOut | TransitionOut | ProblemOut,
    "Refused: blocked by conflicts (the decision), a transition the state table refuses "
    "(message, state, requested, allowed), or a stale version (If-Match; message).",
)


@router.put(
    "/operations/{op_id}",
    responses={
        200: body(DecisionOut, "Replaced: the decision, with the operation as stored."),
        201: body(DecisionOut, "Created: the decision, with the operation as stored."),
        409: REFUSED,
    },
)
def put_operation(
    op_id: str,
    body: OperationIn,
    request: Request,
    principal: Planner,
    slot: Slot,
    if_match: Annotated[
        str | None, Header(description="Expected version; 0 = must not exist.")
    ] = None,
) -> Response:
    """Plan (create or replace) an operation: 201/200 with it, or 409 with the conflicts."""
    check_id(op_id)
    planned = body.to_domain(op_id, principal.sub)
    within_grant(request, principal.sub, planned.priority, planned.state)
    expected = if_match_version(if_match)
    slot.need(check_operations([planned], deps.limits(request), datetime.now(UTC)))
    deps.probe_budget(request).check(principal.sub)
    decision = deps.engine(request).submit(planned, expected)
    policy = _policy(request, principal, [decision], "put")
    if not decision.accepted:
        return _json(409, decision_json(decision, principal.sub, policy, _cell_level(request)))
    assert decision.stored is not None
    response = _json(
        201 if decision.stored.version == 1 else 200,
        decision_json(decision, principal.sub, policy, _cell_level(request)),
    )
    return receipts.attach(request, response, principal.sub, [receipts.change_entry(decision)])


@router.post(
    "/operations:check",
    responses={200: body(DecisionOut, "The decision a submission would get now.")},
)
def check_operation(body: CheckIn, request: Request, principal: Planner, slot: Slot) -> Response:
    """The decision a submission would get now; nothing is written."""
    check_id(body.id)
    planned = body.to_domain(body.id, principal.sub)
    within_grant(request, principal.sub, planned.priority, planned.state)
    slot.need(check_operations([planned], deps.limits(request), datetime.now(UTC)))
    deps.probe_budget(request).check(principal.sub)
    current = _load(request, body.id)
    if current is not None and current.operation.party != principal.sub:
        # Refused as a PUT would be: the dry run ignores the operation with its id, so
        # under another party's id the vanished conflict would name that operation.
        raise Forbidden(f"operation {body.id!r} belongs to another party")
    decision = deps.engine(request).check(planned)
    policy = _policy(request, principal, [decision], "check")
    return _json(200, decision_json(decision, principal.sub, policy, _cell_level(request)))


@router.post(
    "/operations:batch",
    status_code=207,
    responses={207: body(BatchOut, "One result per item, in order.")},
)
def batch(body: BatchIn, request: Request, principal: Planner, slot: Slot) -> Response:
    """Plan many operations in order, each in its own transaction; one result per item."""
    results: list[dict[str, Any]] = []
    engine = deps.engine(request)
    decided: list[tuple[str, int, Decision]] = []
    wanted = [(item.priority, item.state) for item in body.operations]
    refusals = grant_refusals(request, principal.sub, wanted)
    planned, cost = _priced(body, request, principal.sub)
    slot.need(cost)
    deps.probe_budget(request).check(principal.sub)
    _batch_items(body, refusals, planned, engine, results, decided)
    policy = _policy(request, principal, [d for _, _, d in decided], "batch")
    for _, at, decision in decided:
        results[at].update(decision_json(decision, principal.sub, policy, _cell_level(request)))
    # A batch's receipt names every accepted item: in the body, since a header of
    # hundreds of entries passes what HTTP clients and proxies accept (httpx stops at
    # 100 KiB of headers, many proxies at 8 KiB).
    answer: dict[str, Any] = {"results": results}
    written = [receipts.change_entry(d) for _, _, d in decided]
    receipt = receipts.signed(request, principal.sub, written)
    if receipt is not None:
        answer["receipt"] = receipt
    return _json(207, answer)


def _priced(
    body: BatchIn, request: Request, party: str
) -> tuple[list[Operation | InvalidInput], int]:
    """Every item as an operation (or the error that refuses it alone) and the batch's
    estimated cells, all before any item is planned: a batch over a limit is refused
    whole (413) rather than half-planned."""
    limits, now = deps.limits(request), datetime.now(UTC)
    check_count(sum(len(item.volumes) for item in body.operations), "operations", limits)
    planned: list[Operation | InvalidInput] = []
    total = 0
    for k, item in enumerate(body.operations):
        try:
            op = item.to_domain(item.id, party)
            total += check_operations([op], limits, now, [f"operations[{k}].volumes"])
            planned.append(op)
        except TooLarge:
            raise
        except InvalidInput as exc:
            planned.append(exc)
    check_cells(total, limits)
    return planned, total


def _batch_items(
    body: BatchIn,
    refusals: list[Any],
    planned: list[Operation | InvalidInput],
    engine: StrategicEngine,
    results: list[dict[str, Any]],
    decided: list[tuple[str, int, Decision]],
) -> None:
    for item, refusal, op in zip(body.operations, refusals, planned, strict=True):
        if refusal is not None:
            results.append({"id": item.id, "status": 403, "message": str(refusal)})
            continue
        try:
            check_id(item.id)
            if isinstance(op, InvalidInput):
                raise op
            decision = engine.submit(op)
        except (InvalidInput, NotOwner) as exc:
            results.append({"id": item.id, "status": exc.http_status, "message": str(exc)})
            continue
        except TransitionRefused as exc:
            results.append({"id": item.id, "status": exc.http_status, **transition_json(exc)})
            continue
        status = 409
        if decision.stored is not None:
            status = 201 if decision.stored.version == 1 else 200
        results.append({"id": item.id, "status": status})
        decided.append((item.id, len(results) - 1, decision))


@router.get(
    "/operations",
    responses={
        200: {
            **body(OperationListOut, "Your operations in full, others' as references."),
            "content": {
                GEOJSON: {"schema": FeatureCollectionOut.model_json_schema()},
            },
        }
    },
)
def list_operations(
    request: Request,
    principal: Reader,
    bbox: Annotated[
        str | None,
        Query(
            description="west,south,east,north in degrees (great-circle edges); west greater "
            "than east crosses the antimeridian."
        ),
    ] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    party: Annotated[str | None, Query(description="A party, or 'me'.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Own operations in full, others' as references; GeoJSON on request (Accept)."""
    who = principal.sub if party == "me" else party
    window = query_window(start, end)
    area = query_area(bbox, window)
    if area is not None:
        check_query_area(area.footprint, "bbox", deps.limits(request))
    q = OperationQuery(party=who, area=area, time=window, limit=limit)
    found, policy = deps.store(request).run(
        lambda s: (list(s.query(q)), policy_for(s, principal)), write=False
    )
    if area is not None and window is not None:
        found = [s for s in found if s.operation.time_extent.overlap(window) is not None]
    if accept and GEOJSON in accept:
        features = [
            f
            for s in found
            if s.operation.party == principal.sub
            for f in operation_features(s.operation)
        ]
        return Response(
            orjson.dumps({"type": "FeatureCollection", "features": features}), media_type=GEOJSON
        )
    views = {s.operation.id: (s, policy.operation(principal.sub, s.operation)) for s in found}
    listed = [
        Listed(s.operation.time_extent.start, operation_view_json(s, v), op_id)
        for op_id, (s, v) in views.items()
    ]
    ordered = viewer_order(listed, principal.sub, list_secret(request), limit)
    shown = [(views[item.hidden_id][0].operation, views[item.hidden_id][1]) for item in ordered]
    disclosure.record(deps.store(request), disclosure.shown_views(principal.sub, shown, "list"))
    return _json(200, {"operations": [item.shown for item in ordered]})


@router.get(
    "/operations/{op_id}",
    responses={200: body(OperationOut | ReferenceOut, "Yours in full, or a reference.")},
)
def get_operation(op_id: str, request: Request, principal: Reader) -> Response:
    """Own operation in full; another party's as a reference, and only to a party that
    may know its id (otherwise 404, so that guessing ids reveals nothing)."""
    found, policy = deps.store(request).run(
        lambda s: (s.get(op_id), policy_for(s, principal)), write=False
    )
    view = None if found is None else policy.operation(principal.sub, found.operation)
    if found is None or view is None or not view.operation_id:
        raise NotFound(f"no operation {op_id!r}")
    shown = [(found.operation, view)]
    disclosure.record(deps.store(request), disclosure.shown_views(principal.sub, shown, "get"))
    return _json(200, operation_view_json(found, view))


@router.post(
    "/operations/{op_id}/state",
    responses={
        200: body(DecisionOut, "Changed: the decision, with the operation as stored."),
        409: body(
            DecisionOut | TransitionOut,
            "Blocked by conflicts (returning to nominal is checked again), or a transition "
            "the state table refuses (message, state, requested, allowed).",
        ),
    },
)
def set_state(op_id: str, body: StateIn, request: Request, principal: Planner) -> Response:
    """Activate, end, or report an operation off-nominal; returning to nominal re-checks.

    Only the transitions of ``model.transitions.ALLOWED`` are made: Ended is terminal,
    Contingent only ends; anything else is a 409 naming the allowed states.
    """
    _owned(request, op_id, principal)
    may_declare(request, principal.sub, body.state)
    deps.probe_budget(request).check(principal.sub)
    decision = deps.engine(request).set_state(op_id, body.state)
    policy = _policy(request, principal, [decision], "state")
    response = _json(
        200 if decision.accepted else 409,
        decision_json(decision, principal.sub, policy, _cell_level(request)),
    )
    written = receipts.change_entry(decision, ChangeKind.STATE_CHANGED)
    return receipts.attach(request, response, principal.sub, [written])


@router.delete("/operations/{op_id}", responses={200: body(DeletedOut, "Deleted.")})
def delete_operation(op_id: str, request: Request, principal: Planner) -> Response:
    current = _owned(request, op_id, principal)
    deleted = deps.engine(request).delete(op_id)
    response = JSONResponse({"id": op_id, "deleted": True})
    gone = receipts.deletion_entry(current.operation) if deleted else None
    return receipts.attach(request, response, principal.sub, [gone])


def _cell_level(request: Request) -> int:
    """How finely conflict reports show where others' operations are (docs/disclosure.md)."""
    return deps.limits(request).report_cell_level
