"""What FastAPI cannot put into the OpenAPI document by itself: WebSocket routes and
the shapes of streamed items.

OpenAPI describes request and response pairs. A WebSocket is neither, and FastAPI
leaves its routes out; a client author then never learns ``/v1/stream`` exists. Each
WebSocket is therefore described as the HTTP request that opens it (a ``GET`` with
``Upgrade: websocket``, answered ``101``), its messages as named schemas
(``x-websocket-messages``) and in prose. An event stream's items are named the same way,
under OpenAPI 3.2's ``itemSchema`` beside the ``text/event-stream`` body, which 3.1
tools ignore and 3.2 tools read.

The routers declare what they serve (``WebSocketDoc``, ``STREAMED_MODELS``); this module
only merges it into the document FastAPI built, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

COMPONENT_REF = "#/components/schemas/{model}"


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """``{"$ref": ...}`` to ``model``'s schema among the document's components."""
    return {"$ref": COMPONENT_REF.format(model=model.__name__)}


@dataclass(frozen=True)
class WebSocketDoc:
    """A WebSocket route as the document shows it: the opening request and the
    messages each way."""

    path: str
    summary: str
    description: str
    tag: str
    sends: type[BaseModel]
    """What the service sends, one JSON text message each."""
    receives: type[BaseModel] | None = None
    """What the client sends, one JSON text message each (None: nothing meaningful)."""
    query: Sequence[tuple[str, str, dict[str, Any]]] = field(default_factory=tuple)
    """Query parameters: name, description, schema."""


TOKEN_QUERY = (
    "access_token",
    "The bearer token, for browsers, which cannot set headers on a WebSocket; others "
    "send `Authorization: Bearer <token>`.",
    {"type": "string"},
)


def _operation(ws: WebSocketDoc) -> dict[str, Any]:
    messages: dict[str, Any] = {"sends": schema_ref(ws.sends)}
    if ws.receives is not None:
        messages["receives"] = schema_ref(ws.receives)
    return {
        "tags": [ws.tag],
        "summary": ws.summary,
        "description": ws.description,
        "operationId": "websocket_" + ws.path.strip("/").replace("/", "_"),
        "parameters": [
            {"name": name, "in": "query", "required": False, "description": text, "schema": s}
            for name, text, s in (*ws.query, TOKEN_QUERY)
        ],
        "responses": {
            "101": {"description": "Switching Protocols: the WebSocket is open."},
            "403": {
                "description": "Handshake refused (missing, bad or expired token, or a "
                "scope it lacks); once open, the socket closes with code 1008."
            },
        },
        "x-websocket-messages": messages,
    }


def _add_components(doc: dict[str, Any], models: Sequence[type[BaseModel]]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template=COMPONENT_REF)
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas.setdefault(model.__name__, schema)


def install_openapi(
    app: FastAPI, websockets: Sequence[WebSocketDoc], models: Sequence[type[BaseModel]]
) -> None:
    """Have ``app.openapi()`` add ``websockets`` and the schemas of ``models`` (the items
    of streams, which no route's response names) to the document FastAPI builds."""
    built = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = built()
        every = [*models, *(ws.sends for ws in websockets)]
        every += [ws.receives for ws in websockets if ws.receives is not None]
        _add_components(doc, every)
        paths = doc.setdefault("paths", {})
        for ws in websockets:
            paths.setdefault(ws.path, {})["get"] = _operation(ws)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
