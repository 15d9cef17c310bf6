"""Party grants over HTTP: the operator sets them, a party reads its own; and the check
every native submission passes (``within_grant``).

The CLI (``deconflict parties grant``) writes the same rows; this route lets an operator
who runs no shell on the server, and the bundled scenarios, do the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.access.grants import OFF_NOMINAL, PartyGrant, within_defaults
from deconflict.api import deps
from deconflict.api.deps import Store
from deconflict.api.problems import error_responses
from deconflict.api.security import require_scopes
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.errors import Forbidden, InvalidInput
from deconflict.model.numbers import INT64_MAX, INT64_MIN
from deconflict.model.operation import OperationState
from deconflict.store.sharing import change_grant, grant_json, grant_of

Operator = Annotated[Principal, Depends(require_scopes(Scope.ADMIN))]
Anyone = Annotated[
    Principal,
    Depends(require_scopes(Scope.READ, Scope.PLAN, Scope.TRACK, Scope.ADMIN)),
]

router = APIRouter(
    prefix="/v1",
    tags=["parties"],
    responses=error_responses(e403="Not the operator, or another party's grant."),
)

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX, strict=True)]


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority_min: Int64 = 0
    priority_max: Int64 = 0
    off_nominal: bool = Field(
        default=False, description="May declare Nonconforming or Contingent itself."
    )


class GrantOut(GrantIn):
    party: str


@router.get("/parties/{party}/grant", response_model=GrantOut)
def get_grant(party: str, store: Store, principal: Anyone) -> Response:
    """A party's priority range and off-nominal grant: its own, or any to the operator."""
    if party != principal.sub and Scope.ADMIN not in principal.scopes:
        raise Forbidden(f"only the operator reads another party's grant ({Scope.ADMIN.value})")
    grant = store.run(lambda s: grant_of(s, party), write=False)
    return Response(orjson.dumps(grant_json(grant)), media_type="application/json")


@router.put("/parties/{party}/grant", response_model=GrantOut)
def put_grant(party: str, body: GrantIn, store: Store, principal: Operator) -> Response:
    """Set a party's grant (the operator only); recorded in the party's audit trail."""
    grant = PartyGrant(party, body.priority_min, body.priority_max, body.off_nominal)
    store.run(lambda s: change_grant(s, grant, principal.sub), write=True)
    return Response(orjson.dumps(grant_json(grant)), media_type="application/json")


def grant_refusals(
    request: Request, party: str, wanted: Iterable[tuple[int, OperationState]]
) -> list[InvalidInput | None]:
    """For each ``(priority, state)``, why it is beyond ``party``'s grant (or ``None``).

    The grant is read only when something asks for more than the defaults, so a plain
    submission costs no extra read; it is read in its own short transaction, so a grant
    revoked while a submission is in flight may still admit that one submission.
    """
    items = list(wanted)
    if all(within_defaults(p, s) for p, s in items):
        return [None] * len(items)
    grant = deps.store(request).run(lambda s: grant_of(s, party), write=False)
    return [grant.refusal(p, s) for p, s in items]


def within_grant(request: Request, party: str, priority: int, state: OperationState) -> None:
    """Raise 403 naming the field and the grant when a submission asks for more."""
    (refusal,) = grant_refusals(request, party, [(priority, state)])
    if refusal is not None:
        raise Forbidden(str(refusal))


def may_declare(request: Request, party: str, state: OperationState) -> None:
    """Raise 403 when ``party`` may not put its operation into ``state`` itself (a state
    change is judged on the state alone: the priority was judged when it was planned)."""
    if state not in OFF_NOMINAL:
        return
    refusal = (
        deps.store(request).run(lambda s: grant_of(s, party), write=False).state_refusal(state)
    )
    if refusal is not None:
        raise Forbidden(str(refusal))
