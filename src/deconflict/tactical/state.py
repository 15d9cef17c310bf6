"""Aircraft state vectors, their validation, unit conversion and the Earth model.

Earth model: a sphere of radius ``EARTH_RADIUS_M`` (the IUGG mean radius). Every
aircraft is placed on that sphere by latitude and longitude (altitude is kept apart, as a
separate linear coordinate), and its ground velocity, given as north/east components in
its *own* local frame, is turned into an Earth-centred (ECEF) vector tangent to the sphere
at the aircraft. Working in ECEF rather than in latitude/longitude is what makes the
antimeridian and the poles ordinary places: there is no longitude wrap to get wrong and no
heading that is undefined, because every aircraft's north and east come from its own
position. The sphere differs from WGS-84 by at most about 0.5 % in local distances, which
is far below the uncertainty of a 300 s straight-line extrapolation; the detector says so
in its own docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconflict.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

EARTH_RADIUS_M = 6_371_008.8
KT_MPS = 1852.0 / 3600.0
FPM_MPS = 0.3048 / 60.0
MAX_ABS_ALT_M = 1_000_000.0
MAX_ABS_SPEED_MPS = 10_000.0


def knots_to_mps(knots: float) -> float:
    """Ground speeds often arrive in knots; everything inside is metres per second."""
    return knots * KT_MPS


def feet_per_minute_to_mps(fpm: float) -> float:
    """Vertical rates often arrive in ft/min; everything inside is metres per second."""
    return fpm * FPM_MPS


def velocity_from_track(gs_mps: FloatArray, track_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """North and east components of a ground speed along a true track (clockwise from north)."""
    rad = np.radians(track_deg)
    return gs_mps * np.cos(rad), gs_mps * np.sin(rad)


def track_from_velocity(vn_mps: FloatArray, ve_mps: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Ground speed and true track in [0, 360) from north and east components."""
    gs = np.hypot(vn_mps, ve_mps)
    track = np.mod(np.degrees(np.arctan2(ve_mps, vn_mps)), 360.0)
    return gs, track


