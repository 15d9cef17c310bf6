"""The JSON a party gets of tracks, traffic and alerts: one form for the tactical
routes, the WebSocket answers and the ``alert.*`` party events, so they cannot differ
in what they show."""

from __future__ import annotations

import math
from typing import Any

from deconflict.model.times import rfc3339
from deconflict.tactical.live import (
    OwnTrack,
)
from deconflict.tactical.views import PartyAlert, Traffic


def _num(x: float, digits: int = 3) -> float | None:
    return round(x, digits) if math.isfinite(x) else None


def own_track_json(t: OwnTrack, with_party: bool = False) -> dict[str, Any]:
    r = t.report
    party = {"party": r.party} if with_party else {}
    return {
        "id": r.id,
        **party,
        "time": rfc3339(r.time),
        "lat": r.lat,
        "lon": r.lon,
        "alt_m": r.alt_m,
        "gs_mps": _num(r.gs_mps),
        "track_deg": _num(r.track_deg),
        "vn_mps": r.vn_mps,
        "ve_mps": r.ve_mps,
        "vs_mps": r.vs_mps,
        "operation": r.operation,
        "conformance": None if t.conformance is None else t.conformance.value,
    }


def traffic_json(t: Traffic) -> dict[str, Any]:
    """Anonymous unless an agreement identified it (then ``id`` and ``party`` too)."""
    named = {} if t.id is None else {"id": t.id, "party": t.party}
    return {
        "alias": t.alias,
        **named,
        "time": rfc3339(t.time),
        "lat": t.lat,
        "lon": t.lon,
        "alt_m": t.alt_m,
        "gs_mps": _num(t.gs_mps),
        "track_deg": _num(t.track_deg),
        "vs_mps": t.vs_mps,
        "off_nominal": t.off_nominal,
    }


def alert_json(a: PartyAlert) -> dict[str, Any]:
    other: dict[str, Any] = {}
    if a.other_alias is not None:
        other["alias"] = a.other_alias
    if a.other_id is not None:
        other["id"] = a.other_id
    if a.other_party is not None:
        other["party"] = a.other_party
    if a.other_traffic is not None:
        other["state"] = traffic_json(a.other_traffic)
    advisory = None
    if a.advisory is not None:
        adv = a.advisory
        advisory = {
            "gs_mps": _num(adv.gs_mps),
            "track_deg": _num(adv.track_deg),
            "vs_mps": _num(adv.vs_mps),
            "d_gs_mps": _num(adv.d_gs_mps),
            "d_track_deg": _num(adv.d_track_deg),
            "d_vs_mps": _num(adv.d_vs_mps),
            "clears": a.advisory_clears,
            "reversed": a.advisory_reversed,
        }
    obs = a.latest
    return {
        "id": a.alert_id,
        "own": a.own,
        "other": other,
        "severity": a.severity.name.lower(),
        "state": a.state.value,
        "acknowledged": a.acknowledged,
        "los": obs.los,
        "tcpa_s": _num(obs.tcpa_s),
        "dcpa_m": _num(obs.dcpa_m),
        "t_in_s": _num(obs.t_in_s),
        "t_out_s": _num(obs.t_out_s),
        "first_seen": rfc3339(a.first_seen),
        "last_seen": rfc3339(a.last_seen),
        "advisory": advisory,
    }
