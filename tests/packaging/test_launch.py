"""`backprop-lab serve` like the tools people know: URL, --open, --version, data directory."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import pytest

from app import __version__
from app.cli import main
from app.launch import page_url
from app.settings import DATA_DIR_ENV, ROOT, Settings, asset_dir, default_data_dir
from tests.packaging.installed import isolated_env, serve

# Stands in for a browser ($BROWSER names one executable): fetches the URL it is given and writes
# down the status and the URL.
FAKE_BROWSER = """
import os, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    with open(os.environ["OPENED"], "w") as out:
        out.write(f"{response.status} {sys.argv[1]}")
"""


def read_when_written(path: Path, seconds: float = 20.0) -> str:
    """The text of `path` once something has been written to it, or '' after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and (text := path.read_text()):
            return text
        time.sleep(0.05)
    return ""


def test_page_url_reaches_a_wildcard_bind_through_loopback_and_brackets_ipv6() -> None:
    assert page_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert page_url("0.0.0.0", 8765) == "http://127.0.0.1:8765/"
    assert page_url("::1", 80) == "http://[::1]:80/"
    assert page_url("localhost", 1) == "http://localhost:1/"


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"backprop-lab {__version__}"


def test_data_dir_comes_from_the_environment_else_the_per_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "runs"))
    assert Settings().data_dir == tmp_path / "runs"
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform == "linux":
        assert default_data_dir() == tmp_path / "xdg" / "backprop-lab"
    assert default_data_dir().name == "backprop-lab"
    assert not default_data_dir().exists(), "settings must not create it; serve does"


def test_assets_come_from_the_package_when_installed_else_from_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert asset_dir("static") == ROOT / "static"
    assert asset_dir("templates") == ROOT / "templates"
    (tmp_path / "_static").mkdir()
    installed = types.SimpleNamespace(files=lambda package: tmp_path)
    monkeypatch.setattr("app.settings.resources", installed)
    assert asset_dir("static") == tmp_path / "_static"
    assert Settings().static_dir == tmp_path / "_static"
    assert asset_dir("templates") == ROOT / "templates"


def test_open_starts_the_browser_once_the_page_answers(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"#!{sys.executable}{FAKE_BROWSER}")
    browser.chmod(0o755)
    env = isolated_env(BROWSER=str(browser), OPENED=str(opened), PYTHONPATH=str(ROOT))
    env[DATA_DIR_ENV] = str(tmp_path / "from-env")
    command = [sys.executable, "-m", "app", "serve", "--port", "0", "--open"]
    with serve([*command, "--log-level", "warning"], cwd=tmp_path, env=env) as server:
        assert read_when_written(opened) == f"200 {server.url}"
    assert (tmp_path / "from-env").is_dir()
    assert any(str(tmp_path / "from-env") in line for line in server.stdout), server.stdout
