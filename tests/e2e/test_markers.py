"""Markers where something changed, as a person sees them: a learning-rate change and an added
layer mid-training draw labelled lines on every chart, the epoch count goes on, a reload keeps
them, and hovering a line shows the full change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HAS_LABELS, epoch, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LOSS_ROOT = "[data-testid='chart-loss'] .uplot"
LOSS_EPOCHS = "window.backpropLab.views.charts.drawn('loss')[0]"


def labels_of(page: Any, chart: str) -> str:
    return page.get_attribute(f"[data-testid='{chart}'] .uplot", "data-marker-labels") or ""


def pause(page: Any) -> None:
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")


def test_changes_mid_training_draw_markers_that_survive_a_reload(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='play']")
    wait_epoch_above(page, 20)
    lr = page.locator("[data-testid='lr-input']")
    lr.fill("0.03")
    lr.press("Enter")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["lr 0.01 → 0.03"]])
    at_lr = epoch(page)
    wait_epoch_above(page, 3 * at_lr)  # far enough apart on the chart not to merge
    page.click("[data-testid='add-layer']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series='4']")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["lr 0.01 → 0.03", "+ layer"]])
    at_layer = epoch(page)
    assert at_layer >= 3 * at_lr, "adding a layer keeps the epoch count"
    wait_epoch_above(page, at_layer + 20)
    pause(page)
    drawn = page.evaluate(LOSS_EPOCHS)
    assert drawn[0] <= 2 and drawn[-1] >= at_layer + 20, "the history before the edit is kept"
    for chart in ("chart-acc", "chart-grad"):  # every chart of the tab
        page.wait_for_function(HAS_LABELS, arg=[chart, ["lr 0.01 → 0.03", "+ layer"]])
    page.click("[data-testid='chart-tab-gradients']")
    page.wait_for_function(HAS_LABELS, arg=["chart-update", ["+ layer"]])
    page.click("[data-testid='chart-tab-training']")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["+ layer"]])

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "markers.png"))
    # Hovering a marker's line shows the full change, on that chart only.
    over = page.locator("[data-testid='chart-loss'] .u-over")
    box = over.bounding_box()
    xs = page.get_attribute("[data-testid='chart-loss'] .uplot", "data-marker-x") or ""
    first = int(xs.split(",")[0])
    page.mouse.move(box["x"] + first, box["y"] + box["height"] / 2)
    tip = page.locator("[data-testid='chart-loss'] [data-testid='marker-tip']")
    tip.wait_for(state="visible")
    assert "training.learning_rate: 0.01 → 0.03" in tip.text_content()
    assert not page.is_visible("[data-testid='chart-acc'] [data-testid='marker-tip']")
    page.screenshot(path=str(ARTIFACTS / "markers-hover.png"))

    page.reload()
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["lr 0.01 → 0.03", "+ layer"]])
    page.wait_for_function(HAS_LABELS, arg=["chart-grad", ["lr 0.01 → 0.03", "+ layer"]])
    assert page.evaluate(LOSS_EPOCHS)[0] <= 2
    assert epoch(page) >= at_layer + 20
    assert float(page.get_attribute(LOSS_ROOT, "data-marker-font")) >= 14

    # Presentation mode: larger labels, for the back of the room.
    page.click("[data-testid='present']")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["+ layer"]])
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=chart-loss] .uplot')"
        ".dataset.markerFont) >= 16"
    )
    page.screenshot(path=str(ARTIFACTS / "markers-present.png"))
    page.click("[data-testid='present']")

    # Reset starts afresh: the old markers go, a reset marker stays at epoch 0.
    page.click("[data-testid='reset']")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["reset"]])
    assert "+ layer" not in labels_of(page, "chart-loss")
