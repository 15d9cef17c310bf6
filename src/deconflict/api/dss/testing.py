"""A minimal app around the DSS router, for tests and local experiments.

It has what the real app will have around the router (a token verifier trusting the
service's own key, ``{"message"}`` auth errors, a 4 MiB request-body limit) and nothing
else, so DSS tests do not depend on the rest of the server: the router's dependencies
are overridden with the store alone (no notifier, default limits) instead of a whole
``Services``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from deconflict.api import deps
from deconflict.api.dss.router import dss_service, router
from deconflict.api.limits import BodyLimit, install_limits
from deconflict.api.security import install_auth_error_handlers
from deconflict.auth.issuers import own_issuer
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.trust import DEFAULT_ISSUER
from deconflict.auth.verify import TokenVerifier
from deconflict.dss.service import DssService
from deconflict.service.admission import PartyGate
from deconflict.settings import LimitsSettings
from deconflict.store.dss import DssStore
from deconflict.store.sql import SqlStore

ISSUER = DEFAULT_ISSUER
"""The ``iss`` the test app trusts the key in ``data_dir`` for (the service's own)."""


def make_dss_app(store: SqlStore, data_dir: Path) -> FastAPI:
    """The DSS router on ``store``, trusting the signing key kept in ``data_dir`` as the
    service's own issuer (``ISSUER``)."""
    app = FastAPI(title="deconflict DSS (test app)", redirect_slashes=False)
    app.dependency_overrides[deps.dependency(deps.store)] = lambda: store
    app.dependency_overrides[dss_service] = lambda: DssService(DssStore(store))
    key = load_or_create_signing_key(data_dir)
    app.state.token_verifier = TokenVerifier(issuers=[own_issuer(ISSUER, key.public_key())])
    install_auth_error_handlers(app)
    gate = PartyGate(LimitsSettings())
    app.dependency_overrides[deps.dependency(deps.party_gate)] = lambda: gate
    install_limits(app)
    app.include_router(router)
    app.add_middleware(BodyLimit)
    return app
