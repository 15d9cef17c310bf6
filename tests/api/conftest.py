"""The API tests use the shared app and token fixtures of ``tests/conftest.py``."""

from tests.conftest import Headers

__all__ = ["Headers"]
