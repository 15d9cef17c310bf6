"""A small F3548 USS that runs as its own process, to play the other side of one airspace.

It is written against ASTM F3548-21 (the OpenAPI in ``/work/shared/specs``) and imports
nothing from ``deconflict``: what it knows of the service is what any USS would know,
the DSS's URL and a token. Run it as::

    python -m tests.e2e.one_airspace.peer_uss --dss http://127.0.0.1:8080 \\
        --token-file uss.token --port 0 --ready-file ready.txt

With ``--port 0`` it binds a free port and writes its base URL to ``--ready-file`` once
it is listening, so a test never races another process for a port.

As a USS it serves the peer-to-peer endpoints (``/uss/v1``):

- ``POST /uss/v1/operational_intents`` and ``POST /uss/v1/constraints``: notifications
  from other USSs (or from the service as the USS of its native parties); each is
  recorded with the claims of its bearer token and answered 204; no token is 401, a
  body without the fields the standard requires is 400 (and kept apart, as refused).
- ``GET /uss/v1/operational_intents/{id}``: the reference and details of an intent it
  manages, 404 for any other (and for one whose creation the DSS has not answered yet).

For the test that drives it, a control API (``/control``):

- ``POST /control/plan`` ``{"extents": [Volume4D], "state", "priority", "id"?, "learn"?,
  "constraints"?, "notify"?, "extra_key"?}`` plans the way F3548 asks a USS to: query
  the DSS over each extent, GET each reference's details from the ``uss_base_url`` the
  DSS gave (the OVN is in the details' reference), PUT the intent with the complete key,
  then POST the notification to every subscriber the DSS answer lists. ``learn: false`` skips the
  details reads (the key then holds only its own OVNs): a USS that does not look.
  The answer is the whole record of that plan (also kept as ``last_plan``).
- ``POST /control/look`` ``{"extents", "constraints"?}``: the looking part of a plan
  alone (queries, details reads, the key it would send); ``constraints: true`` also
  queries constraint references and reads their details (needs a constraint scope).
- ``POST /control/query`` ``{"area": Volume4D}``: the DSS's answer to a query.
- ``POST /control/subscribe`` ``{"extents": Volume4D, ...}``: a DSS subscription that
  sends notifications here.
- ``GET /control/received``: notifications received, details reads served, plans made.
- ``POST /control/forget``: clears what was received.
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"
INTENTS = "/uss/v1/operational_intents"
CONSTRAINTS = "/uss/v1/constraints"
TIMEOUT_S = 10.0
"""Per outgoing request: a hang guard, far above what a loopback call takes."""

Json = dict[str, Any]


def claims_of(authorization: str | None) -> Json | None:
    """The (unverified) claims of a bearer token, or None when there is no bearer token.

    The peer does not hold the sender's key; it records who the token says it is so that
    a test can tell a notification the service relayed from one the USS sent itself.
    """
    if not authorization or not authorization.startswith("Bearer "):
        return None
    parts = authorization.removeprefix("Bearer ").strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


class Peer:
    """The USS's state: its intents, what it received, what its plans got."""

    def __init__(self, dss: str, token: str) -> None:
        self.dss = dss.rstrip("/")
        self.token = token
        self.base = ""
        """Its own base URL, known once it listens."""
        self.lock = threading.Lock()
        self.intents: dict[str, Json] = {}
        """id -> {"reference": ..., "details": ...} as accepted by the DSS."""
        self.notifications: list[Json] = []
        self.refused: list[Json] = []
        """Notifications answered 400: their bodies break the standard's schema."""
        self.reads: list[Json] = []
        self.plans: list[Json] = []
        self.http = httpx.Client(timeout=TIMEOUT_S)

    # talking to others ------------------------------------------------------------------

    def call(self, method: str, url: str, body: Json | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            r = self.http.request(method, url, json=body, headers=headers)
        except httpx.HTTPError as e:
            return 0, {"error": f"{type(e).__name__}: {e}"}
        try:
            return r.status_code, r.json() if r.content else None
        except ValueError:
            return r.status_code, r.text

    def query(self, area: Json) -> tuple[int, Any]:
        return self.call("POST", f"{self.dss}{OIR}/query", {"area_of_interest": area})

    def subscribe(self, body: Json) -> tuple[int, Any]:
        sub_id = body.pop("id", None) or str(uuid.uuid4())
        wire = {
            "extents": body["extents"],
            "uss_base_url": self.base,
            "notify_for_operational_intents": body.get("notify_for_operational_intents", True),
            "notify_for_constraints": body.get("notify_for_constraints", False),
        }
        return self.call("PUT", f"{self.dss}{SUBS}/{sub_id}", wire)

    def look(self, body: Json) -> Json:
        """What a USS does before it plans: query, then learn each OVN from its manager.

        The key is every OVN learned, plus the OVNs of its own intents there (except the
        one it is about to change): the DSS shows a USS no OVN of another manager's intent.
        """
        intent_id = body.get("id")
        extents: list[Json] = body["extents"]
        record: Json = {"id": intent_id, "queries": [], "reads": [], "notified": []}
        seen: dict[str, Json] = {}
        for extent in extents:
            status, answer = self.query(extent)
            record["queries"].append({"status": status, "body": answer})
            if status == 200:
                for ref in answer.get("operational_intent_references", []):
                    seen.setdefault(ref["id"], ref)
        key: set[str] = set()
        with self.lock:
            own = {i: v["reference"]["ovn"] for i, v in self.intents.items()}
        for ref_id, ref in seen.items():
            if ref_id == intent_id:
                continue
            if ref_id in own:
                key.add(own[ref_id])
            elif body.get("learn", True):
                ovn = self.learn(ref, INTENTS, "operational_intent", record)
                if ovn:
                    key.add(ovn)
        if body.get("constraints", False):
            record["constraint_queries"] = []
            for extent in extents:
                status, answer = self.call(
                    "POST", f"{self.dss}{CR}/query", {"area_of_interest": extent}
                )
                record["constraint_queries"].append({"status": status, "body": answer})
                for ref in answer.get("constraint_references", []) if status == 200 else []:
                    ovn = self.learn(ref, CONSTRAINTS, "constraint", record)
                    if ovn:
                        key.add(ovn)
        record["key"] = sorted(key)
        return record

    def plan(self, body: Json) -> Json:
        """Look (query, learn OVNs), PUT with the key, notify the subscribers listed."""
        intent_id = body.get("id") or str(uuid.uuid4())
        extents: list[Json] = body["extents"]
        state = body.get("state", "Accepted")
        record = self.look({**body, "id": intent_id})
        key = set(record["key"])
        with self.lock:
            mine = self.intents.get(intent_id)
        key.update(body.get("extra_key", []))
        record["key"] = sorted(key)
        wire = {
            "extents": extents,
            "key": record["key"],
            "state": state,
            "uss_base_url": self.base,
            "new_subscription": {"uss_base_url": self.base, "notify_for_constraints": False},
        }
        path = f"{OIR}/{intent_id}" + (f"/{mine['reference']['ovn']}" if mine else "")
        status, answer = self.call("PUT", f"{self.dss}{path}", wire)
        record["status"], record["body"] = status, answer
        if status in (200, 201):
            details = {
                "volumes": extents if state in ("Accepted", "Activated") else [],
                "off_nominal_volumes": [] if state in ("Accepted", "Activated") else extents,
                "priority": body.get("priority", 0),
            }
            intent = {"reference": answer["operational_intent_reference"], "details": details}
            with self.lock:
                self.intents[intent_id] = intent
            if body.get("notify", True):
                self.notify(intent_id, intent, answer.get("subscribers", []), record)
        with self.lock:
            self.plans.append(record)
        return record

    def learn(self, ref: Json, path: str, field: str, record: Json) -> str | None:
        """GET an entity's details from its manager; its OVN, as the manager gives it."""
        url = f"{ref['uss_base_url'].rstrip('/')}{path}/{ref['id']}"
        status, answer = self.call("GET", url)
        ovn = None
        if status == 200 and isinstance(answer, dict):
            ovn = (answer.get(field) or {}).get("reference", {}).get("ovn")
        record["reads"].append({"url": url, "status": status, "body": answer, "ovn": ovn})
        return ovn

    def notify(self, intent_id: str, intent: Json, subscribers: list[Json], record: Json) -> None:
        """POST the change to each subscriber the DSS listed, as the managing USS must."""
        for subscriber in subscribers:
            base = subscriber["uss_base_url"].rstrip("/")
            if base == self.base:
                continue
            body = {
                "operational_intent_id": intent_id,
                "operational_intent": intent,
                "subscriptions": subscriber["subscriptions"],
            }
            status, _ = self.call("POST", f"{base}{INTENTS}", body)
            record["notified"].append({"url": f"{base}{INTENTS}", "status": status})

    # being talked to --------------------------------------------------------------------

    def received(self) -> Json:
        with self.lock:
            return {
                "base": self.base,
                "notifications": list(self.notifications),
                "refused": list(self.refused),
                "reads": list(self.reads),
                "plans": list(self.plans),
                "last_plan": self.plans[-1] if self.plans else None,
            }

    def forget(self) -> None:
        with self.lock:
            self.notifications.clear()
            self.refused.clear()
            self.reads.clear()


def malformed(path: str, body: Any) -> str | None:
    """Why a notification body breaks F3548's schema, or None: the fields it requires
    (``PutOperationalIntentDetailsParameters``, ``PutConstraintDetailsParameters``)."""
    entity, field = (
        ("operational_intent", "operational_intent_id")
        if path == INTENTS
        else ("constraint", "constraint_id")
    )
    if not isinstance(body, dict) or not isinstance(body.get(field), str):
        return f"{field} is required"
    subscriptions = body.get("subscriptions")
    if not isinstance(subscriptions, list) or not subscriptions:
        return "subscriptions needs at least one item"
    for s in subscriptions:
        if not isinstance(s, dict) or "subscription_id" not in s or "notification_index" not in s:
            return "each subscription needs subscription_id and notification_index"
    if entity in body:  # absent: the entity was deleted
        if not (body[entity].get("reference") or {}).get("ovn"):
            return f"{entity}.reference.ovn must be populated"
        if "details" not in body[entity]:
            return f"{entity}.details is required"
    return None


def handler_for(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else {}

        def do_GET(self) -> None:
            if self.path == "/control/healthy":
                return self.answer(200, {"base": peer.base})
            if self.path == "/control/received":
                return self.answer(200, peer.received())
            if self.path.startswith(f"{INTENTS}/"):
                claims = claims_of(self.headers.get("Authorization"))
                if claims is None:
                    return self.answer(401, {"message": "a bearer token is required"})
                intent_id = self.path.removeprefix(f"{INTENTS}/")
                with peer.lock:
                    peer.reads.append({"path": self.path, "claims": claims})
                    intent = peer.intents.get(intent_id)
                if intent is None:
                    return self.answer(404, {"message": f"no operational intent {intent_id}"})
                return self.answer(200, {"operational_intent": intent})
            return self.answer(404, {"message": f"no route {self.path}"})

        def do_POST(self) -> None:
            try:
                body = self.body()
            except ValueError:
                return self.answer(400, {"message": "the body is not JSON"})
            if self.path in (INTENTS, CONSTRAINTS):
                claims = claims_of(self.headers.get("Authorization"))
                if claims is None:
                    return self.answer(401, {"message": "a bearer token is required"})
                got = {"path": self.path, "claims": claims, "body": body}
                wrong = malformed(self.path, body)
                with peer.lock:
                    (peer.refused if wrong else peer.notifications).append(
                        {**got, "reason": wrong} if wrong else got
                    )
                if wrong:
                    return self.answer(400, {"message": wrong})
                return self.answer(204)
            if self.path == "/control/plan":
                return self.answer(200, peer.plan(body))
            if self.path == "/control/look":
                return self.answer(200, peer.look(body))
            if self.path == "/control/query":
                status, answer = peer.query(body["area"])
                return self.answer(200, {"status": status, "body": answer})
            if self.path == "/control/subscribe":
                status, answer = peer.subscribe(body)
                return self.answer(200, {"status": status, "body": answer})
            if self.path == "/control/forget":
                peer.forget()
                return self.answer(204)
            return self.answer(404, {"message": f"no route {self.path}"})

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dss", required=True, help="Base URL of the DSS (no /dss/v1).")
    parser.add_argument("--token-file", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path)
    args = parser.parse_args(argv)
    peer = Peer(args.dss, args.token_file.read_text().strip())
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(peer))
    server.daemon_threads = True
    peer.base = f"http://127.0.0.1:{server.server_address[1]}"
    if args.ready_file is not None:
        # Written whole, then renamed: a reader never sees half a URL.
        part = args.ready_file.with_suffix(".part")
        part.write_text(peer.base)
        part.replace(args.ready_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
