"""A second tab opens the run another tab trains: one live session, two controllers in step."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORT, epoch, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e

SESSION_ID = "window.backpropLab?.state.session?.id"
LOSS_EPOCHS = "window.backpropLab.views.charts.drawn('loss')[0]"
NOTE = "[data-testid='tabs-note']"
NOTE_SAYS = "(t) => document.querySelector('[data-testid=tabs-note] .tabs-long').textContent === t"
STATE_IS = "(s) => document.querySelector('[data-testid=run-state]').dataset.state === s"


def watched_page(context: Any, problems: list[str]) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    return page


def test_a_second_tab_opens_the_live_run_from_the_runs_panel_and_controls_it(
    browser: Any, server_url: str
) -> None:
    context = browser.new_context(viewport=VIEWPORT, base_url=server_url)
    problems: list[str] = []
    try:
        a = open_app(watched_page(context, problems))
        session, run = a.evaluate(SESSION_ID), a.evaluate("window.backpropLab.state.run")
        a.click("[data-testid='play']")
        wait_epoch_above(a, 150)

        b = open_app(watched_page(context, problems))
        assert b.evaluate(SESSION_ID) != session, "a new tab starts its own session"
        b.click("[data-testid='runs']")
        row = f"[data-testid='run-row'][data-run-id='{run}']"
        b.wait_for_selector(row)
        b.click(f"{row} [data-testid='run-open']")
        b.wait_for_function(f"(id) => {SESSION_ID} === id", arg=session)
        b.wait_for_selector("#app[data-ws-state='open']")
        b.wait_for_function(
            "(n) => (window.backpropLab.views.charts.drawn('loss')[0] ?? []).at(-1) >= n", arg=150
        )
        assert b.evaluate(LOSS_EPOCHS)[0] <= 2, "the hello brings A's whole history"
        seen = epoch(b)
        wait_epoch_above(b, seen + 30)  # A's session trains on, live in B too
        assert b.get_attribute("[data-testid='run-state']", "data-state") == "running"
        for page in (a, b):
            page.wait_for_function(NOTE_SAYS, arg="Also open in 1 other tab")
            assert page.is_visible(NOTE)

        b.click("[data-testid='play']")  # B pauses the shared run
        b.wait_for_function(STATE_IS, arg="paused")
        a.wait_for_function(STATE_IS, arg="paused")
        a.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) === n", arg=epoch(b)
        )

        a.click("[data-testid='play']")  # and A's commands reach B
        b.wait_for_function(STATE_IS, arg="running")
        b.close()  # a closing tab does not pause a run another tab still shows
        a.wait_for_selector(NOTE, state="hidden")
        at_close = epoch(a)
        wait_epoch_above(a, at_close + 30)
        assert a.get_attribute("[data-testid='run-state']", "data-state") == "running"

        c = watched_page(context, problems)  # a link opens it too
        c.goto(f"/#run={run}")
        c.wait_for_function(f"(id) => {SESSION_ID} === id", arg=session)
        c.wait_for_selector("#app[data-ws-state='open']")
        c.wait_for_function(NOTE_SAYS, arg="Also open in 1 other tab")
        c.click("[data-testid='play']")
        a.wait_for_function(STATE_IS, arg="paused")
    finally:
        context.close()
    assert not problems, problems
