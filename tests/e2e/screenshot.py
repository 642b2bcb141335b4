"""`make screenshot`: start the app, train the spiral in Chromium at 1280×720, save a PNG.

Usage: python -m tests.e2e.screenshot [OUT.png] (default docs/screenshot.png). Needs Chromium
(BACKPROP_CHROMIUM, else `chromium` on the PATH) and Playwright, like the browser tests.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tests.e2e.conftest import CHROMIUM_ARGS, ROOT, TIMEOUT_MS, VIEWPORT, running_server

EPOCHS = 600  # far enough for the spiral's boundary to have its arms


def take(out: Path) -> None:
    """Write the page mid-training to `out`."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("BACKPROP_CHROMIUM") or shutil.which("chromium") or "chromium"
    with running_server() as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, base_url=server.url)
            page.set_default_timeout(TIMEOUT_MS * 3)
            page.goto("/")
            page.wait_for_selector("#app[data-ws-state='open']")
            page.click("[data-testid='play']")
            page.wait_for_function(
                f"Number(document.getElementById('app').dataset.epoch) > {EPOCHS}"
            )
            page.click("[data-testid='play']")  # pause: the picture and the numbers agree
            page.wait_for_selector("#app[data-run-state='paused']")
            page.mouse.move(0, 0)  # no hover tooltips in the picture
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    take(target)
    print(f"wrote {target}")
