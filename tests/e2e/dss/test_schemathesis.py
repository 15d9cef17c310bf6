"""The DSS app against its own OpenAPI document: no 5xx, no response outside the schema.

The app runs on a throw-away SQLite store created at import (schemathesis parametrizes
tests from the schema at collection time, before fixtures exist). Examples are kept low
so that the whole file stays well under two minutes on two cores.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from deconflict.api.dss.testing import ISSUER, make_dss_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.store.sql import open_store
from tests.e2e.dss.conftest import ALL

_DIR = Path(tempfile.mkdtemp(prefix="dss-schemathesis-"))
APP = make_dss_app(open_store(f"sqlite:///{_DIR / 'dss.db'}"), _DIR)
KEY = load_or_create_signing_key(_DIR)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def _headers() -> dict[str, str]:
    token = mint_token(KEY, sub="uss-fuzz", scopes=ALL, audience="localhost", issuer=ISSUER)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_dss_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=_headers(),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