@dataclass(frozen=True)
class StateVectors:
    """A snapshot of N aircraft, all valid at the same instant, as parallel arrays.

    Parallel arrays rather than a list of objects because detection is vectorised: the
    arrays go straight into NumPy without a per-aircraft Python loop.
    """

    ids: tuple[str, ...]
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_m: FloatArray
    vn_mps: FloatArray
    ve_mps: FloatArray
    vs_mps: FloatArray
    parties: tuple[str | None, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("lat_deg", "lon_deg", "alt_m", "vn_mps", "ve_mps", "vs_mps"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise InvalidInput(name, f"must have shape ({n},), got {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise InvalidInput(name, "must be finite")
        if self.parties is not None and len(self.parties) != n:
            raise InvalidInput("parties", f"must have {n} entries")
        if np.any(np.abs(self.lat_deg) > 90.0):
            raise InvalidInput("lat_deg", "must be between -90 and 90")
        # Bounds far beyond any aircraft, so that garbage cannot overflow the binning.
        if np.any(np.abs(self.alt_m) > MAX_ABS_ALT_M):
            raise InvalidInput("alt_m", f"must be within +-{MAX_ABS_ALT_M:.0f} m")
        for name in ("vn_mps", "ve_mps", "vs_mps"):
            if np.any(np.abs(getattr(self, name)) > MAX_ABS_SPEED_MPS):
                raise InvalidInput(name, f"must be within +-{MAX_ABS_SPEED_MPS:.0f} m/s")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_arrays(
        cls,
        ids: Sequence[str],
        lat_deg: npt.ArrayLike,
        lon_deg: npt.ArrayLike,
        alt_m: npt.ArrayLike,
        vn_mps: npt.ArrayLike,
        ve_mps: npt.ArrayLike,
        vs_mps: npt.ArrayLike,
        parties: Sequence[str | None] | None = None,
    ) -> StateVectors:
        """Build from anything array-like, copying into contiguous float64 arrays."""

        def f(x: npt.ArrayLike) -> FloatArray:
            return np.ascontiguousarray(x, dtype=np.float64).reshape(-1)

        return cls(
            tuple(ids),
            f(lat_deg),
            f(lon_deg),
            f(alt_m),
            f(vn_mps),
            f(ve_mps),
            f(vs_mps),
            None if parties is None else tuple(parties),
        )

    def with_velocities(
        self, vn_mps: FloatArray, ve_mps: FloatArray, vs_mps: FloatArray
    ) -> StateVectors:
        """The same aircraft flying other velocities (how advisories are checked)."""
        return StateVectors(
            self.ids, self.lat_deg, self.lon_deg, self.alt_m, vn_mps, ve_mps, vs_mps, self.parties
        )

    def subset(self, index: npt.NDArray[np.intp]) -> StateVectors:
        """The aircraft at ``index``, in that order."""
        return StateVectors(
            tuple(self.ids[k] for k in index),
            self.lat_deg[index],
            self.lon_deg[index],
            self.alt_m[index],
            self.vn_mps[index],
            self.ve_mps[index],
            self.vs_mps[index],
            None if self.parties is None else tuple(self.parties[k] for k in index),
        )


def _number(record: Mapping[str, object], key: str, where: str) -> float:
    if key not in record:
        raise InvalidInput(f"{where}.{key}", "is required")
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where}.{key}", "must be a number")
    out = float(value)
    if not math.isfinite(out):
        raise InvalidInput(f"{where}.{key}", "must be finite")
    return out


def parse_states(records: object, prefix: str = "") -> StateVectors:
    """Validate wire records into ``StateVectors``.

    Each record has ``id``, ``lat``, ``lon``, ``alt_m``, ``vs_mps`` and either
    ``gs_mps`` + ``track_deg`` or ``vn_mps`` + ``ve_mps``; ``party`` is optional.
    Errors name the record as ``[index].field`` (under ``prefix``) so that the person who
    wrote the file can find the bad value.
    """
    if not isinstance(records, list):
        raise InvalidInput(prefix, "must be a JSON array of state objects")
    ids: list[str] = []
    seen: dict[str, int] = {}
    cols: dict[str, list[float]] = {k: [] for k in ("lat", "lon", "alt", "vn", "ve", "vs")}
    parties: list[str | None] = []
    for k, rec in enumerate(records):
        where = f"{prefix}[{k}]"
        if not isinstance(rec, Mapping):
            raise InvalidInput(where, "must be an object")
        ident = rec.get("id")
        if not isinstance(ident, str) or not ident:
            raise InvalidInput(f"{where}.id", "is required and must be a non-empty string")
        if ident in seen:
            raise InvalidInput(f"{where}.id", f"duplicates the id of [{seen[ident]}]")
        seen[ident] = k
        lat = _number(rec, "lat", where)
        if not -90.0 <= lat <= 90.0:
            raise InvalidInput(f"{where}.lat", "must be between -90 and 90")
        lon = _number(rec, "lon", where)
        if not -180.0 <= lon <= 360.0:
            raise InvalidInput(f"{where}.lon", "must be between -180 and 360")
        alt = _number(rec, "alt_m", where)
        if abs(alt) > MAX_ABS_ALT_M:
            raise InvalidInput(f"{where}.alt_m", f"must be within +-{MAX_ABS_ALT_M:.0f} m")
        vs = _number(rec, "vs_mps", where)
        if abs(vs) > MAX_ABS_SPEED_MPS:
            raise InvalidInput(f"{where}.vs_mps", f"must be within +-{MAX_ABS_SPEED_MPS:.0f} m/s")
        has_polar = "gs_mps" in rec or "track_deg" in rec
        has_cartesian = "vn_mps" in rec or "ve_mps" in rec
        if has_polar and has_cartesian:
            raise InvalidInput(where, "give either gs_mps/track_deg or vn_mps/ve_mps, not both")
        if has_cartesian:
            vn = _number(rec, "vn_mps", where)
            ve = _number(rec, "ve_mps", where)
            if math.hypot(vn, ve) > MAX_ABS_SPEED_MPS:
                raise InvalidInput(
                    f"{where}.vn_mps", f"ground speed above {MAX_ABS_SPEED_MPS:.0f} m/s"
                )
        else:
            gs = _number(rec, "gs_mps", where)
            if not 0 <= gs <= MAX_ABS_SPEED_MPS:
                raise InvalidInput(
                    f"{where}.gs_mps", f"must be between 0 and {MAX_ABS_SPEED_MPS:.0f}"
                )
            track = math.radians(_number(rec, "track_deg", where))
            vn, ve = gs * math.cos(track), gs * math.sin(track)
        party = rec.get("party")
        if party is not None and not isinstance(party, str):
            raise InvalidInput(f"{where}.party", "must be a string")
        ids.append(ident)
        for key, val in zip(cols, (lat, lon, alt, vn, ve, vs), strict=True):
            cols[key].append(val)
        parties.append(party)
    return StateVectors.from_arrays(
        ids,
        cols["lat"],
        cols["lon"],
        cols["alt"],
        cols["vn"],
        cols["ve"],
        cols["vs"],
        parties if any(p is not None for p in parties) else None,
    )


@dataclass(frozen=True)
class Kinematics:
    """Per-aircraft ECEF quantities, computed once per pass and shared by all pairs.

    Computed once so that every pair quantity after this point uses only +, -, *, / and
    sqrt, which IEEE 754 rounds exactly: the same pair then gives bit-identical results
    whether it is evaluated by the broad-phase path or by the dense all-pairs path.
    """

    ux: FloatArray
    uy: FloatArray
    uz: FloatArray
    vx: FloatArray
    vy: FloatArray
    vz: FloatArray
    gs: FloatArray
    alt: FloatArray
    vs: FloatArray


def kinematics(states: StateVectors) -> Kinematics:
    """Unit up vectors and ECEF ground velocities of every aircraft."""
    lat = np.radians(states.lat_deg)
    lon = np.radians(states.lon_deg)
    slat, clat = np.sin(lat), np.cos(lat)
    slon, clon = np.sin(lon), np.cos(lon)
    vn, ve = states.vn_mps, states.ve_mps
    # east = (-slon, clon, 0); north = (-slat clon, -slat slon, clat)
    vx = -ve * slon - vn * slat * clon
    vy = ve * clon - vn * slat * slon
    vz = vn * clat
    return Kinematics(
        ux=clat * clon,
        uy=clat * slon,
        uz=slat,
        vx=vx,
        vy=vy,
        vz=vz,
        gs=np.hypot(vn, ve),
        alt=states.alt_m,
        vs=states.vs_mps,
    )


def propagate(states: StateVectors, dt_s: npt.ArrayLike) -> StateVectors:
    """Each aircraft flown ``dt_s`` (scalar or per aircraft) along its great circle.

    Used to bring reports made at slightly different times to one instant before a pass.
    The great circle is the sphere's straight line; over the few seconds of skew between
    reports it coincides with the detector's tangent-plane extrapolation. Done in ECEF
    (rotate the position towards the velocity by ``gs dt / R_E``) so that flights over a
    pole or across the antimeridian need no special case. Ground speed and vertical speed
    are kept; the track is the great circle's track at the new position.
    """
    dt = np.broadcast_to(np.asarray(dt_s, dtype=np.float64), (len(states),))
    kin = kinematics(states)
    p = np.stack([kin.ux, kin.uy, kin.uz], axis=1)
    v = np.stack([kin.vx, kin.vy, kin.vz], axis=1)
    gs = kin.gs
    moving = gs > 0.0
    t_hat = v / np.where(moving, gs, 1.0)[:, None]
    delta = (gs * dt / EARTH_RADIUS_M)[:, None]
    p_new = p * np.cos(delta) + t_hat * np.sin(delta)
    t_new = -p * np.sin(delta) + t_hat * np.cos(delta)
    lat = np.degrees(np.arcsin(np.clip(p_new[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p_new[:, 1], p_new[:, 0]))
    # Velocity at the new point, in that point's own north/east.
    la, lo = np.radians(lat), np.radians(lon)
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], axis=1)
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], axis=1)
    vn = np.where(moving, gs * np.sum(t_new * north, axis=1), 0.0)
    ve = np.where(moving, gs * np.sum(t_new * east, axis=1), 0.0)
    lat = np.where(moving, lat, states.lat_deg)
    lon = np.where(moving, lon, states.lon_deg)
    return StateVectors(
        states.ids,
        lat,
        lon,
        states.alt_m + states.vs_mps * dt,
        vn,
        ve,
        states.vs_mps.copy(),
        states.parties,
    )


def align(
    states: StateVectors,
    report_time_s: npt.ArrayLike,
    now_s: float,
    max_age_s: float | None = None,
) -> StateVectors:
    """The aircraft as they are at ``now_s``, dropping reports older than ``max_age_s``.

    A stale track is worse than none: extrapolating a minute-old report puts an aircraft
    where it probably is not, and raises alerts against it.
    """
    t = np.broadcast_to(np.asarray(report_time_s, dtype=np.float64), (len(states),))
    keep = np.arange(len(states), dtype=np.intp)
    if max_age_s is not None:
        keep = np.flatnonzero(now_s - t <= max_age_s).astype(np.intp)
    fresh = states if keep.shape[0] == len(states) else states.subset(keep)
    return propagate(fresh, now_s - t[keep])
