"""Screenshot mid-training into artifacts/; UPDATE_SCREENSHOT=1 also updates docs/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e


def test_screenshot_mid_training(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='play']")
    wait_epoch_above(page, 600)
    page.mouse.move(0, 0)  # no hover tooltips in the picture
    shot = page.screenshot()
    folders = [ROOT / "artifacts"]
    if os.environ.get("UPDATE_SCREENSHOT") == "1":  # a test run must not dirty the work tree
        folders.append(ROOT / "docs")
    for folder in folders:
        folder.mkdir(exist_ok=True)
        (folder / "screenshot.png").write_bytes(shot)
    assert Path(ROOT / "artifacts" / "screenshot.png").stat().st_size > 20_000
