"""Every core busy: the page says how it shares them; at the session cap it says what to do.

Each test starts a server of its own, so sessions of other tests never count.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.e2e.conftest import VIEWPORT, open_app, running_server

pytestmark = pytest.mark.e2e

NOTE = "[data-testid='sharing-note']"
NOTE_SAYS = "(t) => document.querySelector('[data-testid=sharing-note]').textContent === t"
NOTE_HIDDEN = "() => document.querySelector('[data-testid=sharing-note]').hidden"
CORES = "() => Number(document.querySelector('[data-testid=sharing-note]').dataset.cores) > 0"
STATE_IS = "(s) => document.querySelector('[data-testid=run-state]').dataset.state === s"
SHOTS = Path(os.environ.get("BACKPROP_SCREENSHOTS", "/tmp"))


def new_page(context: Any, problems: list[str]) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    return page


def test_a_running_session_says_how_it_shares_the_cores(browser: Any) -> None:
    with running_server() as server:
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        problems: list[str] = []
        try:
            first = open_app(new_page(context, problems))
            first.wait_for_function(CORES)
            cores = int(first.get_attribute(NOTE, "data-cores") or 0)
            pages = [first] + [open_app(new_page(context, problems)) for _ in range(cores)]
            for page in pages:
                page.click("[data-testid='play']")
                page.wait_for_function(STATE_IS, arg="running")
            others, percent = cores, round(cores / (cores + 1) * 100)
            text = (
                f"Sharing {cores} core{'s' if cores > 1 else ''} with {others} other running "
                f"session{'s' if others > 1 else ''} — about {percent} % of full speed"
            )
            first.wait_for_function(NOTE_SAYS, arg=text)
            assert first.is_visible(NOTE)
            size = first.eval_on_selector(NOTE, "e => parseFloat(getComputedStyle(e).fontSize)")
            assert size >= 16, "legible from the back of a room"
            first.screenshot(path=str(SHOTS / "sharing-note.png"))
            first.click("[data-testid='present']")
            first.wait_for_selector("html[data-present='on']")
            first.screenshot(path=str(SHOTS / "sharing-note-present.png"))
            first.click("[data-testid='present']")

            pages[-1].click("[data-testid='play']")  # one pauses: a core each again
            first.wait_for_function(NOTE_HIDDEN)
            pages[-1].click("[data-testid='play']")
            first.wait_for_function(NOTE_SAYS, arg=text)
            first.click("[data-testid='play']")  # a paused session shares nothing
            first.wait_for_function(STATE_IS, arg="paused")
            first.wait_for_function(NOTE_HIDDEN)
            assert not problems, problems
        finally:
            context.close()


def create(url: str) -> dict[str, Any] | str:
    """POST /api/sessions: the session, or the refusal's detail."""
    request = urllib.request.Request(
        f"{url}/api/sessions",
        data=b"{}",
        headers={"content-type": "application/json", "origin": url},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            session: dict[str, Any] = json.load(reply)
            return session
    except urllib.error.HTTPError as error:
        assert error.code == 503, error.code
        detail: str = json.load(error)["detail"]
        return detail


def test_at_the_session_cap_the_page_says_how_many_and_what_to_do(browser: Any) -> None:
    with running_server() as server, contextlib.ExitStack() as sockets:
        opened = 0
        while isinstance(session := create(server.url), dict):  # watched: never reaped
            ws_url = server.url.replace("http", "ws", 1)
            sockets.enter_context(
                connect(f"{ws_url}/ws/sessions/{session['id']}?token={session['token']}")
            )
            opened += 1
            assert opened <= 64, "the cap never came"
        refusal = session
        assert refusal.startswith(f"{opened} sessions are open on this server")
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        try:
            page = context.new_page()
            page.goto("/")
            status = "[data-testid='status']"
            page.wait_for_selector(f"{status}:not([hidden])")
            text = page.text_content(status) or ""
            assert text == f"Could not start a session: {refusal}"
            assert page.is_visible(status)
            size = page.eval_on_selector(status, "e => parseFloat(getComputedStyle(e).fontSize)")
            assert size >= 16, "legible from the back of a room"
            page.screenshot(path=str(SHOTS / "session-cap.png"))
        finally:
            context.close()
