"""`python -m bench.room_screens`: the room's 1280x720 screenshots in docs/.

Starts `serve --room` on 127.0.0.1; six named attendees train the spiral at learning rates from
0.003 to 1 (over websockets, as their pages would); the instructor's page goes live, plays, and
opens the class wall coloured by learning rate (docs/room-wall.png); an attendee's page watches
the instructor's run (docs/room-watch.png). Pictures only, never a pass/fail. Each is saved
with at most PALETTE colours (Pillow, which the dev extras bring with tensorboard): a third of
the bytes, and flat UI colours lose nothing visible.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import async_playwright

from bench.browser import CHROMIUM_ARGS, VIEWPORT, chromium_path
from bench.loadclient import Client, Server
from bench.roomload import COOKIE, _greeting, http, is_state

DOCS = Path(__file__).resolve().parents[1] / "docs"
ATTENDEES = (
    ("Ada", 0.003),
    ("Bob", 0.01),
    ("Chen", 0.03),
    ("Dara", 0.1),
    ("Eli", 0.3),
    ("Fay", 1.0),
)
WAIT_MS = 60_000
PALETTE = 128


async def photograph(page: Any, name: str) -> None:
    """A 1280x720 screenshot of `page` as docs/`name`, palette-reduced."""
    path = DOCS / name
    await page.screenshot(path=str(path))
    picture = Image.open(path).convert("RGB")
    reduced = picture.quantize(PALETTE, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


async def attendees(server: Server, code: str) -> list[Client]:
    """Join and train one session each, at its learning rate."""
    clients = []
    for name, lr in ATTENDEES:
        form = {"code": code, "name": name}
        _, _, cookie = http(server, "POST", "/join", body=form, form=True)
        config = {"training": {"learning_rate": lr}}
        _, mine, _ = http(server, "POST", "/api/sessions", cookie, {"config": config})
        url = f"{server.ws_base}/ws/sessions/{mine['id']}?token={mine['token']}&encoding=compact"
        client = Client(url, {"cookie": f"{COOKIE}={cookie}"})
        await client.open()
        await client.timed({"type": "play"}, is_state("running"), 30.0)
        clients.append(client)
    return clients


async def pages(server: Server, link: str, code: str) -> None:
    """The instructor's wall and an attendee's watch view, photographed."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        teacher = await _page(browser, server)
        await teacher.goto(link)
        await teacher.wait_for_selector("#app[data-room='instructor'][data-ws-state='open']")
        await teacher.click("[data-testid=room-live]")
        await teacher.wait_for_selector("#app[data-room-live='true']")
        await teacher.click("[data-testid=room-toggle]")  # the panel away: the run in view
        await teacher.click("[data-testid=play]")

        student = await _page(browser, server)
        await student.goto("/join")
        await student.fill("[data-testid=join-code]", code)
        await student.fill("[data-testid=join-name]", "Gus")
        await student.click("[data-testid=join-submit]")
        await student.wait_for_selector("[data-testid=room-watch]:not([disabled])")
        await student.click("[data-testid=room-watch]")
        await student.wait_for_selector("#app[data-watching=true][data-ws-state='open']")
        await student.wait_for_function(
            "() => Number(document.getElementById('app').dataset.epoch) > 400"
        )
        await photograph(student, "room-watch.png")

        await teacher.click("[data-testid=wall-open]")
        await teacher.select_option("[data-testid=wall-color]", "lr")
        await teacher.wait_for_function(
            "(n) => [...document.querySelectorAll('[data-testid=wall-card]')]"
            ".filter((c) => Number(c.dataset.epoch) > 300).length === n",
            arg=len(ATTENDEES),
        )
        await photograph(teacher, "room-wall.png")
        await browser.close()


async def _page(browser: Any, server: Server) -> Any:
    context = await browser.new_context(viewport=VIEWPORT, base_url=server.base)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


async def main() -> None:
    """Serve a room, train, photograph, stop."""
    server = Server("--room", "--host", "127.0.0.1", ready="/join")
    clients: list[Client] = []
    try:
        greeting = await _greeting(server)
        found = re.search(r"(http://\S+/room/instructor\?token=[\w-]+)", greeting)
        assert found, "no instructor link in the server's greeting"
        token = found.group(1).split("token=")[1]
        _, _, teacher = http(server, "GET", f"/room/instructor?token={token}")
        code = http(server, "GET", "/api/room", teacher)[1]["code"]
        clients = await attendees(server, code)
        await pages(server, found.group(1), code)
        print(f"wrote {DOCS / 'room-wall.png'} and {DOCS / 'room-watch.png'}")
    finally:
        for client in clients:
            await client.close()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
