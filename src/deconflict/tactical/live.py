"""The live picture: the latest report of every aircraft, alerts, advisories, conformance.

This is the stateful part of tactical deconfliction that the library modules
deliberately are not: it remembers tracks between passes, owns the one ``AlertBook`` of
the service, and keeps a conformance machine for every track flying an operation. It
stays in the core layer: no
web or SQL imports. What it needs from the outside comes in as callables, so the same
object runs in the service, in a replay harness or in a test with a fake clock:

- ``load_operation(op_id)``: the operation's party, state and volumes, or ``None``;
- ``on_state(change)``: told when monitoring moves an operation to ``Nonconforming``,
  ``Contingent`` or back to ``Activated`` (a ``StateChange``); answers whether the
  change was applied;
- ``on_alerts(notices)``: the alert events of a pass or an acknowledgement, one
  ``AlertNotice`` per party and own aircraft (new, severity changed, resolved,
  acknowledged), for the party event stream;
- ``clock()``: the current UTC time.

When things happen:

- ``submit`` (one batch of reports from one party) validates the whole batch before it
  changes anything (operations included, so a refused batch leaves no trace), stores the
  reports, feeds the conformance machines and then runs a detection pass at once, so the
  caller's answer already reflects its own reports.
- ``ingest`` takes reports another replica accepted (shared by ``on_submitted`` there):
  as ``submit``, without the submitter's checks and without sharing them again, so that
  every replica's picture holds every track (``service/picture_sync.py``). Alert ids the
  replicas agreed on (``adopt_ids``) replace this picture's own in every view.
- ``run_pass`` is also what a background ticker calls every ``pass_interval_s``: without
  it a track that stops reporting would never go stale, an alert whose pair stopped
  reporting would never resolve and an aircraft last seen outside its volumes would never
  escalate to Contingent.

A pass drops tracks older than ``stale_after_s``, brings every remaining report to the
pass instant with ``state.align`` (reports arrive at different times), runs ``detect``,
advances the alert book, computes resolution advisories for the conflicts of the pass
(one MVP resolution over all aircraft, so an aircraft in several conflicts gets one
manoeuvre that addresses all of them, checked against everyone) and ticks the
conformance machines. One lock serialises passes and submissions; detection is the
vectorised library, so a pass over thousands of aircraft holds it for milliseconds. The
cost of a pass with conflicts is up to ``1 + resolution.MAX_ROUNDS`` detections, because
advisories are checked by re-detection.

Need-to-know is enforced here, not left to the API: the views a party gets
(``alerts_for``, ``tracks_for``, alert notices) never carry another party's track id or
party name unless the ``Sharing`` policy passed in allows it, only a per-viewer alias
that is stable for the life of the picture and cannot be linked across viewers (an HMAC
under a key made when the picture starts). Another party's telemetry is shown only
while its aircraft is in an active alert with one of the viewer's, or off-nominal (its
operation Nonconforming or Contingent, whether monitoring or its party said so), unless
the policy grants more. Only ``everything()`` (the service operator's view) shows all.

Track ids are call signs, so they are need-to-know too: the picture keys every track by
(party, id) (``track_key``), two parties may each fly an aircraft under one id, and
nothing a party is told depends on whether another party uses the same id. Detection,
alerts, advisories and conformance all run on those keys; the views turn them back into
the plain id for the owner and into an alias (or id and party, under an agreement) for
anyone else.

Alert ids start from the picture's start time in microseconds, so they do not repeat
after a restart: an alert id is also the conflict id the hotline knows the alert by.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from deconflict.errors import InvalidInput, NotYourTrack
from deconflict.geo.contains import any_volume_contains
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import OperationState
from deconflict.tactical.alerts import (
    Alert,
    AlertBook,
    AlertState,
    AlertThresholds,
    EventKind,
    Observation,
)
from deconflict.tactical.conformance import (
    ConformanceMachine,
    ConformanceState,
    ConformanceThresholds,
)
from deconflict.tactical.detect import conflict_records, detect
from deconflict.tactical.resolution import Advisory, Maneuver, Sense, resolve
from deconflict.tactical.separation import TacticalParams
from deconflict.tactical.sharing import NO_AGREEMENTS, Sharing
from deconflict.tactical.state import (
    MAX_ABS_ALT_M,
    MAX_ABS_SPEED_MPS,
    StateVectors,
    align,
)
from deconflict.tactical.views import (
    AlertNotice,
    Disclosed,
    PartyAlert,
    Position,
    StateChange,
    Traffic,
    identified,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MONITORED_STATES = frozenset(
    {OperationState.ACTIVATED, OperationState.NONCONFORMING, OperationState.CONTINGENT}
)
"""Only a flying operation can stop conforming: an Accepted one has not started, an
Ended one is over."""

_TO_OPERATION_STATE = {
    ConformanceState.CONFORMING: OperationState.ACTIVATED,
    ConformanceState.NONCONFORMING: OperationState.NONCONFORMING,
    ConformanceState.CONTINGENT: OperationState.CONTINGENT,
}
_RANK = {
    ConformanceState.CONFORMING: 0,
    ConformanceState.NONCONFORMING: 1,
    ConformanceState.CONTINGENT: 2,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def track_key(party: str, track_id: str) -> str:
    """The picture's internal name of ``party``'s aircraft ``track_id``.

    The id comes first so keys sort as the plain ids do (the alert book orders a pair by
    it); the party's length at the end makes the key decodable whatever characters
    either holds (``split_key``), without a table, so an alert still names its aircraft
    after they stop reporting.
    """
    return f"{track_id}\x00{party}\x00{len(party)}"


def split_key(key: str) -> tuple[str, str]:
    """``(party, track_id)`` of a ``track_key``."""
    rest, length = key.rsplit("\x00", 1)
    n = int(length)
    return rest[len(rest) - n :], rest[: len(rest) - n - 1]


def _party_of(key: str) -> str:
    return split_key(key)[0]


def _id_of(key: str) -> str:
    return split_key(key)[1]


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One aircraft's reported state; velocity in its own local north/east frame.

    Validated on construction because a report, once stored, takes part in every pass
    until it goes stale: a bad value must be refused at the door, not break each pass.
    """

    id: str
    party: str
    time: datetime
    lat: float
    lon: float
    alt_m: float
    vn_mps: float
    ve_mps: float
    vs_mps: float
    operation: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", "is required")
        if not self.party:
            raise InvalidInput("party", "is required")
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise InvalidInput("time", "must carry a timezone (RFC 3339, e.g. ...Z)")
        for name in ("lat", "lon", "alt_m", "vn_mps", "ve_mps", "vs_mps"):
            if not math.isfinite(getattr(self, name)):
                raise InvalidInput(name, "must be a finite number")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidInput("lat", "must be between -90 and 90")
        if not -180.0 <= self.lon <= 360.0:
            raise InvalidInput("lon", "must be between -180 and 360")
        if abs(self.alt_m) > MAX_ABS_ALT_M:
            raise InvalidInput("alt_m", f"must be within +-{MAX_ABS_ALT_M:.0f} m")
        if math.hypot(self.vn_mps, self.ve_mps) > MAX_ABS_SPEED_MPS:
            raise InvalidInput("gs_mps", f"ground speed above {MAX_ABS_SPEED_MPS:.0f} m/s")
        if abs(self.vs_mps) > MAX_ABS_SPEED_MPS:
            raise InvalidInput("vs_mps", f"must be within +-{MAX_ABS_SPEED_MPS:.0f} m/s")

    @classmethod
    def from_track(
        cls,
        id: str,
        party: str,
        time: datetime,
        lat: float,
        lon: float,
        alt_m: float,
        gs_mps: float,
        track_deg: float,
        vs_mps: float,
        operation: str | None = None,
    ) -> PositionReport:
        """From ground speed and true track (clockwise from north), as most trackers send."""
        if not (math.isfinite(gs_mps) and gs_mps >= 0.0):
            raise InvalidInput("gs_mps", "must be a finite number, at least 0")
        if not math.isfinite(track_deg):
            raise InvalidInput("track_deg", "must be a finite number")
        rad = math.radians(track_deg)
        return cls(
            id,
            party,
            time,
            lat,
            lon,
            alt_m,
            gs_mps * math.cos(rad),
            gs_mps * math.sin(rad),
            vs_mps,
            operation,
        )

    @property
    def time_s(self) -> float:
        return self.time.timestamp()

    @property
    def gs_mps(self) -> float:
        return math.hypot(self.vn_mps, self.ve_mps)

    @property
    def track_deg(self) -> float:
        return math.degrees(math.atan2(self.ve_mps, self.vn_mps)) % 360.0


