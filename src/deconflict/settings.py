"""One settings object, read from the environment (``DECONFLICT_*``) and a TOML file,
and passed down.

Nothing reads configuration from globals: the CLI and the server build a ``Settings``
and hand it to the pieces that need it. Precedence (``docs/configuration.md``): a
command's flags (applied by the CLI on top) > ``DECONFLICT_*`` variables > the file
``DECONFLICT_CONFIG`` names > the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from deconflict.auth.trust import AuthSettings
from deconflict.equal_priority import EqualPriorityPolicy as EqualPriorityPolicy  # re-exported
from deconflict.errors import ConfigError


class NotifySettings(BaseModel):
    """Durable notifications: USS delivery (F3548) and the party event log.

    Delays are seconds. The defaults aim at F3548's "notify within 5 s" in normal running
    while a receiver that is down for a while still gets everything, in order, once it
    is back (up to ``give_up_s``; after that a notification is dead-lettered).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    deliver_uss_notifications: bool = Field(
        default=True,
        description="Also POST F3548 notifications to subscribers; the DSS responses keep "
        "listing `subscribers` either way, for USSs that notify each other themselves.",
    )
    worker_in_process: bool = Field(
        default=True,
        description="Run the delivery worker inside `serve`; turn off when `deconflict "
        "worker` runs separately.",
    )
    retry_base_s: float = Field(
        default=0.5, gt=0, description="First retry delay of a failed delivery; it doubles."
    )
    retry_max_s: float = Field(default=60.0, gt=0, description="Longest retry delay.")
    give_up_s: float = Field(
        default=3600.0, gt=0, description="A notification undelivered this long is dead-lettered."
    )
    request_timeout_s: float = Field(
        default=5.0, gt=0, description="Timeout of one POST to a subscriber."
    )
    poll_interval_s: float = Field(
        default=0.1, gt=0, description="How often the worker looks for due notifications."
    )
    lease_s: float = Field(
        default=30.0,
        gt=0,
        description="A worker's claim on a notification; past it another worker may resend.",
    )
    batch_size: int = Field(default=64, ge=1, description="Notifications claimed at once.")
    event_retention_s: float = Field(
        default=7 * 86400.0,
        gt=0,
        description="How long party events stay in the log a stream catches up from.",
    )
    delivered_retention_s: float = Field(
        default=86400.0, gt=0, description="How long delivered notifications are kept."
    )
    name_other_operation: bool = Field(
        default=False,
        description="Conflict notices name the other operation and party. Off by default: "
        "need-to-know says where and when, not who.",
    )
    service_subject: str = Field(
        default="deconflict", min_length=1, description="`sub` of the tokens the service mints."
    )


class HotlineSettings(BaseModel):
    """The hotline: messages between parties that must be acknowledged in time.

    An unacknowledged message escalates once its deadline passes (to the sender and to
    ``operator_party``). Bounds on the deadline keep a sender from asking for an answer
    faster than people can give one, or from parking a message that never escalates.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_deadline_s: float = Field(
        default=120.0, gt=0, description="Deadline of a message that names none."
    )
    min_deadline_s: float = Field(default=10.0, gt=0, description="Shortest deadline allowed.")
    max_deadline_s: float = Field(default=3600.0, gt=0, description="Longest deadline allowed.")
    max_text_chars: int = Field(default=2000, ge=1, description="Longest message text.")
    operator_party: str = Field(
        default="operator",
        min_length=1,
        description="Party whose event stream receives every escalation.",
    )
    escalation_interval_s: float = Field(
        default=1.0, gt=0, description="How often overdue messages are looked for."
    )
    escalation_in_process: bool = Field(
        default=True, description="Run the escalation loop inside `serve`."
    )
    escalation_batch: int = Field(
        default=100, ge=1, description="Overdue messages escalated per look."
    )


class ZoneOverride(BaseModel):
    """One party's protected zone (e.g. 50 m / 15 m for small drones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    radius_m: float = Field(gt=0, description="Protected zone radius.")
    half_height_m: float = Field(gt=0, description="Protected zone half-height.")
    vertical_tolerance_m: float = Field(
        default=0.0, ge=0, description="Widens this zone's half-height (see TacticalSettings)."
    )


