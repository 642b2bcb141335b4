"""The page survives a server restart: it reconnects to a new session with the same settings."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, VIEWPORT, free_port

pytestmark = pytest.mark.e2e


def _serve(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                return proc
        except (urllib.error.URLError, OSError):
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"a second server on port {port} did not start")


def test_reconnects_with_a_new_session_after_a_restart(browser: Any) -> None:
    port = free_port()
    server = _serve(port)
    # Its own context: while the server is down the browser logs refused connections, as it should.
    context = browser.new_context(viewport=VIEWPORT, base_url=f"http://127.0.0.1:{port}")
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/")
        page.wait_for_selector("#app[data-ws-state='open']")
        page.select_option("[data-testid='optimizer']", "adam")
        page.wait_for_selector("[data-testid='beta1']", state="visible")
        old_session = page.evaluate("window.backpropLab.state.session.id")

        server.terminate()
        server.wait(timeout=10)
        page.wait_for_selector("#app[data-ws-state='closed']")
        server = _serve(port)
        page.wait_for_selector("#app[data-ws-state='open']")
        assert page.evaluate("window.backpropLab.state.session.id") != old_session
        assert page.input_value("[data-testid='optimizer']") == "adam"
        page.click("[data-testid='play']")
        page.wait_for_function("() => Number(document.getElementById('app').dataset.epoch) > 3")
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=10)
