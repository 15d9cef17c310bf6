"""A Python client for the native ``/v1`` API, on httpx.

    with Client("http://127.0.0.1:8080", token) as c:
        result = c.put_operation("op-1", volumes=[...])
        if not result.accepted:
            print(result.conflicts)

Every call returns parsed JSON; HTTP errors other than the planned outcomes (409 with a
conflict report, 207 for batches) raise ``ApiError`` carrying the server's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from deconflict.errors import ApiError


@dataclass(frozen=True)
class PlanResult:
    status: int
    accepted: bool
    conflicts: list[dict[str, Any]]
    operation: dict[str, Any] | None


class Client:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 30.0, transport: Any = None
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def put_operation(
        self,
        op_id: str,
        volumes: list[dict[str, Any]],
        priority: int = 0,
        state: str = "Accepted",
        details: dict[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> PlanResult:
        headers = {"If-Match": str(expected_version)} if expected_version is not None else {}
        body = {"volumes": volumes, "priority": priority, "state": state, "details": details or {}}
        r = self._http.put(f"/v1/operations/{op_id}", json=body, headers=headers)
        return _plan_result(r)

    def check(
        self, volumes: list[dict[str, Any]], priority: int = 0, op_id: str = "dry-run"
    ) -> PlanResult:
        r = self._http.post(
            "/v1/operations:check", json={"id": op_id, "volumes": volumes, "priority": priority}
        )
        return _plan_result(r)

    def batch(self, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        r = self._http.post("/v1/operations:batch", json={"operations": operations})
        results: list[dict[str, Any]] = _ok(r, 207)["results"]
        return results

    def list_operations(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None}
        items: list[dict[str, Any]] = _ok(self._http.get("/v1/operations", params=params))[
            "operations"
        ]
        return items

    def get_operation(self, op_id: str) -> dict[str, Any]:
        return _ok(self._http.get(f"/v1/operations/{op_id}"))

    def set_state(self, op_id: str, state: str) -> PlanResult:
        return _plan_result(self._http.post(f"/v1/operations/{op_id}/state", json={"state": state}))

    def delete_operation(self, op_id: str) -> None:
        _ok(self._http.delete(f"/v1/operations/{op_id}"))


def _ok(r: httpx.Response, *expected: int) -> dict[str, Any]:
    if r.status_code not in (expected or (200, 201)):
        raise ApiError(r.status_code, _message(r))
    data: dict[str, Any] = r.json()
    return data


def _plan_result(r: httpx.Response) -> PlanResult:
    data = _ok(r, 200, 201, 409)
    if "accepted" not in data:
        raise ApiError(r.status_code, _message(r))
    return PlanResult(r.status_code, data["accepted"], data["conflicts"], data.get("operation"))


def _message(r: httpx.Response) -> str:
    try:
        return str(r.json().get("message", r.text))
    except ValueError:
        return r.text
