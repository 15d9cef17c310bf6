"""Write requests get one deadline for all their database work; reads (streams) do not."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from deconflict.api.budget import RequestBudget
from deconflict.store.sql import REQUEST_DEADLINE


def seen(_request: Request) -> PlainTextResponse:
    """A sync endpoint, as most routes are: it runs on a worker thread."""
    return PlainTextResponse("none" if REQUEST_DEADLINE.get() is None else "set")


def client() -> TestClient:
    app: Any = Starlette(routes=[Route("/x", seen, methods=["GET", "POST", "PUT", "DELETE"])])
    return TestClient(RequestBudget(app, seconds=5.0))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_write_request_runs_within_a_deadline(method: str) -> None:
    assert client().request(method, "/x").text == "set"


def test_a_read_request_keeps_the_per_transaction_deadline_only() -> None:
    assert client().get("/x").text == "none"
