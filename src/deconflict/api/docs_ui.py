"""``/docs``: Swagger UI served from the installed package, with no CDN.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so on a machine without
internet access (most deployments of this service) it drew a blank page. The assets
come from the PyPI package ``swagger-ui-bundle-v2`` (module ``swagger_ui_bundle``), a
dependency of ours, so ``pip install deconflict`` brings them with no npm step.

Only the files the page needs are served, by name from ``ASSETS`` (the package also
carries a sample initializer pointing at a public pet store, which no page of ours may
load). Swagger UI's validator badge, which calls out to a public validator, is turned
off. ReDoc, FastAPI's second page, is disabled rather than served from a CDN: no PyPI
package we trust ships its bundle, and one interactive page is enough.

Wiring (in the app factory): ``FastAPI(docs_url=None, redoc_url=None)`` then
``install_docs(app)``, which also has the document name the WebSocket routes and the
event stream's items (``api/openapi_doc.py``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from deconflict.api.events import STREAM_DOC, STREAMED_MODELS
from deconflict.api.openapi_doc import install_openapi
from deconflict.api.tactical import TRACKS_STREAM_DOC

DOCS_URL = "/docs"
ASSETS_URL = f"{DOCS_URL}/assets"

ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
"""The Swagger UI files the page loads, with their media types; nothing else is served."""

UI_PARAMETERS = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    # The badge fetches a public validator with the document's URL: off, offline or not.
    "validatorUrl": None,
    "persistAuthorization": False,
}


def asset_dir() -> Path:
    """Where the installed Swagger UI files are."""
    return Path(str(swagger_ui_path))


def docs_page(title: str, openapi_url: str) -> HTMLResponse:
    """The Swagger UI page, every URL in it on this service."""
    return get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        swagger_ui_parameters=UI_PARAMETERS,
    )


def install_docs(app: FastAPI) -> None:
    """Add ``/docs`` and its assets to ``app`` (built with ``docs_url=None``), and the
    WebSocket routes and streamed items to its OpenAPI document."""
    install_openapi(app, [STREAM_DOC, TRACKS_STREAM_DOC], STREAMED_MODELS)
    openapi_url = app.openapi_url or "/openapi.json"
    files = asset_dir()

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return docs_page(app.title, openapi_url)

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False, response_model=None)
    def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        path = files / name
        if media_type is None or not path.is_file():
            return PlainTextResponse(f"no docs asset {name!r}", status_code=404)
        # The files change only with the package: a day's caching spares a reload.
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )
