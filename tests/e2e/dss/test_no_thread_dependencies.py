"""No F3548 route hands a dependency to a worker thread.

FastAPI runs each synchronous dependency in its thread pool: a hand-off to a worker
thread and back, per dependency and request, for what is an attribute look-up. The
DSS routes' dependencies (the caller's scopes, the app's parts, the service, the heavy
slot) are ``async`` and do no I/O there (a token seen for the first time is verified
in a thread by ``security.authenticate_async`` itself); only the route's own work runs
in a thread. A synchronous dependency added to these routes fails here."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from deconflict.api import deps
from deconflict.api.dss.router import router


def _on_the_loop(call: Any) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    # A security scheme (``HTTPBearer``) is an object with an ``async __call__``.
    return not inspect.isroutine(call) and inspect.iscoroutinefunction(type(call).__call__)


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def test_every_dependency_of_the_dss_routes_runs_on_the_event_loop() -> None:
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    assert any(r.path.endswith("operational_intent_references/{entityid}") for r in routes)
    for route in routes:
        for sub in _dependencies(route.dependant):
            assert _on_the_loop(sub.call), f"{route.path} {route.methods}: {sub.call!r}"


def test_a_getter_has_one_dependency_which_answers_as_the_getter() -> None:
    """``dependency(getter)`` is one object, so FastAPI's per-request cache resolves it
    once and a test's ``dependency_overrides`` entry for it applies everywhere."""
    assert deps.dependency(deps.store) is deps.dependency(deps.store)
    other: object = deps.dependency(deps.settings)
    assert deps.dependency(deps.store) is not other
    assert inspect.iscoroutinefunction(deps.dependency(deps.store))


def test_an_app_resolves_its_parts_through_the_async_dependencies(dss: Any) -> None:
    """The test app overrides the store through ``dependency(deps.store)``: a write
    reaches that store (an override keyed on the plain getter would be ignored, and the
    routes would fail to find the app's ``Services``)."""
    r = dss.alpha.create_intent()
    assert r.status_code == 201, r.text


def test_the_intent_writes_hand_their_work_to_a_thread_once() -> None:
    """A synchronous route costs two hand-offs (the route, then its answer's
    validation); the intent PUTs are ``async`` and send their work to the pool once."""
    puts = [
        r
        for r in router.routes
        if isinstance(r, APIRoute)
        and r.path.startswith("/dss/v1/operational_intent_references/{entityid}")
        and r.methods == {"PUT"}
        and r.include_in_schema
    ]
    assert len(puts) == 2
    for route in puts:
        assert inspect.iscoroutinefunction(route.endpoint), route.path
