"""The page survives a server restart: it reconnects to a new session with the same settings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORT, free_port, start_server

pytestmark = pytest.mark.e2e


def test_reconnects_with_a_new_session_after_a_restart(browser: Any) -> None:
    port = free_port()
    server = start_server(port)
    # Its own context: while the server is down the browser logs refused connections, as it should.
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/")
        page.wait_for_selector("#app[data-ws-state='open']")
        page.select_option("[data-testid='optimizer']", "adam")
        page.wait_for_selector("[data-testid='beta1']", state="visible")
        old_session = page.evaluate("window.backpropLab.state.session.id")

        server.stop()
        page.wait_for_selector("#app[data-ws-state='closed']")
        server = start_server(port)
        page.wait_for_selector("#app[data-ws-state='open']")
        assert page.evaluate("window.backpropLab.state.session.id") != old_session
        assert page.input_value("[data-testid='optimizer']") == "adam"
        page.click("[data-testid='play']")
        page.wait_for_function("() => Number(document.getElementById('app').dataset.epoch) > 3")
    finally:
        context.close()
        server.stop()
