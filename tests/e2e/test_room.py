"""The workshop room in Chromium: a wrong code sees only the join page, the right one joins, the
instructor goes live and the attendee watches the instructor's run (loopback only)."""

from __future__ import annotations

import contextlib
import re
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

from tests.e2e.conftest import ROOT, STARTUP_SECONDS, TIMEOUT_MS, VIEWPORT, free_port

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "artifacts"
INSTRUCTOR = re.compile(r"Instructor \(keep this link to yourself\): (\S+)")
CODE = re.compile(r"enter the code\s+([A-Z0-9]{3}-[A-Z0-9]{3})")


@contextlib.contextmanager
def room_server() -> Iterator[tuple[str, str, str]]:
    """`serve --room` on 127.0.0.1; yields (base URL, instructor link, join code) it printed."""
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="backprop-room-") as data,
        tempfile.NamedTemporaryFile("w+", suffix=".log") as log,
    ):
        command = [sys.executable, "-m", "app", "serve", "--room", "--host", "127.0.0.1"]
        proc = subprocess.Popen(
            [*command, "--port", str(port), "--data-dir", data],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not (INSTRUCTOR.search(text := Path(log.name).read_text()) and CODE.search(text)):
                assert proc.poll() is None, f"the server exited:\n{text[-3000:]}"
                assert time.monotonic() < deadline, f"no room greeting:\n{text[-3000:]}"
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(f"{base}/join", timeout=5) as reply:
                assert reply.status == 200
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/api/health", timeout=5)
            assert refused.value.code == 401
            link, code = INSTRUCTOR.search(text), CODE.search(text)
            assert link is not None and code is not None
            yield base, link.group(1), code.group(1)
            assert "token=[redacted]" in Path(log.name).read_text()
            assert (
                link.group(1).split("token=")[1]
                not in Path(log.name).read_text().split("Instructor (keep")[1].split("\n", 1)[1]
            )  # after the greeting, the token never appears again
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def new_page(browser: Any, base: str) -> Any:
    context = browser.new_context(viewport=VIEWPORT, base_url=base)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    return page


def test_join_watch_the_instructor(browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with room_server() as (base, instructor_link, code):
        stranger = new_page(browser, base)
        stranger.goto("/")
        stranger.wait_for_selector("[data-testid=join-page]")
        assert stranger.url.endswith("/join") and stranger.query_selector("#app") is None
        stranger.fill("[data-testid=join-code]", "ZZZ-ZZZ")
        stranger.click("[data-testid=join-submit]")
        stranger.wait_for_selector("[data-testid=join-error]")
        assert stranger.query_selector("#app") is None
        assert stranger.evaluate("() => fetch('/api/presets').then((r) => r.status)") == 401
        stranger.errors.clear()  # the refused fetch and form post were logged as errors
        stranger.goto("/join")
        stranger.screenshot(path=str(ARTIFACTS / "room-join.png"))

        teacher = new_page(browser, base)
        teacher.goto(instructor_link)
        teacher.wait_for_selector("#app[data-room='instructor'][data-ws-state='open']")
        assert teacher.text_content("[data-testid=room-code]") == code

        attendee = new_page(browser, base)
        attendee.goto("/join")
        attendee.fill("[data-testid=join-code]", code.lower())
        attendee.fill("[data-testid=join-name]", "Ada")
        attendee.click("[data-testid=join-submit]")
        attendee.wait_for_selector("#app[data-room='attendee'][data-ws-state='open']")
        cookies = attendee.context.cookies()
        assert [(c["httpOnly"], c["sameSite"]) for c in cookies] == [(True, "Strict")]
        assert attendee.is_disabled("[data-testid=room-watch]")  # nothing live yet

        teacher.wait_for_function(
            "() => [...document.querySelectorAll('.room-person')]"
            ".some((n) => n.textContent === 'Ada')"
        )
        teacher.click("[data-testid=room-live]")
        teacher.wait_for_selector("[data-testid=room-live][aria-pressed='true']")
        teacher.click("[data-testid=play]")
        teacher.wait_for_function("() => Number(document.getElementById('app').dataset.epoch) > 30")
        teacher.wait_for_selector("[data-testid=room-qr]")
        teacher.wait_for_function(
            "() => document.querySelector('[data-testid=room-qr]').naturalWidth > 0"
        )
        teacher.screenshot(path=str(ARTIFACTS / "room-instructor.png"))

        attendee.wait_for_selector("[data-testid=room-watch]:not([disabled])")
        attendee.click("[data-testid=room-watch]")
        attendee.wait_for_selector("#app[data-watching='true'] [data-testid=watch-banner]")
        attendee.wait_for_selector("#app[data-ws-state='open']")
        start = int(teacher.get_attribute("#app", "data-epoch"))
        attendee.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) > n", arg=start
        )
        later = int(attendee.get_attribute("#app", "data-epoch"))
        attendee.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) > n + 20", arg=later
        )
        attendee.keyboard.press("r")  # a shortcut: refused on the page, the run goes on
        attendee.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) > n + 40", arg=later
        )
        attendee.wait_for_selector("[data-testid=boundary] canvas")
        attendee.screenshot(path=str(ARTIFACTS / "room-watch.png"))

        teacher.click("[data-testid=room-live]")  # stop sharing: the attendee returns home
        attendee.wait_for_function("() => !document.getElementById('app').dataset.watching")
        attendee.wait_for_selector("#app[data-ws-state='open']")
        attendee.wait_for_selector("[data-testid=room-watch][disabled]")  # nothing live

        # Live again; the attendee watches, then forks: a run of their own from that epoch on.
        teacher.click("[data-testid=room-live]")
        attendee.wait_for_selector("[data-testid=room-watch]:not([disabled])")
        attendee.click("[data-testid=room-watch]")
        attendee.wait_for_selector("#app[data-watching='true']")
        attendee.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) > n", arg=later + 40
        )
        attendee.click("[data-testid=room-fork]")
        attendee.wait_for_function("() => !document.getElementById('app').dataset.watching")
        attendee.wait_for_selector("#app[data-ws-state='open'][data-run-state='idle']")
        forked = int(attendee.get_attribute("#app", "data-epoch"))
        assert forked > later + 40
        teacher.click("[data-testid=play]")  # the instructor pauses; the fork trains on its own
        teacher.wait_for_selector("#app[data-run-state='paused']")
        attendee.click("[data-testid=play]")
        attendee.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) > n + 20", arg=forked
        )
        attendee.click("[data-testid=play]")
        for page in (stranger, teacher, attendee):
            assert page.errors == [], page.errors
            page.context.close()
