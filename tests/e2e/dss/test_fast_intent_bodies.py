"""Intent PUTs answer the same through HTTP with the fast body lane (``dss.wire.fast``)
as without it: the same status and message for every broken body, the same intent for
a good one, and the same answers when the lane's readings meet the key check."""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from deconflict.dss.wire import models as w

from .conftest import OIR, Dss, alt, intent_body, new_id, square, volume4d

# The module, not the ``router`` object the package exports under the same name.
routes = importlib.import_module("deconflict.api.dss.router")


def _both(monkeypatch: pytest.MonkeyPatch, send: Callable[[], Any]) -> tuple[Any, Any]:
    """``send()`` with the lane on, then off."""
    on = send()
    monkeypatch.setattr(routes, "FAST_INTENT_BODIES", False)
    try:
        off = send()
    finally:
        monkeypatch.setattr(routes, "FAST_INTENT_BODIES", True)
    return on, off


def _moved(body: Any, dlat: float) -> Any:
    """``body`` with every latitude moved by ``dlat``: the same request elsewhere, so
    that what one path creates does not stand in the other's way."""
    if isinstance(body, dict):
        return {
            k: v + dlat if k == "lat" and type(v) in (int, float) else _moved(v, dlat)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [_moved(v, dlat) for v in body]
    return body


def _apart(monkeypatch: pytest.MonkeyPatch, dss: Dss, body: Any) -> tuple[Any, Any]:
    """``body`` PUT as a new intent with the lane on, and moved a degree north with it
    off."""
    moved = iter([body, _moved(body, 1.0)])
    return _both(monkeypatch, lambda: dss.alpha.call("PUT", f"{OIR}/{new_id()}", next(moved)))


def _corridor() -> dict[str, Any]:
    return intent_body(
        *(volume4d(square(7.0 + k * 0.0011, 46.0, 0.0005), lo=10, hi=11) for k in range(5)),
        new_subscription={"uss_base_url": "https://alpha.example.com/utm"},
    )


def _broken(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    place = out
    for p in path[:-1]:
        place = place[p]
    if value is _REMOVE:
        del place[path[-1]]
    else:
        place[path[-1]] = value
    return out


_REMOVE = object()

BROKEN = [
    (("state",), "Ended"),
    (("state",), None),
    (("state",), _REMOVE),
    (("uss_base_url",), 7),
    (("uss_base_url",), "ftp://nowhere"),
    (("key",), "ovn"),
    (("key",), [1, 2]),
    (("extents",), []),
    (("extents",), {}),
    (("extents", 0), "volume"),
    (("extents", 1, "volume"), _REMOVE),
    (("extents", 1, "volume", "outline_polygon", "vertices"), []),
    (("extents", 1, "volume", "outline_polygon", "vertices", 0, "lat"), 91),
    (("extents", 1, "volume", "outline_polygon", "vertices", 0, "lng"), "7.0"),
    (("extents", 1, "volume", "outline_polygon", "vertices", 2), {"lng": 7.0011, "lat": 45.9995}),
    (("extents", 2, "volume", "altitude_lower"), alt(12)),
    (("extents", 2, "volume", "altitude_lower", "reference"), "AGL"),
    (("extents", 2, "volume", "altitude_upper", "value"), 100001),
    (("extents", 2, "volume", "altitude_upper", "value"), True),
    (("extents", 3, "time_start", "value"), "yesterday"),
    (("extents", 3, "time_end"), _REMOVE),
    (("extents", 3, "time_end", "format"), 3),
    (("extents", 4, "volume", "outline_circle"), {"center": {"lng": 7, "lat": 46}}),
    (("new_subscription",), {"uss_base_url": 3}),
    (("new_subscription", "notify_for_constraints"), "yes"),
    (("subscription_id",), "not-a-uuid"),
]


@pytest.mark.parametrize(("path", "value"), BROKEN)
def test_a_broken_body_gets_the_same_answer_with_or_without_the_lane(
    dss: Dss, monkeypatch: pytest.MonkeyPatch, path: tuple[Any, ...], value: Any
) -> None:
    on, off = _apart(monkeypatch, dss, _broken(_corridor(), path, value))
    assert on.status_code == off.status_code
    if on.status_code == 201:  # still valid (pydantic coerces it): the same intent
        a, b = (r.json()["operational_intent_reference"] for r in (on, off))
        assert (a["time_start"], a["time_end"], a["state"], a["version"]) == (
            b["time_start"],
            b["time_end"],
            b["state"],
            b["version"],
        )
    else:
        assert on.json() == off.json()


def test_a_body_that_is_not_json_or_not_an_object_gets_the_same_answer(
    dss: Dss, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**dss.alpha.headers(), "content-type": "application/json"}
    for content in (b"{", b"[]", b"null", b"", json.dumps(_corridor()).encode()[:-1]):
        on, off = _both(
            monkeypatch,
            lambda c=content: dss.client.put(f"{OIR}/{new_id()}", content=c, headers=headers),
        )
        assert (on.status_code, on.json()) == (off.status_code, off.json())


def test_a_bad_id_and_a_bad_body_name_the_body_first_either_way(
    dss: Dss, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _broken(_corridor(), ("state",), "Ended")
    on, off = _both(monkeypatch, lambda: dss.alpha.call("PUT", f"{OIR}/not-a-uuid", body))
    assert on.status_code == off.status_code == 400
    assert on.json() == off.json()
    assert "state" in on.json()["message"]


def test_a_good_corridor_is_the_same_intent_and_the_same_key_check_either_way(
    dss: Dss, monkeypatch: pytest.MonkeyPatch
) -> None:
    corridor = _corridor()
    first, second = _both(monkeypatch, lambda: dss.alpha.call("PUT", f"{OIR}/{new_id()}", corridor))
    assert first.status_code == 201
    # The second saw the first in its airspace and, its key empty, was refused: the
    # lane's reading went through the same key check.
    assert second.status_code == 409
    a = first.json()["operational_intent_reference"]
    ovn = a["ovn"]
    # Keyed, through either path, the same corridor is accepted, with the same times.
    body = {**corridor, "key": [ovn]}
    on, off = _both(monkeypatch, lambda: dss.alpha.call("PUT", f"{OIR}/{new_id()}", body))
    assert on.status_code == 201, on.json()
    # The one created with the lane is now in the airspace too: keyed without it, the
    # full path refuses, naming it.
    assert off.status_code == 409
    b = on.json()["operational_intent_reference"]
    assert (b["time_start"], b["time_end"], b["state"]) == (
        a["time_start"],
        a["time_end"],
        a["state"],
    )


def _fastapi_own() -> TestClient:
    """A route that declares the model as its body, so FastAPI validates it itself (the
    intent routes' way before the lane), with the DSS routes' error wording."""
    own = APIRouter(route_class=routes.DssRoute)

    @own.put("/own")
    def put(body: w.PutOperationalIntentReferenceParameters) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(own)
    return TestClient(app)


def test_every_body_fastapi_refuses_is_refused_in_its_words(dss: Dss) -> None:
    """The full path's 400s are FastAPI's own, message for message: broken bodies, bodies
    that are no object (worded as FastAPI words them, "a valid dictionary or object to
    extract fields from"), other content types, bytes that are not JSON."""
    own = _fastapi_own()
    headers = dss.alpha.headers()
    cases: list[tuple[bytes, dict[str, str]]] = [
        (
            json.dumps(_broken(_corridor(), path, value)).encode(),
            {"content-type": "application/json"},
        )
        for path, value in BROKEN
    ]
    raw = json.dumps(_corridor()).encode()
    for content_type in ("text/plain", "application/merge-patch+json", None):
        cases.append((raw, {"content-type": content_type} if content_type else {}))
    for content in (b"{", b"[]", b"null", b'"x"', b"", b"\xef\xbb\xbf{}"):
        cases.append((content, {"content-type": "application/json"}))
    refused = 0
    for content, extra in cases:
        reference = own.put("/own", content=content, headers=extra)
        if reference.status_code != 400:
            continue  # valid for the model: the rules beyond it decide (tested above)
        refused += 1
        got = dss.client.put(f"{OIR}/{new_id()}", content=content, headers={**headers, **extra})
        assert (got.status_code, got.json()) == (400, reference.json()), content[:80]
    assert refused >= len(BROKEN) // 2
