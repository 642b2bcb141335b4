"""End-to-end fixtures: the real server on a free port and real Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 60.0
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Start `python -m app serve` from the repo root and yield its base URL once healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- lives as long as the server
        "w+", prefix="backprop-e2e-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def server_log() -> str:
        log.flush()
        return Path(log.name).read_text(errors="replace")[-4000:]

    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if proc.poll() is not None:
            pytest.fail(
                f"the server exited with code {proc.returncode} before answering:\n{server_log()}"
            )
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=1) as reply:
                if reply.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                f"the server did not answer /api/health within {STARTUP_SECONDS:.0f} s:\n"
                + server_log()
            )
        time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium from the system (Playwright's own download is not available here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make test` (it installs the test extra)")
    executable = (
        os.environ.get("BACKPROP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    if not Path(executable).is_file():
        pytest.fail(
            f"Chromium not found (looked for {executable!r}): run `make test`, which installs it, "
            "or set BACKPROP_CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    """A 1280×720 page; the test fails if the page logs a console error or throws."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server_url)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            problems.append(f"console.error: {msg.text} ({msg.location.get('url', '')})")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield pg
    finally:
        # Pause the session so an abandoned run does not keep a CPU busy during later tests.
        with contextlib.suppress(Exception):  # the page may already be gone
            pg.evaluate("window.backpropLab && window.backpropLab.socket.send({type: 'pause'})")
        context.close()
    if problems:
        pytest.fail("the page reported errors:\n" + "\n".join(problems))


def open_app(page: Any, hash_part: str = "") -> Any:
    """Load the page and wait until the socket is open and the first `hello` has been drawn."""
    page.goto("/" + hash_part)
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=net-summary]').textContent.includes('→')"
    )
    return page


def epoch(page: Any) -> int:
    """The epoch the page shows (root data-epoch)."""
    return int(page.get_attribute("#app", "data-epoch"))


def wait_epoch_above(page: Any, n: int) -> None:
    """Wait until the page's epoch counter passes n."""
    page.wait_for_function("(n) => Number(document.getElementById('app').dataset.epoch) > n", arg=n)


def wait_epoch_equal(page: Any, n: int) -> None:
    """Wait until the page's epoch counter is exactly n."""
    page.wait_for_function(
        "(n) => Number(document.getElementById('app').dataset.epoch) === n", arg=n
    )


def wait_train_points(page: Any, n: int) -> None:
    """Wait until the dataset info reports n training points."""
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=dataset-info]').dataset.train) === n",
        arg=n,
    )
