"""Playing a scenario against a running service, over HTTP, one client per party.

Each party speaks with its own token, exactly as separate parties would: the player has
no back door, so what a scenario shows is what the public API does.

The clock and the sleep are injectable (as in ``cli.replay.play``), so a test can fly
the live part on a fake clock in no time while the service judges the reports against
the same fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from deconflict.errors import ScenarioError
from deconflict.model.times import rfc3339
from deconflict.scenarios.model import (
    Airspace,
    Batch,
    Expect,
    Plan,
    Scenario,
    SetState,
    Step,
)

Say = Callable[[str], None]


@dataclass(frozen=True)
class StepResult:
    step: Step
    status: int
    outcome: Expect | None
    """What happened to a plan: accepted, accepted with notice, or rejected."""
    conflicts: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    """For a batch: how many items got each outcome."""

    @property
    def as_expected(self) -> bool:
        if not isinstance(self.step, Plan) or self.step.expect is Expect.ANY:
            return True
        return self.outcome is self.step.expect


@dataclass(frozen=True)
class LiveResult:
    reports: int
    posts: int
    alerts_seen: set[int]


def _outcome(status: int, body: Mapping[str, Any]) -> Expect:
    if status == 409 or not body.get("accepted", False):
        return Expect.REJECTED
    return Expect.NOTICE if body.get("conflicts") else Expect.ACCEPTED


def _message(r: httpx.Response) -> str:
    try:
        return str(r.json().get("message", r.text))
    except ValueError:
        return r.text


class Player:
    """Plays scenarios through ``clients`` (base URL and the party's token already set)."""

    def __init__(self, clients: Mapping[str, httpx.Client], say: Say = lambda _s: None) -> None:
        self.clients = clients
        self.say = say

    def _client(self, party: str) -> httpx.Client:
        try:
            return self.clients[party]
        except KeyError:
            raise ScenarioError(f"no token for party {party!r}") from None

    def _refuse(self, what: str, r: httpx.Response) -> ScenarioError:
        return ScenarioError(f"{what}: HTTP {r.status_code}: {_message(r)}")

    def reset(self, scenario: Scenario) -> int:
        """Remove the scenario's operations, so it can be played again from the start."""
        removed = 0
        for party, ids in scenario.operation_ids.items():
            http = self._client(party)
            for op_id in ids:
                r = http.delete(f"/v1/operations/{op_id}")
                if r.status_code == 200:
                    removed += 1
                elif r.status_code != 404:
                    raise self._refuse(f"removing {op_id}", r)
        return removed

    def plan(self, scenario: Scenario) -> list[StepResult]:
        """The operator's grants, then every planning step in order; a step's surprise
        outcome is reported, not fatal."""
        self.grant(scenario)
        return [self.step(s) for s in scenario.steps]

    def grant(self, scenario: Scenario) -> None:
        """Have the scenario's operator grant what its parties need (their priorities)."""
        if not scenario.grants:
            return
        if not scenario.operators:
            raise ScenarioError("the scenario grants priorities but names no operator")
        http = self._client(scenario.operators[0])
        for party, body in scenario.grants.items():
            r = http.put(f"/v1/parties/{party}/grant", json=body)
            if r.status_code != 200:
                raise self._refuse(f"granting {party}", r)
            self.say(f"the operator grants {party}: {_granted(r.json())}")

    def step(self, step: Step) -> StepResult:
        http = self._client(step.party)
        if isinstance(step, Plan):
            r = http.put(f"/v1/operations/{step.op_id}", json=step.body)
            if r.status_code not in (200, 201, 409):
                raise self._refuse(f"planning {step.op_id}", r)
            body = r.json()
            result = StepResult(
                step, r.status_code, _outcome(r.status_code, body), body["conflicts"]
            )
            self.say(_describe_plan(step, result))
            return result
        if isinstance(step, SetState):
            r = http.post(f"/v1/operations/{step.op_id}/state", json={"state": step.state})
            if r.status_code not in (200, 409):
                raise self._refuse(f"setting {step.op_id} to {step.state}", r)
            body = r.json()
            self.say(f"{step.say}: {step.op_id} -> {step.state}")
            return StepResult(step, r.status_code, _outcome(r.status_code, body), body["conflicts"])
        if isinstance(step, Airspace):
            r = http.put(f"/v1/{step.collection}/{step.item_id}", json=step.body)
            if r.status_code not in (200, 201):
                raise self._refuse(f"defining {step.item_id}", r)
            self.say(f"{step.say}: {step.item_id}")
            return StepResult(step, r.status_code, None, [])
        return self._batch(http, step)

    def _batch(self, http: httpx.Client, step: Batch) -> StepResult:
        counts = {e.value: 0 for e in (Expect.ACCEPTED, Expect.NOTICE, Expect.REJECTED)}
        conflicts: list[dict[str, Any]] = []
        for k in range(0, len(step.operations), 1000):
            r = http.post(
                "/v1/operations:batch", json={"operations": step.operations[k : k + 1000]}
            )
            if r.status_code != 207:
                raise self._refuse("batch", r)
            for item in r.json()["results"]:
                if item["status"] not in (200, 201, 409):
                    raise ScenarioError(f"batch item {item['id']}: {item.get('message')}")
                counts[_outcome(item["status"], item).value] += 1
                conflicts += item.get("conflicts", [])
        self.say(
            f"{step.say}: {counts['accepted']} accepted, {counts['notice']} accepted with "
            f"notice, {counts['rejected']} rejected"
        )
        return StepResult(step, 207, None, conflicts, counts)

    def fly(
        self,
        scenario: Scenario,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        speed: float = 1.0,
        start_s: float = 0.0,
        until_s: float | None = None,
    ) -> LiveResult:
        """Post the flights' reports on their schedule (``speed`` 2 = twice as fast).

        Reports are stamped with the instant they are sent, as ``deconflict replay``
        does; ``start_s``/``until_s`` play a slice, so a test can stop right where the
        story's alert begins.
        """
        timeline = [
            e
            for e in scenario.timeline()
            if e[0] >= start_s and (until_s is None or e[0] <= until_s)
        ]
        if not timeline:
            return LiveResult(0, 0, set())
        begun = clock()
        t0 = timeline[0][0]
        seen: set[int] = set()
        conformance: dict[str, str] = {}
        reports = posts = 0
        for t, party, batch in timeline:
            due = begun + timedelta(seconds=(t - t0) / speed)
            wait = (due - clock()).total_seconds()
            if wait > 0:
                sleep(wait)
            for flight in scenario.flights:
                starts = flight.start_s <= t < flight.start_s + scenario.report_interval_s
                if starts and flight.party == party and flight.say:
                    self.say(flight.say)
            stamp = rfc3339(clock())
            r = self._client(party).post(
                "/v1/tracks", json={"reports": [{**rep, "time": stamp} for rep in batch]}
            )
            if r.status_code != 200:
                raise self._refuse(f"posting {party}'s reports", r)
            reports += len(batch)
            posts += 1
            for alert in r.json()["alerts"]:
                if alert["id"] not in seen and alert["state"] != "resolved":
                    seen.add(alert["id"])
                    self.say(_describe_alert(party, alert))
            self._narrate_conformance(party, conformance)
        return LiveResult(reports, posts, seen)

    def _narrate_conformance(self, party: str, known: dict[str, str]) -> None:
        """Say when one of ``party``'s aircraft leaves or re-enters its declared volumes
        (the service's conformance monitoring, as the party's own track list shows it)."""
        r = self._client(party).get("/v1/tracks")
        if r.status_code != 200:
            return
        for track in r.json().get("tracks", []):
            state = track.get("conformance")
            if state is None or track.get("party", party) != party:
                continue
            before = known.get(track["id"], "conforming")
            known[track["id"]] = state
            if state != before:
                self.say(f"CONFORMANCE {track['id']} ({track.get('operation')}): {state}")


def _granted(grant: Mapping[str, Any]) -> str:
    low, high = grant["priority_min"], grant["priority_max"]
    shown = f"priority {low}" if low == high else f"priorities {low}..{high}"
    return shown + (", off-nominal states" if grant["off_nominal"] else "")


def _describe_plan(step: Plan, result: StepResult) -> str:
    text = f"{step.say}: {result.outcome.value if result.outcome else result.status}"
    for c in result.conflicts:
        o = c["overlaps"][0] if c["overlaps"] else None
        where = ""
        if o is not None:
            where = (
                f" over {o['area_m2'] / 1e6:.1f} km2, {o['altitude_lower_m']:.0f}-"
                f"{o['altitude_upper_m']:.0f} m, {o['time_start'][11:16]}-{o['time_end'][11:16]}Z"
            )
        # The other operation is named only where a sharing agreement allows it.
        other = c.get("other_operation", "an operation")
        text += (
            f"\n    {c['verdict']} ({c['reason'].replace('_', ' ')}) with "
            f"{other} of {c['other_party']}{where}"
        )
    if not result.as_expected:
        text += f"\n    (the scenario expected: {step.expect.value})"
    return text


def _describe_alert(party: str, alert: dict[str, Any]) -> str:
    text = (
        f"ALERT {alert['id']} for {party}: {alert['own']} {alert['severity']}, "
        f"closest approach {alert['dcpa_m']:.0f} m in {alert['tcpa_s']:.0f} s"
    )
    adv = alert.get("advisory")
    if adv:
        text += (
            f"; advisory: track {adv['track_deg']:.0f} deg, {adv['gs_mps']:.0f} m/s, "
            f"vertical {adv['vs_mps']:+.1f} m/s"
        )
    return text
