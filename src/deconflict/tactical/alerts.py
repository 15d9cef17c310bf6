"""Alert lifecycle for conflicting pairs, with severity and hysteresis.

A detection pass is a snapshot; alerts are what people see, and they must not flicker.
Each conflicting pair (by aircraft id) becomes one alert that lives across passes:

- **new** the pass it first appears, **ongoing** while it keeps appearing, **resolved**
  once the pair has been *absent* for ``resolve_after_s``. One pass that misses the pair
  (a late report, a borderline CPA) does not resolve it; if the pair comes back within
  that time it is the same alert, not a second one.
- **Severity** from the time to loss of separation ``t_in``: ``loss`` (current loss),
  ``warning`` (``t_in < warning_s``, 30 s), ``caution`` (``t_in <= caution_s``, 120 s),
  ``advisory`` (later). Upgrades apply at once, because a late warning is the failure
  that matters; downgrades need ``t_in`` to clear the threshold by ``downgrade_margin_s``
  so that a ``t_in`` jittering around 30 s does not toggle warning/caution every pass.
- **Acknowledged** is a flag on an active alert, per party. An upgrade clears it: a
  party that acknowledged a caution has not acknowledged the warning it became.

The book holds no clock: callers pass ``now_s`` (any monotonic seconds), so replays and
tests drive it deterministically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum

from deconflict.errors import InvalidInput


class Severity(IntEnum):
    """Ordered so that ``max`` and ``>`` mean "more urgent"."""

    ADVISORY = 1
    CAUTION = 2
    WARNING = 3
    LOSS = 4


class AlertState(StrEnum):
    NEW = "new"
    ONGOING = "ongoing"
    RESOLVED = "resolved"


class EventKind(StrEnum):
    NEW = "new"
    SEVERITY_CHANGED = "severity_changed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """Severity bands and hysteresis; the defaults follow common ATC alerting practice."""

    caution_s: float = 120.0
    warning_s: float = 30.0
    downgrade_margin_s: float = 10.0
    resolve_after_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Observation:
    """One conflicting pair from one detection pass (``a < b`` by id)."""

    a: str
    b: str
    t_in_s: float
    t_out_s: float
    tcpa_s: float
    dcpa_m: float
    los: bool

    @classmethod
    def from_record(cls, rec: dict[str, object]) -> Observation:
        """From a ``detect.conflict_records`` entry."""

        def num(key: str) -> float:
            v = rec.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InvalidInput(key, "must be a number")
            return float(v)

        return cls(
            str(rec["a"]),
            str(rec["b"]),
            num("t_in_s"),
            num("t_out_s"),
            num("tcpa_s"),
            num("dcpa_m"),
            bool(rec["los"]),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """The state of one alert; snapshots are immutable, the book replaces them."""

    alert_id: int
    a: str
    b: str
    state: AlertState
    severity: Severity
    first_seen_s: float
    last_seen_s: float
    latest: Observation
    acknowledged_by: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """Something a party should be told about."""

    kind: EventKind
    alert: Alert
    at_s: float


def severity_for(obs: Observation, th: AlertThresholds) -> Severity:
    """Severity from time to loss alone, without hysteresis."""
    if obs.los:
        return Severity.LOSS
    if obs.t_in_s < th.warning_s:
        return Severity.WARNING
    if obs.t_in_s <= th.caution_s:
        return Severity.CAUTION
    return Severity.ADVISORY


def _lower_bound_s(level: Severity, th: AlertThresholds) -> float:
    """``t_in`` at or above which an alert is less urgent than ``level``."""
    return {
        Severity.LOSS: 0.0,
        Severity.WARNING: th.warning_s,
        Severity.CAUTION: th.caution_s,
        Severity.ADVISORY: float("inf"),
    }[level]


def _with_hysteresis(current: Severity, obs: Observation, th: AlertThresholds) -> Severity:
    raw = severity_for(obs, th)
    if raw >= current:
        return raw
    # Downgrade only as far as t_in clears each threshold by the margin.
    level = current
    while level > raw and (
        not obs.los and obs.t_in_s >= _lower_bound_s(level, th) + th.downgrade_margin_s
    ):
        level = Severity(level - 1)
    return level


class AlertBook:
    """The alerts of one detection stream; feed it every pass with ``update``."""

    def __init__(self, thresholds: AlertThresholds | None = None, first_id: int = 1) -> None:
        """``first_id``: the id of the first alert; a service starts it from its start
        time so that ids never repeat across restarts (they name hotline conflicts)."""
        self.thresholds = thresholds or AlertThresholds()
        self._active: dict[tuple[str, str], Alert] = {}
        self._next_id = first_id

    def active(self) -> list[Alert]:
        """Alerts not yet resolved, oldest first."""
        return sorted(self._active.values(), key=lambda al: al.alert_id)

    def update(self, now_s: float, observations: Iterable[Observation]) -> list[AlertEvent]:
        """Advance the book by one pass; returns what changed, in a stable order."""
        th = self.thresholds
        events: list[AlertEvent] = []
        seen: set[tuple[str, str]] = set()
        for obs in sorted(observations, key=lambda o: (o.a, o.b)):
            key = (obs.a, obs.b) if obs.a < obs.b else (obs.b, obs.a)
            seen.add(key)
            old = self._active.get(key)
            if old is None:
                alert = Alert(
                    self._next_id,
                    key[0],
                    key[1],
                    AlertState.NEW,
                    severity_for(obs, th),
                    now_s,
                    now_s,
                    obs,
                )
                self._next_id += 1
                self._active[key] = alert
                events.append(AlertEvent(EventKind.NEW, alert, now_s))
                continue
            severity = _with_hysteresis(old.severity, obs, th)
            acks = old.acknowledged_by if severity <= old.severity else frozenset()
            alert = replace(
                old,
                state=AlertState.ONGOING,
                severity=severity,
                last_seen_s=now_s,
                latest=obs,
                acknowledged_by=acks,
            )
            self._active[key] = alert
            if severity != old.severity:
                events.append(AlertEvent(EventKind.SEVERITY_CHANGED, alert, now_s))
        for key in sorted(set(self._active) - seen):
            old = self._active[key]
            if now_s - old.last_seen_s >= th.resolve_after_s:
                del self._active[key]
                done = replace(old, state=AlertState.RESOLVED)
                events.append(AlertEvent(EventKind.RESOLVED, done, now_s))
        return events

    def acknowledge(self, alert_id: int, party: str, now_s: float) -> AlertEvent | None:
        """Record that ``party`` has seen the alert; ``None`` if it is not active."""
        for key, alert in self._active.items():
            if alert.alert_id == alert_id:
                acked = replace(alert, acknowledged_by=alert.acknowledged_by | {party})
                self._active[key] = acked
                return AlertEvent(EventKind.ACKNOWLEDGED, acked, now_s)
        return None
