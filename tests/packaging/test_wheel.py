"""The built wheel, installed into a fresh venv away from the checkout, serves the whole page."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import __version__
from tests.packaging.installed import (
    ROOT,
    Served,
    build_dists,
    crawl,
    fetch,
    isolated_env,
    make_venv,
    pip_install,
    serve,
    wheel_files,
)

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]
EXTERNAL_IMPORT = re.compile(r"""(?:\bimport|\bfrom|src=|href=)\s*\(?\s*["']https?://""")


@dataclass
class Installed:
    """A wheel built from the checkout's sdist and installed into its own venv."""

    sdist: Path
    wheel: Path
    bin_dir: Path
    workdir: Path  # an empty folder outside the checkout, the cwd of every command


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build once per module: sdist, wheel from the sdist, fresh venv, pip install."""
    base = tmp_path_factory.mktemp("packaging")
    sdist, wheel = build_dists(base / "dist")
    workdir = base / "elsewhere"
    workdir.mkdir()
    bin_dir = make_venv(base / "venv")
    pip_install(bin_dir, wheel, cwd=workdir)
    return Installed(sdist=sdist, wheel=wheel, bin_dir=bin_dir, workdir=workdir)


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[tuple[Served, Path]]:
    """`backprop-lab serve --port 0` from the venv, with a data directory not made yet."""
    data_dir = installed.workdir / "data" / "nested"
    command = [str(installed.bin_dir / "backprop-lab"), "serve", "--port", "0"]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    with serve(command, cwd=installed.workdir, env=isolated_env()) as server:
        yield server, data_dir


def _page_files(folder: str) -> set[str]:
    """The checkout's files under `folder` as the wheel names them (app/_static/...)."""
    root = ROOT / folder
    files = (p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    return {f"app/_{folder}/{p.relative_to(root).as_posix()}" for p in files}


def test_wheel_carries_every_page_file_and_the_vendored_chart_library(
    installed: Installed,
) -> None:
    names = set(wheel_files(installed.wheel))
    expected = _page_files("static") | _page_files("templates")
    assert {"app/_static/vendor/uPlot.esm.js", "app/_static/vendor/uPlot.min.css"} <= expected
    assert expected - names == set(), "page files missing from the wheel"
    assert not [n for n in names if n.startswith("app/_static/") and n not in expected]
    lessons = {f"app/lessons/{p.name}" for p in (ROOT / "app" / "lessons").glob("*.json")}
    assert lessons and lessons <= names, "the scripted lessons are package data"


def test_sdist_carries_the_built_vendor_files_and_the_hook(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"static/vendor/uPlot.esm.js", "static/vendor/uPlot.min.css"} <= names
    assert {"hatch_build.py", "package.json", "templates/index.html", "app/cli.py"} <= names


def test_installed_command_reports_the_version_from_the_venv(installed: Installed) -> None:
    env = isolated_env()
    version = subprocess.run(
        [str(installed.bin_dir / "backprop-lab"), "--version"],
        cwd=installed.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert version.stdout.strip() == f"backprop-lab {__version__}"
    where = subprocess.run(
        [str(installed.bin_dir / "python"), "-c", "import app; print(app.__file__)"],
        cwd=installed.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    venv = installed.bin_dir.parent.resolve()
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv), "app imported from elsewhere"


def test_installed_server_serves_the_page_its_modules_css_and_uplot(
    served: tuple[Served, Path],
) -> None:
    server, data_dir = served
    assert data_dir.is_dir(), "serve did not create its data directory"
    assert any(str(data_dir) in line for line in server.stdout), server.stdout
    results = crawl(server.url)
    failed = {url: status for url, (status, _) in results.items() if status != 200}
    assert failed == {}
    paths = {url.removeprefix(server.url.rstrip("/")).split("?")[0] for url in results}
    wanted = {"/static/js/main.js", "/static/js/charts.js", "/static/js/uplot-options.js"}
    wanted |= {"/static/vendor/uPlot.esm.js", "/static/vendor/uPlot.min.css"}
    wanted |= {"/static/css/app.css", "/static/favicon.svg"}
    assert wanted <= paths
    modules = {url: kind for url, (_, kind) in results.items() if url.split("?")[0].endswith(".js")}
    assert len(modules) >= 20
    assert {url for url, kind in modules.items() if "javascript" not in kind} == set()
    _, _, body = fetch(server.url)
    assert not EXTERNAL_IMPORT.search(body.decode()), "the page loads something from the network"
    _, _, listed = fetch(f"{server.url.rstrip('/')}/api/lessons")
    lessons = json.loads(listed)
    assert lessons["invalid"] == [] and len(lessons["lessons"]) >= 6, "the wheel serves its lessons"
