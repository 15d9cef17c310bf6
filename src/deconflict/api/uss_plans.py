"""``GET /v1/console/uss_plans``: the USS plans near the caller's operations now.

The console draws them as a layer of their own. They are told only on the party's
event stream (``notify.uss_plans``), so this folds the caller's own event log: per USS
intent or constraint and operation, the newest ``uss_intent.changed`` /
``uss_constraint.changed`` body not followed by a ``.deleted``. It shows the caller
nothing its stream has not already told it, so it records no disclosure. The stream
then keeps the layer current: each such event makes the console read this again.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Response

from deconflict.api import deps
from deconflict.api.native import ERRORS
from deconflict.api.native_schema import UssPlanListOut, body
from deconflict.api.security import require_scopes
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.store.uss_plans import standing

Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN))]

router = APIRouter(tags=["console"], responses=ERRORS)


@router.get(
    "/v1/console/uss_plans",
    responses={200: body(UssPlanListOut, "The USS plans told and not since withdrawn.")},
)
def uss_plans(principal: Reader, store: deps.Store) -> Response:
    """Each: ``kind`` (``uss_intent`` or ``uss_constraint``), the F3548 id, ``manager``,
    ``operation_id`` (the caller's operation it meets), ``state``, ``priority``,
    ``verdict``/``reason``, times and ``overlaps`` with GeoJSON geometry, as the event
    told them."""
    plans = store.run(lambda s: standing(s.conn, principal.sub), write=False)
    return Response(orjson.dumps({"uss_plans": plans}), media_type="application/json")
