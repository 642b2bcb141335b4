"""Speed and budget in the browser: "stop at epoch" pauses exactly there; slow motion is slow."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import epoch, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e


def wait_limit_shown(page: Any, text: str) -> None:
    """Wait until the server's echo of the pacing settings shows next to the epoch counter."""
    page.wait_for_function(
        "(t) => document.querySelector('[data-testid=epoch-limit]').textContent.includes(t)",
        arg=text,
    )


def test_stop_at_epoch_pauses_exactly_there_with_the_reason(page: Any) -> None:
    open_app(page)
    box = page.locator("[data-testid='stop-at']")
    box.fill("50")
    box.press("Enter")
    box.blur()
    wait_limit_shown(page, "stop 50")
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    assert epoch(page) == 50
    assert "Stopped at epoch 50" in page.text_content("[data-testid='status']")
    # Emptying the box lifts the limit.
    box.fill("")
    box.press("Enter")
    box.blur()
    page.wait_for_selector("[data-testid='epoch-limit']", state="hidden")


def test_two_epochs_per_second_advance_slowly(page: Any) -> None:
    open_app(page)
    page.select_option("[data-testid='speed']", "2")
    wait_limit_shown(page, "2 ep/s")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 0)
    time.sleep(2.0)
    assert epoch(page) <= 10  # about 5 at 2 epochs/s; full speed gives hundreds
    assert page.get_attribute("[data-testid='run-state']", "data-state") == "running"
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