class TacticalSettings(BaseModel):
    """Tactical deconfliction: detection, alerting, conformance (docs/tactical.md).

    Defaults are the en-route values (5 NM, 1,000 ft, 300 s); ``party_zones`` gives
    parties flying small drones their own zone, e.g.
    ``DECONFLICT_TACTICAL__PARTY_ZONES='{"dronecorp": {"radius_m": 50, "half_height_m": 15}}'``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    radius_m: float = Field(default=9260.0, gt=0, description="Protected zone radius.")
    half_height_m: float = Field(default=304.8, gt=0, description="Protected zone half-height.")
    vertical_tolerance_m: float = Field(
        default=0.0,
        ge=0,
        description="Altitude quantisation allowance, added to H (|dz| < H + tolerance): "
        "it widens the zone, never narrows it; 0 judges exactly the stated zone.",
    )
    lookahead_s: float = Field(
        default=300.0, gt=0, description="How far ahead losses are predicted."
    )
    party_zones: dict[str, ZoneOverride] = Field(
        default_factory=dict, description="A party's own protected zone, by party name."
    )
    stale_after_s: float = Field(
        default=30.0, ge=0, description="A track without reports this long drops out."
    )
    max_future_s: float = Field(
        default=5.0, ge=0, description="Clock skew allowed for a report's time ahead of now."
    )
    pass_interval_s: float = Field(
        default=1.0, ge=0, description="Background detection pass period; 0 turns it off."
    )
    caution_s: float = Field(default=120.0, ge=0, description="t_in at or below: caution.")
    warning_s: float = Field(default=30.0, ge=0, description="t_in below: warning.")
    downgrade_margin_s: float = Field(
        default=10.0, ge=0, description="An alert is downgraded once t_in clears by this much."
    )
    resolve_after_s: float = Field(
        default=10.0, ge=0, description="Absence of the loss before an alert resolves."
    )
    resolved_retention_s: float = Field(
        default=60.0, ge=0, description="How long GET /v1/alerts still lists a resolved alert."
    )
    conformance_tolerance_m: float = Field(
        default=10.0, ge=0, description="Distance outside the volumes still counted inside."
    )
    nonconforming_after_s: float = Field(
        default=10.0, ge=0, description="Time outside before the operation is Nonconforming."
    )
    contingent_after_s: float = Field(
        default=60.0, ge=0, description="Further time outside before it is Contingent."
    )
    near_distance_m: float = Field(
        default=10_000.0, ge=0, description="Who is told of an off-nominal operation."
    )
    near_vertical_m: float = Field(
        default=300.0, ge=0, description="Altitude within which a party counts as near."
    )


class LimitsSettings(BaseModel):
    """What one request may cost, checked before any covering or search (docs/limits.md).

    A request over a limit is refused at once: 400 naming the field and the limit, or
    413 for counts (volumes, estimated cells). Defaults follow the reference DSS where
    it has a bound (2,500 km², 30 days, 10,000 vertices).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_area_km2: float = Field(
        default=2500.0,
        gt=0,
        description="Largest footprint of an operation volume, constraint volume or zone "
        "sector (the reference DSS's bound).",
    )
    plan_horizon_s: float = Field(
        default=30 * 86400.0,
        gt=0,
        description="How far ahead an operation volume may start (F3548's 30 days).",
    )
    max_volume_duration_s: float = Field(
        default=30 * 86400.0, gt=0, description="Longest time window of one operation volume."
    )
    max_altitude_span_m: float = Field(
        default=100_000.0, gt=0, description="Widest altitude band of one operation volume."
    )
    max_volumes: int = Field(
        default=20_000, ge=1, description="Most volumes in one request (all its operations)."
    )
    max_vertices: int = Field(
        default=10_000, ge=3, le=10_000, description="Most vertices of one polygon (F3548)."
    )
    max_query_area_km2: float = Field(
        default=100_000.0,
        gt=0,
        description="Largest area one native query searches (the bbox of GET "
        "/v1/operations or /v1/constraints): a region, about 3° by 3° at the equator.",
    )
    max_f3548_area_km2: float = Field(
        default=2500.0,
        gt=0,
        description="Largest F3548 extent: intents, constraints, subscriptions, queries.",
    )
    max_request_cells: int = Field(
        default=1_000_000,
        ge=1,
        description="Most cells a request's coverings may take, estimated from areas and "
        "perimeters before any is computed.",
    )
    heavy_request_cells: int = Field(
        default=20_000,
        ge=1,
        description="A request estimated at more cells than this is heavy: it needs one of "
        "its party's heavy slots.",
    )
    report_cell_level: int = Field(
        default=12,
        ge=0,
        le=30,
        description="Conflict reports show where another party's operation overlaps as the "
        "S2 cells of this level the two shapes share (12: cells about 2 km across), unless "
        "the viewer sees that operation in full; 30 shows the exact overlap.",
    )
    max_reports_per_hour: int = Field(
        default=120,
        ge=1,
        description="Planning answers (PUT, :check, :batch, state) reporting a conflict with "
        "another party's operation, per party per hour and per process; then 429.",
    )
    heavy_body_bytes: int = Field(
        default=256 * 1024,
        ge=1,
        description="A request body larger than this is heavy before it is validated.",
    )
    heavy_slots_per_party: int = Field(
        default=1,
        ge=1,
        description="Heavy requests one party may have running at once; more get 429.",
    )


