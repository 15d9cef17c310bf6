"""The F3548-21 DSS API over HTTP: the router (the wire format is ``deconflict.dss.wire``).

Its routes take the app's parts through ``deconflict.api.deps`` (the app's
``Services``); ``testing.make_dss_app`` shows an app wired with a store alone::

    install_auth_error_handlers(app)
    app.include_router(deconflict.api.dss.router)
"""

from deconflict.api.dss.router import router

__all__ = ["router"]
