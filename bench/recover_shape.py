"""How many dry runs it takes one party to recover another's shape (issue 21, Medium 4).

Run:  .venv/bin/python bench/recover_shape.py [--rays 16 32 64] [--error-m 10]

An in-process service (SQLite, default limits: conflict reports coarsened to level-12
cells) where party beta owns an L-shaped polygon of about 150 km². Party alpha:
  1. one dry run with a box around it (within the 2,500 km² limit): the report's cells,
     and how far they are from the L (Hausdorff distance, metres);
  2. then dry runs of 1 m circles as a yes/no oracle ("is there a conflict here?"):
     bisection along ``--rays`` rays from a point inside the L until the boundary is
     known to ``--error-m``; the polygon through those points, and its distance from the
     L. Each line prints requests and error. (Before this change, step 1 alone gave the
     L to 1e-9 m.)
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Polygon, shape

from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.geo.earth import destination
from deconflict.settings import LimitsSettings, Settings
from deconflict.store.sql import open_store

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
L_SHAPE = [(7.0, 46.0), (7.2, 46.0), (7.2, 46.05), (7.05, 46.05), (7.05, 46.2), (7.0, 46.2)]
INSIDE = (7.025, 46.025)
"""A point from which the whole L is visible (the L is star-shaped around it)."""
BOX = [(6.9, 45.9), (7.3, 45.9), (7.3, 46.3), (6.9, 46.3)]


def when() -> dict[str, str]:
    return {
        "time_start": SOON.isoformat().replace("+00:00", "Z"),
        "time_end": (SOON + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
    }


def polygon_body(ring: list[tuple[float, float]]) -> dict[str, Any]:
    coords = [[x, y] for x, y in ring] + [[ring[0][0], ring[0][1]]]
    geometry = {"type": "Polygon", "coordinates": [coords]}
    return {
        "volumes": [
            {"geometry": geometry, "altitude_lower_m": 0, "altitude_upper_m": 100, **when()}
        ]
    }


def point_body(lon: float, lat: float) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    volume = {"geometry": geometry, "radius_m": 1.0, "altitude_lower_m": 0, **when()}
    return {"volumes": [{**volume, "altitude_upper_m": 100}]}


def metres(lon: float, lat: float) -> tuple[float, float]:
    """A local projection around the L, good to well under a metre over its 20 km."""
    k = 111_195.0
    return ((lon - 7.1) * k * math.cos(math.radians(46.1)), (lat - 46.1) * k)


def planar(geometry: Any) -> Any:
    if isinstance(geometry, Polygon):
        return Polygon([metres(x, y) for x, y in geometry.exterior.coords])
    return MultiPolygon([planar(p) for p in geometry.geoms]).buffer(0)


class Attacker:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.requests = 0
        self.reported = 0

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        r = self.client.post("/v1/operations:check", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def inside(self, lon: float, lat: float) -> bool:
        found = bool(self.check(point_body(lon, lat))["conflicts"])
        self.reported += found  # the answers the per-party hourly budget counts
        return found


def boundary_along(attacker: Attacker, bearing: float, far_m: float, error_m: float) -> tuple:
    lo, hi = 0.0, far_m  # inside at lo, outside at hi
    while hi - lo > error_m:
        mid = (lo + hi) / 2.0
        lon, lat = destination(INSIDE[0], INSIDE[1], bearing, mid)
        if attacker.inside(lon, lat):
            lo = mid
        else:
            hi = mid
    return destination(INSIDE[0], INSIDE[1], bearing, (lo + hi) / 2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rays", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--error-m", type=float, default=10.0)
    args = parser.parse_args()
    truth = planar(Polygon(L_SHAPE))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        # The hourly budget lifted, to count what the attack needs; the budget then
        # says how many hours that takes at the default.
        budget = LimitsSettings().max_reports_per_hour
        settings = Settings(data_dir=data, limits=LimitsSettings(max_reports_per_hour=10**9))
        store = open_store(f"sqlite:///{data / 'db.sqlite'}")
        key = load_or_create_signing_key(data)

        def headers(sub: str) -> dict[str, str]:
            token = mint_token(
                key,
                sub=sub,
                scopes=["deconflict.plan", "deconflict.read"],
                audience="localhost",
                issuer=settings.auth.issuer,
            )
            return {"Authorization": f"Bearer {token}"}

        with TestClient(create_app(settings, store)) as client:
            r = client.put("/v1/operations/l", json=polygon_body(L_SHAPE), headers=headers("beta"))
            assert r.status_code == 201, r.text
            attacker = Attacker(client, headers("alpha"))
            report = attacker.check(polygon_body(BOX))
            cells = shape(report["conflicts"][0]["overlaps"][0]["geometry"])
            seen = planar(cells)
            print(f"beta's L: {truth.area / 1e6:.0f} km², {len(L_SHAPE)} vertices")
            print(
                f"1 dry run with a {len(BOX)}-corner box: {len(cells.geoms)} cells, "
                f"{seen.area / 1e6:.0f} km², Hausdorff distance to the L "
                f"{seen.hausdorff_distance(truth):.0f} m"
            )
            for rays in args.rays:
                attacker.requests = attacker.reported = 0
                t0 = time.perf_counter()
                points = [
                    boundary_along(attacker, 2 * math.pi * k / rays, 25_000.0, args.error_m)
                    for k in range(rays)
                ]
                guess = Polygon([metres(x, y) for x, y in points])
                print(
                    f"{rays} rays, bisection to {args.error_m:.0f} m: {attacker.requests} dry "
                    f"runs ({time.perf_counter() - t0:.1f} s in process), Hausdorff distance "
                    f"to the L {guess.hausdorff_distance(truth):.0f} m; {attacker.reported} "
                    f"reporting answers: {attacker.reported / budget:.1f} h at the default "
                    f"budget of {budget} per hour"
                )
        store.close()


if __name__ == "__main__":
    main()
