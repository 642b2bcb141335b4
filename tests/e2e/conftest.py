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
# wait_for_function predicate, arg [chart testid, [labels]]: the chart draws markers with them.
HAS_LABELS = """([chart, labels]) => {
  const root = document.querySelector(`[data-testid=${chart}] .uplot`);
  const drawn = (root?.dataset.markerLabels ?? '').split('|').join(' ');
  return labels.every((l) => drawn.includes(l));
}"""
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
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerError(RuntimeError):
    """The server exited or did not answer in time (the message holds the end of its log)."""


class Server:
    """`python -m app serve` on 127.0.0.1:`port`, logging to a temporary file.

    Runs go to `data_dir` when given (left in place: a later server may reopen it), else to a
    temporary folder deleted on stop.
    """

    def __init__(self, port: int, data_dir: Path | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- lives as long as the server
            "w+", prefix="backprop-e2e-", suffix=".log", delete=False
        )
        # Runs are stored in a folder of the test's own, never in the user's data directory.
        self._data: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._data = tempfile.TemporaryDirectory(prefix="backprop-e2e-data-")
            data_dir = Path(self._data.name)
        self.data_dir = data_dir
        command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*command, "--port", str(port), "--data-dir", str(self.data_dir)],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self) -> str:
        """The last 4000 characters the server logged."""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-4000:]

    def wait_healthy(self, seconds: float = STARTUP_SECONDS) -> None:
        """Return once /api/health answers 200; raise ServerError if it exits or times out."""
        deadline = time.monotonic() + seconds
        while True:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"the server exited with code {self.proc.returncode} before answering:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the server did not answer /api/health within {seconds:.0f} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and delete its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._log.name)
        if self._data is not None:
            self._data.cleanup()


def start_server(port: int | None = None, data_dir: Path | None = None) -> Server:
    """Start the app on `port` (default: a free one) and return it once healthy."""
    server = Server(port if port is not None else free_port(), data_dir)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running_server(port: int | None = None) -> Iterator[Server]:
    """A healthy server for the duration of the block; stopped however the block ends."""
    server = start_server(port)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Start `python -m app serve` from the repo root and yield its base URL once healthy."""
    try:
        server = start_server()
    except ServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


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
