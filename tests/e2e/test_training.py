"""The page trains a network the way a person drives it: play, keys, learning rate, layers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import epoch, open_app, wait_epoch_above, wait_epoch_equal

pytestmark = pytest.mark.e2e

LEGEND_HAS_NUMBER = """(testid) => {
  const cells = document.querySelectorAll(`[data-testid="${testid}"] .u-legend .u-series .u-value`);
  return [...cells].slice(1).some((c) => /\\d/.test(c.textContent));
}"""


def test_page_loads_and_socket_opens(page: Any) -> None:
    open_app(page)
    assert page.title() == "Backprop Lab"
    assert page.get_attribute("#app", "data-epoch") == "0"
    assert page.text_content("[data-testid='ws-state']").strip() == "Live"
    # 2 hidden layers + the output layer: one gradient series each.
    assert page.get_attribute("[data-testid='chart-grad']", "data-series") == "3"
    # Every control of the page's own panels is reachable by tests.
    untagged = page.evaluate(
        """() => [...document.querySelectorAll(
                 '.topbar :is(button, input, select), .sidebar :is(button, input, select)')]
              .filter((el) => !el.dataset.testid).map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert untagged == []
    # The essentials fit a 1280×720 projector without scrolling.
    for testid in ("play", "epoch", "lr-slider", "network", "boundary", "chart-loss", "chart-grad"):
        box = page.locator(f"[data-testid='{testid}']").bounding_box()
        assert box is not None, testid
        assert box["y"] + box["height"] <= 720 and box["x"] + box["width"] <= 1280, testid


def test_play_raises_epochs_and_fills_charts(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='running']")
    wait_epoch_above(page, 20)
    assert page.text_content("[data-testid='epoch']").replace(",", "").isdigit()
    for chart in ("chart-loss", "chart-acc", "chart-grad"):
        # Hovering the plot makes the legend show the values under the cursor.
        page.hover(f"[data-testid='{chart}'] .u-over")
        page.wait_for_function(LEGEND_HAS_NUMBER, arg=chart)
    assert page.text_content("[data-testid='stat-train-loss']") != "—"
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")


def test_learning_rate_change_mid_run_keeps_training(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='play']")
    wait_epoch_above(page, 10)
    lr = page.locator("[data-testid='lr-input']")
    lr.fill("0.1")
    lr.press("Enter")
    # The stat shows the lr column of the metrics frames: the rate actually used.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stat-lr]').textContent === '0.1'"
    )
    at_change = epoch(page)
    assert at_change > 10, "changing the learning rate must not reset the weights or the history"
    wait_epoch_above(page, at_change + 10)
    # The slider follows the server's echo of the config.
    slider = float(page.input_value("[data-testid='lr-slider']"))
    assert abs(slider - 1000 * (-1 - -5) / 6) <= 1


def test_adding_a_layer_adds_a_gradient_series(page: Any) -> None:
    open_app(page)
    assert page.get_attribute("[data-testid='chart-grad']", "data-series") == "3"
    page.click("[data-testid='add-layer']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series='4']")
    page.wait_for_selector("[data-testid='net-summary'][data-hidden='3']")
    assert page.text_content("[data-testid='net-summary']").startswith("2 → 8 ×3 → 1")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 5)
    page.hover("[data-testid='chart-grad'] .u-over")
    page.wait_for_function(LEGEND_HAS_NUMBER, arg="chart-grad")


def test_keyboard_space_step_reset(page: Any) -> None:
    open_app(page)
    page.locator("body").click(position={"x": 5, "y": 715})  # focus the page, not a control
    page.keyboard.press("Space")
    page.wait_for_selector("[data-testid='run-state'][data-state='running']")
    wait_epoch_above(page, 2)
    page.keyboard.press("Space")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    paused_at = epoch(page)
    page.keyboard.press("s")
    wait_epoch_equal(page, paused_at + 1)
    # Keys typed into a field are text, not shortcuts: "r" here must not reset.
    page.focus("[data-testid='lr-input']")
    page.keyboard.press("r")
    page.locator("body").click(position={"x": 5, "y": 715})
    page.keyboard.press("s")
    wait_epoch_equal(page, paused_at + 2)  # a reset would have given 1
    page.keyboard.press("r")
    wait_epoch_equal(page, 0)
    assert page.text_content("[data-testid='stat-train-loss']") == "—"
