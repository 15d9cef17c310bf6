"""Wheels of deconflict's runtime dependencies, packed from the test's own venv.

A clean venv needs every dependency installed from somewhere. From PyPI that is a
minute or more of downloads per run (NumPy, SciPy, the S2 bindings...) and needs the
network; so the packaging test installs with ``pip --no-index`` from wheels packed once
from the distributions installed in the running venv (the same versions the rest of the
suite tests), kept in ``.venv/.test-wheelhouse/<hash of the versions>``. The clean venv
itself is made with ``python -m venv`` and sees none of the dev venv's packages: only
what pip installs there from these wheels and the wheel under test.

A wheel is packed from an installed distribution's RECORD: every file it installed
inside site-packages (its code and its dist-info), with a new RECORD; files installed
elsewhere (console scripts, which pip makes again from entry_points.txt) and byte code
are left out.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DROP_FROM_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def _needed(requires: Iterable[str], extra: str) -> list[tuple[str, str]]:
    out = []
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        out.append((req.name, ""))
        out.extend((req.name, e) for e in req.extras)
    return out


def runtime_closure(requires: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions that ``requires`` (Requires-Dist lines) pulls in.

    Raises ``PackageNotFoundError`` naming a requirement the running venv lacks.
    """
    found: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, str]] = set()
    todo = _needed(requires, "")
    while todo:
        name, extra = todo.pop()
        key = canonicalize_name(name)
        if (key, extra) in done:
            continue
        done.add((key, extra))
        dist = metadata.distribution(name)
        found[key] = dist
        todo.extend(_needed(dist.requires or [], extra))
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def pack(dist: metadata.Distribution, out_dir: Path) -> Path:
    """A wheel of the installed ``dist`` in ``out_dir``."""
    files = list(dist.files or [])
    info = next(f for f in files if f.parts[0].endswith(".dist-info"))
    info_dir = info.parts[0]
    tags = [
        line.split(":", 1)[1].strip().split("-")
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    wheel = out_dir / f"{info_dir.removesuffix('.dist-info')}-{tag}.whl"
    tmp = wheel.with_suffix(".part")
    records = []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for f in files:
            parts = f.parts
            if parts[0] == ".." or "__pycache__" in parts or f.suffix == ".pyc":
                continue
            if parts[0] == info_dir and parts[-1] in DROP_FROM_DIST_INFO:
                continue
            path = Path(str(dist.locate_file(f)))
            if not path.is_file():
                continue
            data = path.read_bytes()
            arcname = f.as_posix()
            z.writestr(arcname, data)
            records.append(_record_line(arcname, data))
        records.append(f"{info_dir}/RECORD,,")
        z.writestr(f"{info_dir}/RECORD", "\n".join(records) + "\n")
    tmp.replace(wheel)
    return wheel


def wheelhouse(dists: Iterable[metadata.Distribution], cache: Path) -> Path:
    """A directory of wheels of ``dists``, packed once per set of versions."""
    dists = list(dists)
    names = sorted(f"{d.metadata['Name']}=={d.version}" for d in dists)
    key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    house = cache / key
    done = house / ".complete"
    if done.is_file():
        return house
    for old in cache.glob("*"):  # packed for other versions: the venv has moved on
        if old.is_dir() and old != house:
            shutil.rmtree(old, ignore_errors=True)
    house.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        pack(dist, house)
    done.write_text("\n".join(names) + "\n")
    return house
