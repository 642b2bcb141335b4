"""A screenshot of the page mid-training, for people (artifacts/) and for the README (docs/)."""

from __future__ import annotations

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
    for folder in (ROOT / "artifacts", ROOT / "docs"):
        folder.mkdir(exist_ok=True)
        (folder / "screenshot.png").write_bytes(shot)
    assert Path(ROOT / "artifacts" / "screenshot.png").stat().st_size > 20_000
