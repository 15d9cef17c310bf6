"""The error hierarchy: every error knows its HTTP status and exit code, and the API
answers with the class's status."""

from __future__ import annotations

import inspect

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict import errors
from deconflict.api.problems import install_error_handlers
from deconflict.cli.failure import exit_code
from deconflict.errors import (
    DeconflictError,
    InternalError,
    InvalidInput,
    NotFound,
    StaleVersion,
    StoreUnavailable,
    UserError,
)

ALL = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, DeconflictError)
]


def _subclasses(cls: type[DeconflictError]) -> set[type[DeconflictError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_error_class_lives_in_the_errors_module() -> None:
    outside = {c for c in _subclasses(DeconflictError) if c.__module__ != errors.__name__}
    assert outside == set()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_error_has_an_http_status_and_an_exit_code(cls: type[DeconflictError]) -> None:
    assert 400 <= cls.http_status < 600
    assert cls.exit_code in (1, 2, 3)


@pytest.mark.parametrize(
    "cls",
    sorted(_subclasses(UserError) | {UserError}, key=lambda c: c.__name__),
    ids=lambda c: c.__name__,
)
def test_a_users_mistake_is_a_4xx_and_exit_2(cls: type[DeconflictError]) -> None:
    assert 400 <= cls.http_status < 500 and cls.exit_code == 2


@pytest.mark.parametrize(
    "cls", [DeconflictError, InternalError, StoreUnavailable], ids=lambda c: c.__name__
)
def test_our_own_failure_is_a_5xx_and_exit_3(cls: type[DeconflictError]) -> None:
    assert cls.http_status >= 500 and cls.exit_code == 3


def test_a_4xx_is_always_exit_2() -> None:
    assert {c.exit_code for c in ALL if c.http_status < 500} == {2}


def test_a_database_drivers_error_exits_3_like_a_store_failure() -> None:
    from sqlalchemy.exc import OperationalError

    assert exit_code(OperationalError("SELECT 1", {}, Exception("gone"))) == 3


def test_the_cli_exits_with_the_error_classes_code() -> None:
    assert exit_code(InvalidInput("x", "is wrong")) == 2
    assert exit_code(InternalError("a bug")) == 3


def _app_raising(exc: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise")
    def raise_it() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "exc", [InvalidInput("a.b", "is wrong"), NotFound("no such thing"), StaleVersion("old")]
)
def test_the_api_answers_a_users_mistake_with_its_class_status(exc: DeconflictError) -> None:
    r = _app_raising(exc).get("/raise")
    assert r.status_code == type(exc).http_status
    assert r.json() == {"message": str(exc)}


def test_the_api_answers_an_unclassified_error_as_ours_with_an_error_id() -> None:
    r = _app_raising(DeconflictError("something of ours")).get("/raise")
    assert r.status_code == 500
    assert r.json()["error_id"]