@dataclass(frozen=True, slots=True)
class MonitoredOperation:
    """What conformance monitoring needs to know about an operation."""

    party: str
    state: OperationState
    volumes: tuple[Volume4D, ...]


OperationLoader = Callable[[str], MonitoredOperation | None]
StateSink = Callable[[StateChange], bool]
AlertSink = Callable[[Sequence[AlertNotice]], None]
DisclosureSink = Callable[[Sequence[Disclosed]], None]
ReportSink = Callable[[str, Sequence[PositionReport]], None]
AckSink = Callable[[str, int], None]
OFF_NOMINAL_STATES = frozenset({OperationState.NONCONFORMING, OperationState.CONTINGENT})


@dataclass(frozen=True)
class LiveConfig:
    """Everything configurable about the live picture, with service defaults.

    ``stale_after_s`` 30 s: several missed reports at the usual 1-5 s rates, yet short
    enough that a vanished aircraft stops raising alerts within half a minute.
    ``max_future_s`` refuses reports stamped ahead of the service clock by more than the
    clock skew a healthy client can have; such a report would never go stale.
    ``conformance_tolerance_m`` 10 m: a GNSS fix plus a barometric altitude error.
    ``pass_interval_s`` ``None`` disables the background ticker (tests drive passes).
    ``near_distance_m`` / ``near_vertical_m``: how far around an off-nominal operation
    (its volumes and its aircraft) other parties' operations count as near and are told
    of the change; 10 km and 300 m by default, a couple of minutes of flight for the
    fast traffic and well beyond any drone's reach.
    """

    params: TacticalParams = field(default_factory=TacticalParams)
    alerts: AlertThresholds = field(default_factory=AlertThresholds)
    conformance: ConformanceThresholds = field(default_factory=ConformanceThresholds)
    conformance_tolerance_m: float = 10.0
    stale_after_s: float = 30.0
    max_future_s: float = 5.0
    resolved_retention_s: float = 60.0
    pass_interval_s: float | None = 1.0
    maneuver: Maneuver = Maneuver.AUTO
    near_distance_m: float = 10_000.0
    near_vertical_m: float = 300.0

    def __post_init__(self) -> None:
        for name in (
            "near_distance_m",
            "near_vertical_m",
            "conformance_tolerance_m",
            "stale_after_s",
            "max_future_s",
            "resolved_retention_s",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InvalidInput(name, "must be a finite number, at least 0")
        interval = self.pass_interval_s
        if interval is not None and not (math.isfinite(interval) and interval > 0.0):
            raise InvalidInput("pass_interval_s", "must be greater than 0, or None")


@dataclass(frozen=True, slots=True)
class OwnTrack:
    report: PositionReport
    conformance: ConformanceState | None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    accepted: int
    ignored: int
    """Reports older than the one held for the same track, or already stale."""


@dataclass(frozen=True, slots=True)
class PassSummary:
    at: datetime
    tracks: int
    conflicts: int
    dropped: tuple[str, ...]
    """Track ids that went stale this pass (plain ids: of whichever party)."""


@dataclass(slots=True)
class PassStats:
    """Detection passes run since start, their total time, and the tracks the last one
    saw: plain figures the service's metrics read (updated under the picture's lock)."""

    passes: int = 0
    seconds: float = 0.0
    tracks: int = 0


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class LivePicture:
    """The service's live tactical state; every public method is thread-safe."""

    def __init__(
        self,
        config: LiveConfig | None = None,
        *,
        load_operation: OperationLoader | None = None,
        on_state: StateSink | None = None,
        on_alerts: AlertSink | None = None,
        on_disclosed: DisclosureSink | None = None,
        on_submitted: ReportSink | None = None,
        on_acknowledged: AckSink | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """``on_submitted(party, reports)`` hears of the reports a party submitted here
        (and this picture accepted), ``on_acknowledged(party, alert_id)`` of an
        acknowledgement made here: what other replicas' pictures need (``ingest``,
        ``acknowledged_elsewhere``) to stay one picture."""
        self.config = config or LiveConfig()
        self._on_submitted = on_submitted or (lambda _party, _reports: None)
        self._on_acknowledged = on_acknowledged or (lambda _party, _alert_id: None)
        self._agreed: dict[int, int] = {}
        """This picture's alert id -> the id the replicas agreed on (``adopt_ids``)."""
        self._load_operation = load_operation or (lambda _op_id: None)
        self._on_state = on_state or (lambda _change: True)
        self._on_alerts = on_alerts or (lambda _notices: None)
        self._on_disclosed = on_disclosed or (lambda _shown: None)
        self._shown: dict[str, set[str]] = {}
        """Track key -> viewers already recorded as shown it outside an alert."""
        self._clock = clock
        self._lock = threading.Lock()
        self._callback_lock = threading.Lock()
        self._alias_key = secrets.token_bytes(32)
        self._tracks: dict[str, PositionReport] = {}
        """Track key (``track_key``) -> latest report; every other table uses these keys."""
        first_id = max(1, int(clock().timestamp() * 1_000_000))
        self._book = AlertBook(self.config.alerts, first_id=first_id)
        self._resolved: dict[int, tuple[Alert, float]] = {}
        self._advice: dict[str, Advisory] = {}
        self._cleared: frozenset[tuple[str, str]] = frozenset()
        self._senses: dict[tuple[str, str], Sense] = {}
        """Alert pair -> the sense of its advisories, kept until the alert resolves."""
        self._machines: dict[str, dict[str, ConformanceMachine]] = {}
        self._track_operation: dict[str, str] = {}
        self._reported: dict[str, ConformanceState] = {}
        self._op_states: dict[str, OperationState] = {}
        self._op_party: dict[str, str] = {}
        self._pending: list[StateChange | list[AlertNotice]] = []
        self.stats = PassStats()

    # ----------------------------------------------------------------- writes

    def submit(self, party: str, reports: Sequence[PositionReport]) -> SubmitResult:
        """Store one party's batch and run a pass; all or nothing.

        Raises ``InvalidInput`` (field ``[k].name``) or ``NotYourTrack`` (a report names
        another party's operation) before anything is stored. Any track id is the
        submitter's own: whether another party uses it too must not change the answer.
        """
        now_s = self._clock().timestamp()
        for k, r in enumerate(reports):
            if r.party != party:
                raise InvalidInput(f"[{k}].party", "every report must be the submitter's")
            if r.time_s > now_s + self.config.max_future_s:
                raise InvalidInput(
                    f"[{k}].time",
                    f"is more than {self.config.max_future_s:g} s ahead of the service clock",
                )
        taken = self._take(party, reports, now_s)
        if taken:
            try:
                self._on_submitted(party, taken)
            except Exception:
                log.exception("could not share %d reports with the other replicas", len(taken))
        return SubmitResult(len(taken), len(reports) - len(taken))

    def ingest(self, party: str, reports: Sequence[PositionReport]) -> int:
        """Reports another replica accepted (``on_submitted`` there): taken as if
        submitted here, without the submitter's checks, which that replica made, and
        without sharing them again. Returns how many were newer than those held."""
        for r in reports:
            if r.party != party:
                raise InvalidInput("party", "every report must be the submitter's")
        return len(self._take(party, reports, self._clock().timestamp()))

    def _take(
        self, party: str, reports: Sequence[PositionReport], now_s: float
    ) -> list[PositionReport]:
        """Store the reports newer than those held, monitor them, run a pass."""
        operations = self._operations_of(party, reports)
        taken: list[PositionReport] = []
        with self._lock:
            for op_id, op in operations.items():
                self._op_states[op_id] = op.state
            for r in sorted(reports, key=lambda rep: rep.time_s):
                key = track_key(party, r.id)
                held = self._tracks.get(key)
                if now_s - r.time_s > self.config.stale_after_s or (
                    held is not None and r.time_s < held.time_s
                ):
                    continue
                self._tracks[key] = r
                taken.append(r)
                self._monitor(key, r, operations)
            self._pass_locked(now_s)
        self._flush()
        return taken

    def run_pass(self) -> PassSummary:
        """One detection pass at the clock's current time (what the ticker calls)."""
        now_s = self._clock().timestamp()
        with self._lock:
            summary = self._pass_locked(now_s)
        self._flush()
        return summary

    def acknowledge(self, party: str, alert_id: int) -> bool:
        """Acknowledge an active alert that concerns one of ``party``'s aircraft.

        Both parties of the alert are told (``acknowledged``): the other side learns that
        someone is looking at it, which is what an acknowledgement is for.
        """
        if not self._acknowledge(party, alert_id, tell=True):
            return False
        self._flush()
        try:
            self._on_acknowledged(party, alert_id)
        except Exception:
            log.exception("could not share the acknowledgement of alert %s", alert_id)
        return True

    def acknowledged_elsewhere(self, party: str, alert_id: int) -> bool:
        """An acknowledgement another replica took and announced: recorded here so
        this picture shows it too, announced to no one again."""
        return self._acknowledge(party, alert_id, tell=False)

    def adopt_ids(self, agreed: dict[int, int]) -> None:
        """Show these alerts under the ids the replicas agreed on (this picture's own
        id -> the agreed one): another replica announced the alert first."""
        if agreed:
            with self._lock:
                self._agreed.update(agreed)

    def _acknowledge(self, party: str, alert_id: int, tell: bool) -> bool:
        now_s = self._clock().timestamp()
        with self._lock:
            for alert in self._book.active():
                if self._id(alert) == alert_id and party in (
                    _party_of(alert.a),
                    _party_of(alert.b),
                ):
                    event = self._book.acknowledge(alert.alert_id, party, now_s)
                    if event is None:
                        return False
                    if tell:
                        self._pending.append(self._notices(event.kind, event.alert, by=party))
                    return True
            return False

    def _id(self, alert: Alert) -> int:
        """The alert's id as the replicas agreed on it (its own until told otherwise)."""
        return self._agreed.get(alert.alert_id, alert.alert_id)

    # ------------------------------------------------------------------ reads

    def alerts_for(self, party: str, sharing: Sharing = NO_AGREEMENTS) -> list[PartyAlert]:
        """Active and recently resolved alerts involving ``party``'s aircraft, by id."""
        with self._lock:
            alerts = [*self._book.active(), *(a for a, _ in self._resolved.values())]
            out: list[PartyAlert] = []
            for alert in sorted(alerts, key=self._id):
                for own, other in ((alert.a, alert.b), (alert.b, alert.a)):
                    if _party_of(own) == party:
                        view = self._party_alert(party, alert, own, other)
                        other_party = _party_of(other)
                        if other_party != party and sharing.may_identify(party, other_party):
                            view = identified(view, _id_of(other), other_party)
                        out.append(view)
            return out

    def tracks_for(
        self, party: str, sharing: Sharing = NO_AGREEMENTS
    ) -> tuple[list[OwnTrack], list[Traffic]]:
        """The party's own tracks, and others' only where ``sharing`` allows it.

        By default (no agreement) that is while they are in an active alert with one of
        the party's aircraft, or off-nominal. The first time a viewer is shown an
        aircraft outside an alert, ``on_disclosed`` hears of it (the audit trail).
        """
        disclosed: list[Disclosed] = []
        with self._lock:
            own: list[OwnTrack] = []
            traffic: dict[str, Traffic] = {}
            in_conflict = self._in_conflict_with(party)
            for tid, r in sorted(self._tracks.items(), key=lambda kv: kv[1].id):
                owner = r.party
                if owner == party:
                    own.append(OwnTrack(r, self._conformance_of(tid)))
                    continue
                off_nominal = self._off_nominal(tid, r)
                if not sharing.may_see_telemetry(
                    party,
                    owner,
                    in_conflict_with_viewer=tid in in_conflict,
                    off_nominal=off_nominal,
                ):
                    continue
                view = self._traffic(party, tid, off_nominal)
                identify = sharing.may_identify(party, owner)
                if identify:
                    view = replace(view, id=r.id, party=owner)
                traffic[view.alias] = view
                viewers = self._shown.setdefault(tid, set())
                if tid not in in_conflict and party not in viewers:
                    viewers.add(party)
                    reason = "off_nominal" if off_nominal else "agreement"
                    disclosed.append(Disclosed(party, owner, r.id, reason, identify))
        if disclosed:
            try:
                self._on_disclosed(disclosed)
            except Exception:
                log.exception("could not record %d track disclosures", len(disclosed))
        return own, [traffic[k] for k in sorted(traffic)]

    def everything(self) -> list[OwnTrack]:
        """Every live track in full: the service operator's view, nobody else's."""
        with self._lock:
            ordered = sorted(self._tracks.items(), key=lambda kv: (kv[1].id, kv[1].party))
            return [OwnTrack(r, self._conformance_of(key)) for key, r in ordered]

    def alias(self, viewer: str, owner: str, track_id: str) -> str:
        """How ``viewer`` sees ``owner``'s ``track_id``: stable, unlinkable across viewers.

        The owner is part of the MAC: two parties' aircraft under one id are two aliases.
        """
        subject = track_key(owner, track_id)
        mac = hmac.new(self._alias_key, f"{viewer}\x00{subject}".encode(), hashlib.sha256)
        return f"traffic-{mac.hexdigest()[:12]}"

    # --------------------------------------------------------------- internals

    def _operations_of(
        self, party: str, reports: Sequence[PositionReport]
    ) -> dict[str, MonitoredOperation]:
        """Load each operation the batch names once, outside the lock (it may hit SQL)."""
        loaded: dict[str, MonitoredOperation] = {}
        for k, r in enumerate(reports):
            op_id = r.operation
            if op_id is None or op_id in loaded:
                continue
            op = self._load_operation(op_id)
            if op is None:
                raise InvalidInput(f"[{k}].operation", f"no operation {op_id!r}")
            if op.party != party:
                raise NotYourTrack(f"operation {op_id!r} belongs to another party")
            loaded[op_id] = op
        return loaded

    def _monitor(
        self, key: str, r: PositionReport, operations: dict[str, MonitoredOperation]
    ) -> None:
        previous = self._track_operation.get(key)
        if previous is not None and previous != r.operation:
            # The aircraft now flies something else: its old operation no longer has it.
            self._machines.get(previous, {}).pop(key, None)
            del self._track_operation[key]
            self._note(previous, r.time_s)
        if r.operation is None:
            return
        op = operations[r.operation]
        if op.state not in MONITORED_STATES:
            # Ended (or not yet started): whatever was being watched is over, and must not
            # escalate later and drag a finished operation back to Contingent.
            for tid in self._machines.pop(r.operation, {}):
                self._track_operation.pop(tid, None)
            self._reported.pop(r.operation, None)
            return
        self._track_operation[key] = r.operation
        self._op_party[r.operation] = op.party
        machines = self._machines.setdefault(r.operation, {})
        machine = machines.get(key)
        if machine is None:
            machine = machines[key] = ConformanceMachine(self.config.conformance)
        inside = any_volume_contains(
            op.volumes, r.lon, r.lat, r.alt_m, r.time, self.config.conformance_tolerance_m
        )
        machine.observe(r.time_s, inside)
        self._note(r.operation, r.time_s)

    def _note(self, op_id: str, now_s: float) -> None:
        """Queue a state change when the operation's worst track changed level.

        Only changes the monitor itself caused are reported: an operation a party put in
        Contingent by hand is not flipped back to Activated because its aircraft is inside.
        """
        machines = self._machines.get(op_id, {})
        worst = max(
            (m.state for m in machines.values()),
            key=_RANK.__getitem__,
            default=ConformanceState.CONFORMING,
        )
        before = self._reported.get(op_id, ConformanceState.CONFORMING)
        if worst is not before:
            aircraft = tuple(
                Position(r.time, r.lat, r.lon, r.alt_m)
                for tid in sorted(machines)
                if (r := self._tracks.get(tid)) is not None
            )
            party = self._op_party.get(op_id, "")
            state = _TO_OPERATION_STATE[worst]
            self._pending.append(StateChange(op_id, party, state, _at(now_s), aircraft))
        if worst is ConformanceState.CONFORMING and not machines:
            self._reported.pop(op_id, None)
            self._machines.pop(op_id, None)
            self._op_party.pop(op_id, None)
        else:
            self._reported[op_id] = worst

    def _flush(self) -> None:
        """Deliver queued state changes and alert notices in order, outside the lock.

        The callbacks write to the store; holding the picture's lock through a database
        round trip would stall every other party's submissions. A second lock keeps two
        threads from delivering changes out of order.
        """
        with self._callback_lock:
            while True:
                with self._lock:
                    pending, self._pending = self._pending, []
                if not pending:
                    return
                for item in pending:
                    self._deliver(item)

    def _deliver(self, item: StateChange | list[AlertNotice]) -> None:
        if isinstance(item, StateChange):
            try:
                applied = self._on_state(item)
            except Exception:
                log.exception("could not set operation %s to %s", item.operation, item.state)
                return
            if applied:
                with self._lock:
                    self._op_states[item.operation] = item.state
            return
        try:
            self._on_alerts(item)
        except Exception:
            log.exception("could not publish %d alert events", len(item))

    def _pass_locked(self, now_s: float) -> PassSummary:
        start = time.perf_counter()
        summary = self._detect_locked(now_s)
        self.stats.passes += 1
        self.stats.seconds += time.perf_counter() - start
        self.stats.tracks = summary.tracks
        return summary

    def _detect_locked(self, now_s: float) -> PassSummary:
        cutoff = now_s - self.config.stale_after_s
        dropped = tuple(sorted(t for t, r in self._tracks.items() if r.time_s < cutoff))
        for tid in dropped:
            del self._tracks[tid]
            self._shown.pop(tid, None)
        keys = sorted(self._tracks)
        reports = [self._tracks[t] for t in keys]
        observations: list[Observation] = []
        self._advice, self._cleared = {}, frozenset()
        if len(reports) > 1:
            states = align(
                StateVectors.from_arrays(
                    keys,
                    [r.lat for r in reports],
                    [r.lon for r in reports],
                    [r.alt_m for r in reports],
                    [r.vn_mps for r in reports],
                    [r.ve_mps for r in reports],
                    [r.vs_mps for r in reports],
                    [r.party for r in reports],
                ),
                [r.time_s for r in reports],
                now_s,
            )
            conflicts = detect(states, self.config.params)
            observations = [Observation.from_record(c) for c in conflict_records(states, conflicts)]
            if len(conflicts):
                res = resolve(
                    states,
                    self.config.params,
                    self.config.maneuver,
                    conflicts=conflicts,
                    senses=self._senses,
                )
                self._advice = {a.id: a for a in res.advisories}
                self._cleared = res.cleared
                self._senses.update(res.senses)
                for pair in sorted(res.reversed):
                    log.warning(
                        "advisory sense reversed for %s/%s: the kept one no longer clears", *pair
                    )
        notices: list[AlertNotice] = []
        for event in self._book.update(now_s, observations):
            if event.kind is EventKind.RESOLVED:
                self._resolved[event.alert.alert_id] = (event.alert, now_s)
            notices += self._notices(event.kind, event.alert)
        if notices:
            self._pending.append(notices)
        live_pairs = {(al.a, al.b) for al in self._book.active()}
        self._senses = {p: k for p, k in self._senses.items() if p in live_pairs}
        for alert_id, (_, at) in list(self._resolved.items()):
            if now_s - at > self.config.resolved_retention_s:
                del self._resolved[alert_id]
                self._agreed.pop(alert_id, None)
        self._tick_conformance(now_s)
        dropped_ids = tuple(sorted(_id_of(t) for t in dropped))
        return PassSummary(_at(now_s), len(reports), len(observations), dropped_ids)

    def _notices(self, kind: EventKind, alert: Alert, by: str | None = None) -> list[AlertNotice]:
        """One notice per party and own aircraft in the alert, as ``alerts_for`` shows it."""
        out: list[AlertNotice] = []
        for own, other in ((alert.a, alert.b), (alert.b, alert.a)):
            party = _party_of(own)
            view = self._party_alert(party, alert, own, other)
            other_party = _party_of(other)
            out.append(AlertNotice(kind, party, view, other_party, _id_of(other), by))
        return out

    def _tick_conformance(self, now_s: float) -> None:
        for op_id in list(self._machines):
            machines = self._machines[op_id]
            for tid in list(machines):
                machine = machines[tid]
                machine.tick(now_s)
                if tid not in self._tracks and machine.state is ConformanceState.CONFORMING:
                    # Gone while conforming: nothing left to escalate or to recover from.
                    del machines[tid]
                    self._track_operation.pop(tid, None)
            self._note(op_id, now_s)

    def _conformance_of(self, key: str) -> ConformanceState | None:
        op_id = self._track_operation.get(key)
        machine = None if op_id is None else self._machines.get(op_id, {}).get(key)
        return None if machine is None else machine.state

    def _off_nominal(self, key: str, r: PositionReport) -> bool:
        """Out of its volumes by monitoring, or its operation off-nominal by any cause."""
        conformance = self._conformance_of(key)
        if conformance is not None and conformance is not ConformanceState.CONFORMING:
            return True
        return r.operation is not None and self._op_states.get(r.operation) in OFF_NOMINAL_STATES

    def _in_conflict_with(self, party: str) -> set[str]:
        """Other parties' track keys in an active alert with one of ``party``'s aircraft."""
        out: set[str] = set()
        for alert in self._book.active():
            for mine, other in ((alert.a, alert.b), (alert.b, alert.a)):
                if _party_of(mine) == party:
                    out.add(other)
        return out

    def _traffic(self, viewer: str, key: str, off_nominal: bool = False) -> Traffic:
        r = self._tracks[key]
        return Traffic(
            self.alias(viewer, r.party, r.id),
            r.time,
            r.lat,
            r.lon,
            r.alt_m,
            r.gs_mps,
            r.track_deg,
            r.vs_mps,
            off_nominal,
        )

    def _party_alert(self, party: str, alert: Alert, own: str, other: str) -> PartyAlert:
        """The anonymous view (the plain one when both aircraft are ``party``'s).

        ``own`` and ``other`` are track keys; the view carries plain ids and aliases
        only, its ``latest`` observation included.
        """
        other_party, other_id = split_key(other)
        mine = other_party == party
        active = alert.state is not AlertState.RESOLVED
        advisory = self._advice.get(own) if active else None
        if advisory is not None:
            advisory = replace(advisory, id=_id_of(own))
        pair = (alert.a, alert.b)
        traffic = None
        if not mine and active and other in self._tracks:
            traffic = self._traffic(party, other, self._off_nominal(other, self._tracks[other]))
        alias = None if mine else self.alias(party, other_party, other_id)
        shown = other_id if alias is None else alias
        names = (_id_of(own), shown) if own == alert.latest.a else (shown, _id_of(own))
        return PartyAlert(
            alert_id=self._id(alert),
            own=_id_of(own),
            other_id=other_id if mine else None,
            other_alias=alias,
            other_traffic=traffic,
            state=alert.state,
            severity=alert.severity,
            acknowledged=party in alert.acknowledged_by,
            latest=replace(alert.latest, a=names[0], b=names[1]),
            first_seen=_at(alert.first_seen_s),
            last_seen=_at(alert.last_seen_s),
            advisory=advisory,
            advisory_clears=None if advisory is None else pair in self._cleared,
            advisory_reversed=advisory is not None
            and pair in self._senses
            and self._senses[pair].reversed,
        )