class RateLimitSettings(BaseModel):
    """Requests per second per token subject and per client address, counted by each
    process in memory (token buckets: ``*_rps`` refill, ``*_burst`` capacity).

    Over either limit a request is answered 429 with ``Retry-After``. The defaults are
    generous (above what ``bench/api_load.py`` drives from one address and one token):
    they stop a runaway client loop, not a busy party; an operator sets them to what each
    party is meant to send. ``/healthy``, ``/ready`` and ``/metrics`` are never limited.
    With N replicas a client spread over all of them gets N times the rate.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(default=True, description="Off: no request is rate limited.")
    per_subject_rps: float = Field(
        default=1000.0,
        ge=0,
        description="Requests per second one token subject (party, USS) may send, "
        "sustained; 0: no per-subject limit.",
    )
    per_subject_burst: int = Field(
        default=2000, ge=1, description="Requests one subject may send at once after a pause."
    )
    per_address_rps: float = Field(
        default=2000.0,
        ge=0,
        description="Requests per second from one client address (authenticated or not, "
        "checked before the token); 0: no per-address limit.",
    )
    per_address_burst: int = Field(
        default=4000, ge=1, description="Requests one address may send at once after a pause."
    )
    max_tracked: int = Field(
        default=100_000,
        ge=1,
        description="Subjects or addresses counted at once, each kind; past it, idle ones "
        "are forgotten, and if none is idle the newcomers share one bucket.",
    )


DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8080"
"""Where the service answers as a USS when nothing says otherwise: ``serve``'s defaults."""


class DssSettings(BaseModel):
    """The service as an F3548 USS: the USS of its native parties (docs/dss.md).

    Native operations appear to USSs as operational intent references managed by
    ``manager`` at ``public_base_url``; the manager is the service's name, never a
    party's, so that no USS learns which party flies what.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    manager: str = Field(
        default="deconflict",
        min_length=1,
        description="The F3548 manager USSs see on native operations' references.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="The service's base URL as a USS (where USSs fetch native details); "
        "None: http://{host}:{port} of `deconflict serve`.",
    )
    relay_uss_notifications: bool = Field(
        default=False,
        description="Also POST a USS's own intent changes to the subscribers the DSS "
        "lists (off: F3548 makes the managing USS do it).",
    )

    @field_validator("public_base_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        """USSs call it: it must be an absolute http(s) URL; kept without a trailing
        slash, as F3548 paths are appended to it."""
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.rstrip("/")

    @property
    def base_url(self) -> str:
        """``public_base_url``, else serve's default address."""
        return self.public_base_url or DEFAULT_PUBLIC_BASE_URL


LogFormat = Literal["text", "json"]
"""``serve``'s log lines: ``text`` for a terminal, ``json`` (one object a line) for a log
pipeline; both carry the request id (``api/logs.py``)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DECONFLICT_", env_file=None, extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Keys, the audit key and the SQLite database (every command's default).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+psycopg://...); unset: deconflict.db in "
        "the data directory.",
    )
    equal_priority: EqualPriorityPolicy = Field(
        default=EqualPriorityPolicy.REJECT,
        description="Two overlapping operations of equal priority: the later is refused, or "
        "accepted with a notice.",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    tactical: TacticalSettings = Field(default_factory=TacticalSettings)
    hotline: HotlineSettings = Field(default_factory=HotlineSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    dss: DssSettings = Field(default_factory=DssSettings)
    log_format: LogFormat = Field(
        default="text", description="serve's log lines: text, or one JSON object a line."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the configuration file (first wins,
        nested tables merged key by key)."""
        return (init_settings, env_settings, ConfigFileSource(settings_cls))

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'deconflict.db').as_posix()}"


CONFIG_ENV = "DECONFLICT_CONFIG"
"""The variable naming the configuration file (``deconflict --config`` sets it)."""

CONFIG_FILE_NAME = "deconflict.toml"
"""The file the CLI reads from the data directory when nothing names another."""


def _file_model() -> type[BaseModel]:
    """``Settings``' fields as a plain model that refuses unknown keys: a file's content
    is checked alone (a ``BaseSettings`` would mix the environment in), and a key
    misspelt in a file is an error, where an unknown variable is only ignored."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in Settings.model_fields.items()
    }
    return create_model("ConfigFile", __config__=ConfigDict(extra="forbid"), **fields)


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's table, checked against the settings; ``ConfigError`` naming the file
    (and the key, or the line of a TOML syntax error) otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"configuration file {path}: cannot read it: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"configuration file {path}: not valid TOML: {exc}") from None
    try:
        _file_model().model_validate(data)
    except ValidationError as exc:
        problems = [f"{_key(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
        raise ConfigError(f"configuration file {path}: " + "; ".join(problems)) from None
    return data


def config_file(environ: dict[str, str] | None = None) -> Path | None:
    """The file ``DECONFLICT_CONFIG`` names, if any (an empty value names none)."""
    value = (os.environ if environ is None else environ).get(CONFIG_ENV, "")
    return Path(value) if value else None


class ConfigFileSource(PydanticBaseSettingsSource):
    """The settings of the file ``DECONFLICT_CONFIG`` names (nothing when unset)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # the whole table is given at once, below

    def __call__(self) -> dict[str, Any]:
        path = config_file()
        return read_config_file(path) if path is not None else {}
