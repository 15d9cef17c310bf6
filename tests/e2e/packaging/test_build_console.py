"""The build backend's console step (``build_console.py``), on small source trees.

``npm`` here is a stand-in script that "installs" what the lock pins, so these run in
milliseconds and offline; ``test_wheel_console.py`` builds a real wheel with the real npm.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from build_console import MISSING_NOTE, SKIP_ENV, ConsoleBuildError, build_console, vendor_table

CONSOLE_PY = '''
VENDOR: dict[str, str] = {
    "leaflet": "leaflet/dist",
    "atlas": "world-atlas",
}
"""URL prefix -> directory under node_modules."""
'''

PINNED = {"leaflet": "1.9.4", "world-atlas": "2.0.2", "commander": "2.20.3"}

FAKE_NPM = """#!{python}
# Stands in for `npm ci`: writes each package the lock pins, notes where it ran.
import json, pathlib, sys
assert sys.argv[1] == "ci", sys.argv
here = pathlib.Path.cwd()
(here / "npm-ran-here").write_text(" ".join(sys.argv[1:]))
lock = json.loads((here / "package-lock.json").read_text())
for key, entry in lock["packages"].items():
    if not key:
        continue
    pkg = here / key
    (pkg / "dist").mkdir(parents=True, exist_ok=True)
    (pkg / "package.json").write_text(json.dumps({{"version": entry["version"]}}))
    (pkg / "dist" / "main.js").write_text("// " + key)
    (pkg / "README.md").write_text(key)
(here / "src" / "generated.json").write_text("{{}}")  # what a postinstall writes
"""


def _tree(root: Path) -> Path:
    """A source tree: api/console.py with VENDOR, web/ with its page, modules and lock."""
    console = root / "src" / "deconflict" / "api" / "console.py"
    console.parent.mkdir(parents=True)
    console.write_text(CONSOLE_PY)
    web = root / "web"
    (web / "src" / "nested").mkdir(parents=True)
    (web / "index.html").write_text("<title>console</title>")
    (web / "src" / "app.js").write_text("// app")
    (web / "src" / "nested" / "style.css").write_text("/* css */")
    packages = {f"node_modules/{n}": {"version": v} for n, v in PINNED.items()}
    lock = {"lockfileVersion": 3, "packages": {"": {}, **packages}}
    (web / "package-lock.json").write_text(json.dumps(lock))
    (web / "package.json").write_text("{}")
    return root


def _install(web: Path, versions: dict[str, str]) -> None:
    for name, version in versions.items():
        pkg = web / "node_modules" / name
        (pkg / "dist").mkdir(parents=True, exist_ok=True)
        (pkg / "package.json").write_text(json.dumps({"version": version}))
        (pkg / "dist" / "main.js").write_text(f"// {name} {version}")
        (pkg / "README.md").write_text(name)


def _fake_npm(tmp: Path) -> str:
    npm = tmp / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text(FAKE_NPM.format(python=sys.executable))
    npm.chmod(0o755)
    return str(npm)


def _listing(target: Path) -> set[str]:
    return {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}


def test_vendor_is_read_from_the_console_module_source(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert vendor_table(root / "src/deconflict/api/console.py") == {
        "leaflet": "leaflet/dist",
        "atlas": "world-atlas",
    }


def test_the_real_vendor_table_is_read_as_the_service_imports_it() -> None:
    from deconflict.api.console import VENDOR

    here = Path(__file__).resolve().parents[3]
    assert vendor_table(here / "src/deconflict/api/console.py") == VENDOR


def test_the_page_its_modules_and_only_the_vendored_npm_files_are_copied(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path / "tree")
    _install(root / "web", PINNED)
    target = tmp_path / "out"
    written, missing = build_console(root, target, npm="/nonexistent/npm")
    assert missing is None
    assert _listing(target) == {
        "index.html",
        "src/app.js",
        "src/nested/style.css",
        "node_modules/leaflet/dist/main.js",
        "node_modules/world-atlas/README.md",
        "node_modules/world-atlas/dist/main.js",
        "node_modules/world-atlas/package.json",
    }
    assert len(written) == 7


def test_modules_that_differ_from_the_lock_are_installed_again_with_npm_ci_in_web(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path / "tree")
    _install(root / "web", {**PINNED, "leaflet": "1.7.1"})
    target = tmp_path / "out"
    _, missing = build_console(root, target, npm=_fake_npm(tmp_path))
    assert missing is None
    assert (root / "web" / "npm-ran-here").read_text().startswith("ci ")
    assert (target / "node_modules/leaflet/dist/main.js").read_text() == "// node_modules/leaflet"
    # What npm's postinstall wrote under web/src ships with the rest of web/src.
    assert (target / "src" / "generated.json").is_file()


def test_without_npm_the_wheel_builds_without_console_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tree(tmp_path / "tree")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "out"
    written, missing = build_console(root, target)
    assert missing == "npm (Node.js) was not found when it was built"
    assert _listing(target) == {MISSING_NOTE}
    assert written == [target / MISSING_NOTE]
    assert "npm (Node.js) was not found" in (target / MISSING_NOTE).read_text()
    assert "WARNING: the wheel has no web console" in capsys.readouterr().err


def test_the_skip_setting_builds_without_console_even_with_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    monkeypatch.setenv(SKIP_ENV, "0")
    _, missing = build_console(root, tmp_path / "out", npm=_fake_npm(tmp_path))
    assert missing == f"it was built with {SKIP_ENV}=0"
    assert not (root / "web" / "npm-ran-here").exists()


def test_a_failing_npm_stops_the_build_with_its_output(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree")
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'registry unreachable' >&2\nexit 1\n")
    npm.chmod(0o755)
    with pytest.raises(ConsoleBuildError, match="exit 1"):
        build_console(root, tmp_path / "out", npm=str(npm))


def test_a_stale_console_from_an_earlier_build_is_removed(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree")
    _install(root / "web", PINNED)
    target = tmp_path / "out"
    (target / "src").mkdir(parents=True)
    (target / "src" / "removed-since.js").write_text("// old")
    build_console(root, target)
    assert not (target / "src" / "removed-since.js").exists()
    assert os.path.isfile(target / "index.html")
