"""The F3548-21 DSS API over HTTP: the router (the wire format is ``deconflict.dss.wire``).

Wiring into an app (see ``router`` for what its dependencies read from ``app.state``)::

    app.state.store = store                      # deconflict.store.sql.SqlStore
    app.state.token_verifier = verifier          # deconflict.auth.verify.TokenVerifier
    install_auth_error_handlers(app)
    app.include_router(deconflict.api.dss.router)
"""

from deconflict.api.dss.router import router

__all__ = ["router"]
