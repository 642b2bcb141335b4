"""A run survives the tab and the server: a reload reattaches, a restart offers to resume."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    VIEWPORT,
    epoch,
    free_port,
    open_app,
    start_server,
    wait_epoch_above,
    wait_epoch_equal,
)

pytestmark = pytest.mark.e2e

SESSION_ID = "window.backpropLab.state.session.id"
LOSS_EPOCHS = "window.backpropLab.views.charts.drawn('loss')[0]"
AT_LEAST = "(n) => Number(document.getElementById('app').dataset.epoch) >= n"


def play_then_pause(page: Any, above: int) -> int:
    """Train past `above` epochs, pause, and return the epoch the page settles on."""
    page.click("[data-testid='play']")
    wait_epoch_above(page, above)
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    return epoch(page)


def test_a_reload_reattaches_to_the_same_session_with_its_history(page: Any) -> None:
    open_app(page)
    session = page.evaluate(SESSION_ID)
    paused_at = play_then_pause(page, 200)
    page.reload()
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_function(AT_LEAST, arg=paused_at)
    assert page.evaluate(SESSION_ID) == session
    drawn = page.evaluate(LOSS_EPOCHS)
    assert drawn[0] <= 2 and drawn[-1] >= paused_at, "the hello redraws the whole history"
    assert page.get_attribute("[data-testid='run-state']", "data-state") == "paused"


def test_after_a_restart_the_page_offers_to_resume_the_run(browser: Any) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="backprop-e2e-restart-") as folder:
        data_dir = Path(folder)
        server = start_server(port, data_dir)
        # Its own context: while the server is down the browser logs refused connections.
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            open_app(page)
            run = page.evaluate(SESSION_ID)
            paused_at = play_then_pause(page, 100)
            # Leave the page while the server restarts, so its socket does not start a new
            # session on its own; coming back to it in the same tab is a reload.
            page.goto("about:blank")
            server.stop()
            server = start_server(port, data_dir)
            page.goto(server.url + "/")
            page.wait_for_selector("[data-testid='resume-offer']")
            button = page.locator("[data-testid='resume-run']")
            assert f"epoch {paused_at:,}" in button.text_content()
            assert page.is_visible("[data-testid='start-fresh']")
            button.click()
            page.wait_for_selector("#app[data-ws-state='open']")
            wait_epoch_equal(page, paused_at)
            assert not page.is_visible("[data-testid='resume-offer']")
            assert page.evaluate(SESSION_ID) != run
            assert page.evaluate("window.backpropLab.state.run") == run
            assert page.evaluate(LOSS_EPOCHS)[-1] >= paused_at, "the history comes back"
            page.click("[data-testid='play']")
            wait_epoch_above(page, paused_at + 10)
            page.click("[data-testid='play']")
        finally:
            context.close()
            server.stop()
