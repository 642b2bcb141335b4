"""The Export menu downloads the current run in every format, and Save PNG the boundary canvas."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORT, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e

RUN_ID = "() => window.backpropLab.state.run"


def pick(page: Any, item: str) -> Path:
    """Open the menu, choose `item`, return the saved download's path."""
    page.click("[data-testid='export']")
    page.wait_for_selector("[data-testid='export-menu']:not([hidden])")
    with page.expect_download() as info:
        page.click(f"[data-testid='export-{item}']")
    download = info.value
    path = Path(download.path())
    assert path.stat().st_size > 0
    return path.rename(path.with_name(download.suggested_filename))


def test_every_format_downloads_from_the_menu(page: Any, tmp_path: Path) -> None:
    open_app(page)
    page.click("[data-testid='play']")
    wait_epoch_above(page, 30)
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    run = page.evaluate(RUN_ID)

    csv = pick(page, "csv")
    assert csv.name == f"run-{run}.csv" and csv.read_text().startswith("segment,epoch,")
    assert json.loads(pick(page, "json").read_text())["run"]["id"] == run
    assert pick(page, "npz").read_bytes()[:2] == b"PK"
    assert "model" in json.loads(pick(page, "config").read_text())
    with zipfile.ZipFile(pick(page, "tensorboard")) as archive:
        assert any(
            n.startswith(f"run-{run}/segment-0/events.out.tfevents") for n in archive.namelist()
        )
    script = pick(page, "script")
    assert script.name == f"run-{run}.py" and "import numpy as np" in script.read_text()
    assert pick(page, "png").read_bytes()[:4] == b"\x89PNG"
    canvas = pick(page, "canvas")
    assert canvas.name == f"boundary-{run}.png" and canvas.read_bytes()[:4] == b"\x89PNG"
    assert page.get_attribute("[data-testid='export-menu']", "hidden") is not None

    shot = os.environ.get("BACKPROP_EXPORT_SCREENSHOT")
    if shot:  # look at the open menu (1280×720)
        page.click("[data-testid='export']")
        page.wait_for_selector("[data-testid='export-menu']:not([hidden])")
        page.screenshot(path=shot)


def test_a_refused_export_says_why(browser: Any, server_url: str) -> None:
    # Its own context: the browser logs the refused request, which the `page` fixture forbids.
    context = browser.new_context(viewport=VIEWPORT, base_url=server_url)
    try:
        page = context.new_page()
        open_app(page)  # a fresh run: no checkpoint yet, so no weights
        page.click("[data-testid='export']")
        page.click("[data-testid='export-npz']")
        page.wait_for_selector("[data-testid='toasts'] .toast-error")
        assert "no checkpoint yet" in page.inner_text("[data-testid='toasts']")
        page.click("[data-testid='export']")
        page.keyboard.press("Escape")
        assert page.get_attribute("[data-testid='export-menu']", "hidden") is not None
    finally:
        context.close()
