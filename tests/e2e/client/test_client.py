"""The Python client and the CLI against a real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from deconflict.api.app import create_app
from deconflict.cli.main import app as cli
from deconflict.client import Client
from deconflict.errors import ApiError
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, served
from tests.e2e.native.test_native import body


@pytest.fixture
def server(settings: Settings, store: SqlStore) -> Iterator[str]:
    with served(create_app(settings, store)) as port:
        yield f"http://127.0.0.1:{port}"


def token(auth: Headers, sub: str) -> str:
    return auth(sub)["Authorization"].removeprefix("Bearer ")


def test_two_parties_plan_against_each_other_through_the_client(server: str, auth: Headers) -> None:
    admin = auth("operator", "deconflict.admin")
    granted = httpx.put(f"{server}/v1/parties/beta/grant", json={"priority_max": 3}, headers=admin)
    assert granted.status_code == 200, granted.text
    with Client(server, token(auth, "alpha")) as alpha, Client(server, token(auth, "beta")) as beta:
        assert alpha.put_operation("a1", body()["volumes"]).accepted
        refused = beta.put_operation("b1", body()["volumes"])
        assert (refused.status, refused.accepted) == (409, False)
        assert refused.conflicts[0]["other_party"] == "alpha"
        assert beta.put_operation("b1", body()["volumes"], priority=3).accepted
        assert {(o["party"], o.get("id")) for o in beta.list_operations()} == {
            ("alpha", None),
            ("beta", "b1"),
        }


def test_client_errors_carry_the_servers_message(server: str, auth: Headers) -> None:
    with Client(server, token(auth, "alpha")) as alpha, pytest.raises(ApiError) as err:
        alpha.get_operation("nope")
    assert err.value.status == 404 and "nope" in err.value.message


def test_cli_submit_plans_a_file_and_reports_rejections(
    server: str, auth: Headers, tmp_path: Path
) -> None:
    from tests.cli.test_check import feature, write

    plan = write(tmp_path, feature("p1", "ignored", 0, 0), feature("p2", "ignored", 0, 0))
    result = CliRunner().invoke(
        cli, ["submit", str(plan), "--url", server, "--token", token(auth, "alpha")]
    )
    assert result.exit_code == 1
    assert "accepted" in result.stdout and "409" in result.stdout
    alpha = token(auth, "alpha")
    listed = CliRunner().invoke(
        cli, ["operations", "--url", server, "--token", alpha, "--mine", "--format", "json"]
    )
    assert [o["id"] for o in json.loads(listed.stdout)] == ["p1"]
