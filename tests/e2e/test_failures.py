"""The classic failures as an instructor shows them: a run that diverges says so and can restart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import open_app, wait_epoch_above

pytestmark = pytest.mark.e2e


def test_exploding_gradients_diverge_visibly_then_clipping_learns(page: Any) -> None:
    open_app(page, "#preset=exploding-gradients")
    page.click("[data-testid='play']")
    page.wait_for_selector("#app[data-run-state='diverged']")
    status = page.text_content("[data-testid='status']") or ""
    assert "Diverged at epoch" in status
    assert page.text_content("[data-testid='run-state']") == "Diverged"

    # The fix, from the page: clip the global gradient norm at 1 and press play (fresh weights).
    section = page.locator("[data-testid='section-regularisation']")
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    page.select_option("[data-testid='clip-mode']", "norm")
    page.fill("[data-testid='clip-threshold']", "1")
    page.press("[data-testid='clip-threshold']", "Enter")
    page.wait_for_function("() => window.backpropLab.state.config.training.clip_norm === 1")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 40)
    assert page.get_attribute("#app", "data-run-state") == "running"
    assert page.is_hidden("[data-testid='status']")
