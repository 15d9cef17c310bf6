"""From the service settings (``Settings.tactical``) to the live picture's configuration.

The settings are the operator's flat, environment-friendly form; ``LiveConfig`` is the
structured one the tactical modules validate and use. This is the only translation
between them, so a new setting is added in exactly two places.
"""

from __future__ import annotations

from deconflict.settings import TacticalSettings
from deconflict.tactical.alerts import AlertThresholds
from deconflict.tactical.conformance import ConformanceThresholds
from deconflict.tactical.live import LiveConfig
from deconflict.tactical.separation import ProtectedZone, TacticalParams


def live_config(s: TacticalSettings) -> LiveConfig:
    """The live picture's configuration; ``InvalidInput`` names an inconsistent value
    (e.g. a negative or non-finite vertical tolerance)."""
    zones = {
        party: ProtectedZone(z.radius_m, z.half_height_m, z.vertical_tolerance_m)
        for party, z in s.party_zones.items()
    }
    params = TacticalParams(
        ProtectedZone(s.radius_m, s.half_height_m, s.vertical_tolerance_m),
        s.lookahead_s,
        zones,
    )
    return LiveConfig(
        params=params,
        alerts=AlertThresholds(
            caution_s=s.caution_s,
            warning_s=s.warning_s,
            downgrade_margin_s=s.downgrade_margin_s,
            resolve_after_s=s.resolve_after_s,
        ),
        conformance=ConformanceThresholds(s.nonconforming_after_s, s.contingent_after_s),
        conformance_tolerance_m=s.conformance_tolerance_m,
        stale_after_s=s.stale_after_s,
        max_future_s=s.max_future_s,
        resolved_retention_s=s.resolved_retention_s,
        pass_interval_s=s.pass_interval_s or None,
        near_distance_m=s.near_distance_m,
        near_vertical_m=s.near_vertical_m,
    )
