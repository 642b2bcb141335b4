"""Mid-training, the page shows a network that learns: what the README's screenshot promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, open_app, wait_epoch_above, wait_epoch_equal

pytestmark = pytest.mark.e2e


# Every 97th red value of the boundary canvas: enough to tell whether the picture changed.
BOUNDARY_PIXELS = """() => {
  const c = document.querySelector('[data-testid=boundary-canvas]');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const out = [];
  for (let i = 0; i < d.length; i += 4 * 97) out.push(d[i]);
  return out;
}"""


def shown_number(page: Any, testid: str) -> float:
    """The number a stat card shows (a percentage as a fraction)."""
    text = page.text_content(f"[data-testid='{testid}']").strip()
    return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)


def test_spiral_mid_training_shows_learning(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='step']")
    wait_epoch_equal(page, 1)
    first_loss = shown_number(page, "stat-train-loss")
    before = page.evaluate(f"({BOUNDARY_PIXELS})()")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 300)
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    # The loss fell (by a margin any CPU's trajectory clears) and the cards show real numbers.
    assert shown_number(page, "stat-train-loss") < 0.95 * first_loss
    assert 0.0 <= shown_number(page, "stat-val-acc") <= 1.0
    # The charts hold every epoch so far, one gradient series per layer.
    assert page.get_attribute("[data-testid='chart-grad']", "data-series") == "3"
    # The decision boundary was redrawn as the network learned.
    changed = page.evaluate(f"({BOUNDARY_PIXELS})()")
    assert sum(a != b for a, b in zip(changed, before, strict=True)) > 0.05 * len(before)
    page.mouse.move(0, 0)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ROOT / "artifacts" / "screenshot.png")))
