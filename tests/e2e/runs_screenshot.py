"""Pictures of the runs panel and of compare: three spiral runs at three learning rates.

Usage: python -m tests.e2e.runs_screenshot [FOLDER] (default docs/): writes runs-panel.png and
runs-compare.png at 1280×720. Needs Chromium and Playwright, like the browser tests.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tests.e2e.conftest import CHROMIUM_ARGS, ROOT, TIMEOUT_MS, VIEWPORT, running_server
from tests.e2e.test_runs_panel import train_with_two_pauses

LEARNING_RATES = (0.003, 0.03, 0.3)


def take(folder: Path) -> None:
    """Train the runs, then photograph the panel and the three compared."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("BACKPROP_CHROMIUM") or shutil.which("chromium") or "chromium"
    with running_server() as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, base_url=server.url)
            page.set_default_timeout(TIMEOUT_MS * 3)
            for lr in LEARNING_RATES:
                train_with_two_pauses(page, server.url, lr)
            page.click("[data-testid='runs']")
            page.wait_for_selector("[data-testid='run-row']")
            for box in page.locator("[data-testid='run-select']").all():
                box.check()
            folder.mkdir(parents=True, exist_ok=True)
            page.mouse.move(0, 0)
            page.screenshot(path=str(folder / "runs-panel.png"))
            page.click("[data-testid='runs-compare']")
            page.wait_for_selector("[data-testid='runs-screen'][data-compared='3']")
            page.mouse.move(0, 0)
            page.screenshot(path=str(folder / "runs-compare.png"))
        finally:
            browser.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    take(target)
    print(f"wrote {target / 'runs-panel.png'} and {target / 'runs-compare.png'}")
