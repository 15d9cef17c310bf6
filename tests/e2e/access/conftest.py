"""The app on a real store, tokens for several parties, and agreements set as the
operator would (straight into the store, as ``deconflict parties share`` does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, parse_grants
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, catch_up
from tests.e2e.native.test_native import body as plan

__all__ = ["Headers", "plan"]

Share = Callable[..., None]


@pytest.fixture
def share(store: SqlStore) -> Share:
    def agree(a: str, b: str, *grants: str) -> None:
        agreement = Agreement(a, b, parse_grants(grants))
        store.run(lambda s: save_agreement(s, agreement, by="operator"), write=True)

    return agree


def events(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The party's event log, caught up once (SSE ``data`` lines decoded)."""
    return [e["data"] for e in catch_up(client, headers)]
