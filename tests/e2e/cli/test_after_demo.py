"""After ``make demo``, the README's next commands work with no extra flag.

The demo serves from the one default data directory every other command reads (its key
pair, its audit key, its database), so a token minted by ``deconflict token`` is trusted
by the demo's service and ``db check`` / ``audit verify`` find the demo's database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconflict import scenarios
from deconflict.api.app import create_app
from deconflict.cli import scenario as scenario_cli
from deconflict.cli.demo import demo_settings
from deconflict.cli.main import app
from deconflict.client import Client


@pytest.fixture
def fresh_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no data yet and no data directory in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DECONFLICT_DATA_DIR", raising=False)
    monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def demo_service(fresh_checkout: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings(None))) as client:
        yield client


def _token(*scopes: str) -> str:
    args = ["token", "--sub", "alpha"]
    for s in scopes:
        args += ["--scope", s]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_a_token_minted_without_flags_is_trusted_by_the_demos_service(
    demo_service: TestClient,
) -> None:
    token = _token("deconflict.read")
    answer = demo_service.get("/v1/operations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


def test_db_check_without_flags_finds_the_demos_database(demo_service: TestClient) -> None:
    result = CliRunner().invoke(app, ["db", "check"])
    assert result.exit_code == 0, result.output


def test_audit_verify_without_flags_finds_the_demos_database(demo_service: TestClient) -> None:
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_scenario_run_without_flags_mints_tokens_the_demos_service_trusts(
    demo_service: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def in_process(url: str, tokens: Mapping[str, str]) -> dict[str, httpx.Client]:
        return {
            p: TestClient(demo_service.app, headers={"Authorization": f"Bearer {t}"})
            for p, t in tokens.items()
        }

    monkeypatch.setattr(scenario_cli, "clients", in_process)
    result = CliRunner().invoke(app, ["scenario", "run", scenarios.DEFAULT, "--no-live"])
    assert result.exit_code == 0, result.output


def test_the_demo_follows_the_data_dir_of_the_environment(
    fresh_checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(fresh_checkout / "elsewhere"))
    assert demo_settings(None).data_dir == fresh_checkout / "elsewhere"


def test_a_refused_token_names_the_local_key_it_was_signed_with(
    demo_service: TestClient, fresh_checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deconflict.cli import remote

    def through_app(url: str, token: str) -> Client:
        return Client(url, token, transport=demo_service._transport)

    monkeypatch.setattr(remote, "Client", through_app)
    other = CliRunner().invoke(
        app, ["token", "--sub", "alpha", "--scope", "deconflict.read", "--data-dir", "other"]
    )
    result = CliRunner().invoke(app, ["operations", "--token", other.stdout.strip()])
    assert result.exit_code == 2
    assert "401" in result.stderr
    assert str(Path("data") / "auth") in result.stderr
    assert "key id" in result.stderr


@pytest.fixture
def through_demo(demo_service: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """`submit` and `operations` talk to the demo's service in process."""
    from deconflict.cli import remote

    def through_app(url: str, token: str) -> Client:
        return Client(url, token, transport=demo_service._transport)

    monkeypatch.setattr(remote, "Client", through_app)


def _submitted(token: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "-n", "2", "-o", "plan.geojson"]).exit_code == 0
    result = runner.invoke(app, ["submit", "plan.geojson", "--token", token])
    assert result.exit_code == 0, result.output


def test_operations_prints_a_table_by_default(through_demo: None) -> None:
    token = _token("deconflict.plan", "deconflict.read")
    _submitted(token)
    result = CliRunner().invoke(app, ["operations", "--token", token], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert not result.stdout.lstrip().startswith("[")
    rows = [line for line in result.stdout.splitlines() if "op-000001" in line]
    assert rows and "alpha" in rows[0] and "Accepted" in rows[0]


def test_operations_prints_json_on_request(through_demo: None) -> None:
    token = _token("deconflict.plan", "deconflict.read")
    _submitted(token)
    result = CliRunner().invoke(app, ["operations", "--token", token, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sorted(op["id"] for op in json.loads(result.stdout)) == ["op-000001", "op-000002"]


def test_token_names_on_stderr_the_key_it_signed_with(fresh_checkout: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--sub", "alpha", "--scope", "deconflict.read"])
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1  # the token alone, for TOKEN=$(...)
    assert str(Path("data") / "auth" / "signing-key.pem") in result.stderr
    assert "key id" in result.stderr
