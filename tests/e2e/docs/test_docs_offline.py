"""Issue 18: ``/docs`` works with no internet. Swagger UI comes from the installed
package, every address a served page names is the service's own (the console's page
and scripts too), and ReDoc (which only a CDN could serve) is off."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.settings import Settings
from tests.conftest import served
from tests.e2e.console.conftest import CHROMIUM, CHROMIUM_ARGS

LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}
ADDRESS = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


def outside_addresses(html: str) -> list[str]:
    """Every absolute address in ``html`` whose host is not the service's."""
    return [a for a in ADDRESS.findall(html) if urlsplit(a).hostname not in LOCAL_HOSTS]


def test_the_docs_page_names_no_address_outside_the_service(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert outside_addresses(r.text) == []


HTTP_ADDRESS = re.compile(r"""https?://[^\s"'`<>)]+""")
THIRD_PARTY = ("/console/vendor/", "/docs/assets/")
"""Libraries shipped as their packages hold them (Leaflet, topojson-client, Swagger UI):
their text names their projects' sites and XML namespaces, which no page fetches (the
browser tests refuse every outside request)."""


def our_files(client: TestClient, page: str) -> dict[str, str]:
    """``page`` and the scripts and stylesheets of our own it loads, modules imported
    by modules included: path -> text."""
    found = {page: client.get(page).text}
    todo = re.findall(r'(?:src|href)="(/[^"]+)"', found[page])
    while todo:
        path = todo.pop()
        if path in found or path.startswith(THIRD_PARTY):
            continue
        r = client.get(path)
        assert r.status_code == 200, path
        found[path] = r.text
        base = path.rsplit("/", 1)[0]
        todo += [f"{base}/{name}" for name in re.findall(r'from "\./([^"]+)"', r.text)]
    return found


@pytest.mark.parametrize("page", ["/", "/docs"])
def test_no_page_or_script_of_ours_names_an_address_outside_the_service(
    client: TestClient, page: str
) -> None:
    files = our_files(client, page)
    assert len(files) > 1 or page == "/docs", files.keys()
    named = {
        path: [a for a in HTTP_ADDRESS.findall(text) if urlsplit(a).hostname not in LOCAL_HOSTS]
        for path, text in files.items()
    }
    assert {path: found for path, found in named.items() if found} == {}


def test_every_script_and_stylesheet_of_the_docs_page_is_served_here(client: TestClient) -> None:
    html = client.get("/docs").text
    linked = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert linked, html
    for path in linked:
        assert path.startswith("/"), path
        assert client.get(path).status_code == 200, path


def test_only_the_pages_assets_are_served_not_the_whole_package(client: TestClient) -> None:
    # The package also holds a sample initializer that loads a public pet store.
    assert client.get("/docs/assets/swagger-initializer.js").status_code == 404
    assert client.get("/docs/assets/..%2F__init__.py").status_code == 404


def test_redoc_which_would_need_a_cdn_is_not_served(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404


def test_docs_render_the_operations_with_every_outside_request_refused(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    pytest.importorskip("playwright")
    from playwright.sync_api import Route, sync_playwright

    refused: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    app = create_app(Settings(data_dir=tmp_path / "data"))
    with served(app) as port, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", only_local)
            page.goto(f"http://127.0.0.1:{port}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert refused == []
    assert errors == []
    shown = {p.replace("\u200b", "").strip() for p in paths}
    assert {"/v1/operations/{op_id}", "/v1/events", "/v1/stream"} <= shown
