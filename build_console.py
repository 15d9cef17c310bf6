"""The build backend: setuptools', plus the web console built into the wheel.

Why a backend of our own: the console (``web/``) is plain ES modules plus files from npm
packages, and ``pip install deconflict`` must bring all of it, with no Node.js on the
machine that installs. So the *wheel* carries the console: ``BuildPy`` (setuptools'
``build_py`` command, registered in ``pyproject.toml`` under ``[tool.setuptools.cmdclass]``)
copies into ``deconflict/console_assets/``, in ``web/``'s own layout,

- ``web/index.html`` and every file under ``web/src/``;
- exactly the npm files the service serves: each directory named in ``VENDOR`` of
  ``src/deconflict/api/console.py`` (read from its source, so nothing is listed twice),
  under ``node_modules/``.

The npm packages come from ``web/node_modules`` when it holds the versions
``web/package-lock.json`` pins for every vendored package (a checkout after ``make web``),
else from ``npm ci`` run in ``web/`` (an sdist has no ``node_modules``). ``npm ci`` also
runs ``web/package.json``'s ``postinstall``, which writes the console's generated files
(the basemap) under ``web/src``; they are copied with the rest of ``web/src``. Without
npm the wheel still builds, without the console: the build says so on stderr and leaves
``console_assets/MISSING.txt``, which the installed service's page repeats with how to
get the console. ``DECONFLICT_BUILD_CONSOLE=0`` builds without the console on purpose.

Editable installs (``pip install -e .``: ``make demo``, ``make test``) copy nothing: the
checkout serves ``web/`` live.

This module is the backend (``build-backend = "build_console"``, ``backend-path = ["."]``)
only so that setuptools can import ``BuildPy`` while it reads ``pyproject.toml``: it
re-exports setuptools' hooks unchanged. It runs in the build environment, so it imports
nothing of deconflict (whose dependencies may not be installed there).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from setuptools.build_meta import *  # noqa: F403  (the PEP 517 hooks, unchanged)
from setuptools.build_meta import __all__ as _HOOKS
from setuptools.command.build_py import build_py

__all__ = [*_HOOKS, "BuildPy", "build_console", "vendor_table"]

ROOT = Path(__file__).resolve().parent
CONSOLE_MODULE = Path("src", "deconflict", "api", "console.py")
PACKAGE_DIR = Path("deconflict", "console_assets")
MISSING_NOTE = "MISSING.txt"
SKIP_ENV = "DECONFLICT_BUILD_CONSOLE"


class ConsoleBuildError(Exception):
    """npm was there but could not provide the console's packages (the build stops)."""


def vendor_table(console_py: Path) -> dict[str, str]:
    """``VENDOR`` of ``api/console.py`` (URL prefix -> directory under node_modules).

    Read from the source, not imported: importing the module needs FastAPI and the rest
    of the service, which the build environment does not have.
    """
    tree = ast.parse(console_py.read_text(encoding="utf-8"), str(console_py))
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "VENDOR" and value is not None:
            table = ast.literal_eval(value)
            if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in table.items()
            ):
                raise ConsoleBuildError(f"VENDOR in {console_py} is not a dict of strings")
            return table
    raise ConsoleBuildError(f"no VENDOR table in {console_py}")


def _package_of(sub: str) -> str:
    """The npm package a vendored directory belongs to (``leaflet/dist`` -> ``leaflet``)."""
    parts = Path(sub).parts
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def modules_match_lock(web: Path, modules: Path, vendor: dict[str, str]) -> bool:
    """Whether ``modules`` holds every vendored package at the version the lock pins."""
    try:
        lock = json.loads((web / "package-lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    pinned = lock.get("packages", {})
    for sub in vendor.values():
        package = _package_of(sub)
        want = pinned.get(f"node_modules/{package}", {}).get("version")
        try:
            meta = json.loads((modules / package / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if want is None or meta.get("version") != want or not (modules / sub).is_dir():
            return False
    return True


def npm_install(web: Path, npm: str) -> Path:
    """``npm ci`` in ``web/`` (with its ``postinstall``); the ``node_modules`` it made."""
    command = [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"]
    _say(f"console: {' '.join(command)} in {web}")
    done = subprocess.run(command, cwd=web, capture_output=True, text=True, check=False)
    _say(done.stdout + done.stderr)
    if done.returncode != 0:
        raise ConsoleBuildError(
            f"`npm ci` for the console failed (exit {done.returncode}) in {web}; its "
            "output is above. Fix npm's access to its registry, or build without the "
            f"console: {SKIP_ENV}=0"
        )
    return web / "node_modules"


def console_files(web: Path, modules: Path, vendor: dict[str, str]) -> dict[str, Path]:
    """Each file of the packaged console: its path under console_assets -> its source."""
    files = {"index.html": web / "index.html"}
    for path in sorted((web / "src").rglob("*")):
        if path.is_file():
            files[path.relative_to(web).as_posix()] = path
    for sub in vendor.values():
        top = modules / sub
        if not top.is_dir():
            raise ConsoleBuildError(f"vendored directory {sub!r} is not in {modules}")
        for path in sorted(top.rglob("*")):
            if path.is_file():
                files["node_modules/" + path.relative_to(modules).as_posix()] = path
    return files


def build_console(
    root: Path, target: Path, npm: str | None = None
) -> tuple[list[Path], str | None]:
    """Fill ``target`` with the console of the source tree ``root``.

    Returns the files written, and why there is no console when there is none (then
    ``target`` holds only ``MISSING.txt`` saying so).
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    web = root / "web"
    vendor = vendor_table(root / CONSOLE_MODULE)
    missing: tuple[str, str] | None = None  # why there is no console, what gives one
    modules = web / "node_modules"
    if os.environ.get(SKIP_ENV, "").strip() == "0":
        missing = (f"it was built with {SKIP_ENV}=0", f"unset {SKIP_ENV}")
    elif not modules_match_lock(web, modules, vendor):
        npm = npm or shutil.which("npm")
        if npm is None:
            missing = ("npm (Node.js) was not found when it was built", "install Node.js (npm)")
        else:
            modules = npm_install(web, npm)
            if not modules_match_lock(web, modules, vendor):
                raise ConsoleBuildError(f"`npm ci` left {modules} unlike web/package-lock.json")
    else:
        _say(f"console: npm packages from {modules}")
    if missing is not None:
        reason, fix = missing
        note = target / MISSING_NOTE
        note.write_text(f"This deconflict has no web console: {reason}.\n", encoding="utf-8")
        _say(
            f"WARNING: the wheel has no web console: {reason}. To include it, {fix} and "
            "build again; the installed `deconflict serve` says how to get it."
        )
        return [note], reason
    written = []
    for relative, source in console_files(web, modules, vendor).items():
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        written.append(dest)
    _say(f"console: {len(written)} files into {target}")
    return written, None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BuildPy(build_py):  # type: ignore[misc]  # setuptools' commands are untyped
    """setuptools' ``build_py``, plus the console in ``deconflict/console_assets``."""

    def run(self) -> None:
        super().run()
        self._console: list[str] = []
        if getattr(self, "editable_mode", False):
            return  # the checkout serves web/ itself
        written, _ = build_console(ROOT, Path(self.build_lib, PACKAGE_DIR))
        self._console = [str(p) for p in written]

    def get_outputs(self, include_bytecode: Any = 1) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        return outputs + getattr(self, "_console", [])
