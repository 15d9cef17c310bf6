"""What drawing an overlap for a report costs: the intersection, its area and its RFC 7946
GeoJSON (``geo.overlap.footprint_overlap``), by kind of place.

Run:  .venv/bin/python bench/report_drawing.py [--pairs 300]

Prints the mean time per overlap, in microseconds of CPU, for pairs of squares and of
circles at an ordinary place (the common case, drawn without shapely), across the
antimeridian (split into two parts) and around a pole (drawn as a cap).
"""

from __future__ import annotations

import argparse
import time

from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.overlap import footprint_overlap


def square(lon: float, lat: float, d: float = 0.01) -> Polygon:
    return Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))


def cases(n: int) -> dict[str, list[tuple[Footprint, Footprint]]]:
    step = 1e-5
    return {
        "squares, ordinary place": [
            (square(8.7 + i * step, 50.0), square(8.705 + i * step, 50.005)) for i in range(n)
        ],
        "circles, ordinary place": [
            (Circle(8.7 + i * step, 50.1, 500.0), Circle(8.705 + i * step, 50.1, 500.0))
            for i in range(n)
        ],
        "circles, across the antimeridian": [
            (Circle(180.0, i * step, 500.0), Circle(179.995, i * step, 500.0)) for i in range(n)
        ],
        "circles, around the north pole": [
            (Circle(i * 0.1, 90.0, 500.0), Circle(0.0, 89.999, 500.0)) for i in range(n)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    args = parser.parse_args()
    for name, pairs in cases(args.pairs).items():
        for a, b in pairs:  # circles draw their inscribed polygon once, outside the timing
            for f in (a, b):
                if isinstance(f, Circle):
                    _ = f.as_polygon
        start = time.process_time()
        for a, b in pairs:
            footprint_overlap(a, b)
        per = (time.process_time() - start) / len(pairs) * 1e6
        print(f"{name:36s} {per:8.0f} µs CPU per overlap")


if __name__ == "__main__":
    main()
