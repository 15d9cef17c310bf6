"""The API fixtures of ``tests/api`` (a real app on a real store, minted tokens)."""

from tests.api.conftest import auth, client, settings

__all__ = ["auth", "client", "settings"]
