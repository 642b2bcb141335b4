"""Charts a room can read: presentation mode's type sizes, the dark theme, zoom and smoothing."""

from __future__ import annotations

import itertools
from typing import Any

from tests.e2e.conftest import open_app, wait_epoch_above

MIN_PRESENT_PX = 16.0

# The computed font size (px) of every element matching a selector, as the browser lays it out.
SIZES_JS = """
(sel) => [...document.querySelectorAll(sel)]
  .filter((e) => e.offsetParent !== null)
  .map((e) => parseFloat(getComputedStyle(e).fontSize))
"""


def sizes(page: Any, selector: str) -> list[float]:
    """Font sizes of the visible elements matching `selector`."""
    found: list[float] = page.evaluate(SIZES_JS, selector)
    assert found, f"no visible element matches {selector!r}"
    return found


def wiggle(curve: list[float | None]) -> float:
    """Total variation of a curve, skipping gaps."""
    pairs = itertools.pairwise(curve)
    return sum(abs(b - a) for a, b in pairs if a is not None and b is not None)


def train_a_little(page: Any, epochs: int = 60) -> None:
    """Play until the page shows more than `epochs` epochs, then pause."""
    page.click("[data-testid='play']")
    wait_epoch_above(page, epochs)
    page.click("[data-testid='play']")
    page.wait_for_selector("#app[data-run-state='paused']")


def test_p_key_presents_with_type_a_room_can_read(page: Any) -> None:
    open_app(page)
    train_a_little(page)
    assert min(sizes(page, ".bp-chart-legend .u-legend")) < MIN_PRESENT_PX  # the desk layout
    page.keyboard.press("p")
    page.wait_for_selector("html[data-present='on']")
    assert not page.is_visible("[data-testid='sidebar']"), "the settings fold away"
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.querySelector('.bp-charts'))"
        ".getPropertyValue('--bp-chart-font')) >= 16"
    )
    labels = {
        "legend": ".bp-chart-legend .u-legend",
        "stat label": ".stat-label",
        "stat value": ".stat-value",
        "chart title": ".bp-chart-title",
    }
    for what, selector in labels.items():
        assert min(sizes(page, selector)) >= MIN_PRESENT_PX, what
    axis_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.bp-charts'))"
        ".getPropertyValue('--bp-chart-font'))"
    )
    assert axis_px >= MIN_PRESENT_PX, "chart axis labels (canvas) are drawn at --bp-chart-font"
    epoch_px = sizes(page, "[data-testid='epoch']")[0]
    assert epoch_px > max(sizes(page, ".stat-label") + sizes(page, ".bp-chart-legend .u-legend"))
    page.click("[data-testid='present']")
    page.wait_for_selector("html:not([data-present])")
    assert page.is_visible("[data-testid='sidebar']")


def test_presentation_type_grows_on_a_larger_screen(page: Any) -> None:
    open_app(page)
    page.keyboard.press("p")
    page.wait_for_selector("html[data-present='on']")
    small = sizes(page, ".stat-label")[0]
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_function("() => window.innerWidth === 1920")
    assert sizes(page, ".stat-label")[0] > small


def test_dark_theme_is_remembered(page: Any) -> None:
    open_app(page)
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.click("[data-testid='theme']")
    page.wait_for_selector("html[data-theme='dark']")
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    assert dark_bg == "rgb(0, 0, 0)"
    page.reload()
    open_app(page)
    assert page.get_attribute("html", "data-theme") == "dark"
    page.click("[data-testid='theme']")
    page.wait_for_selector("html[data-theme='light']")


def test_drag_zooms_every_chart_of_the_tab_and_double_click_resets(page: Any) -> None:
    open_app(page)
    train_a_little(page, 200)
    before = page.evaluate("window.backpropLab.views.charts.xScales()")
    box = page.locator("[data-testid='chart-loss'] .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    page.wait_for_selector(".bp-charts[data-zoomed='true']")
    zoomed = {s["kind"]: s for s in page.evaluate("window.backpropLab.views.charts.xScales()")}
    full = {s["kind"]: s for s in before}
    for kind in ("loss", "acc", "grad"):
        span, full_span = (
            zoomed[kind]["max"] - zoomed[kind]["min"],
            full[kind]["max"] - full[kind]["min"],
        )
        assert span < 0.5 * full_span, f"{kind} was not zoomed: {zoomed[kind]} vs {full[kind]}"
    assert abs(zoomed["acc"]["min"] - zoomed["loss"]["min"]) < 1e-6
    page.locator("[data-testid='chart-acc'] .u-over").dblclick()
    page.wait_for_selector(".bp-charts[data-zoomed='false']")
    for s in page.evaluate("window.backpropLab.views.charts.xScales()"):
        assert s["max"] - s["min"] >= 0.99 * (full[s["kind"]]["max"] - full[s["kind"]]["min"])


def test_smoothing_slider_changes_the_drawn_curve(page: Any) -> None:
    open_app(page)
    train_a_little(page, 150)
    drawn = "window.backpropLab.views.charts.drawn('loss')"
    # The chart draws on an animation frame: wait until it has caught up with the last epoch.
    page.wait_for_function(
        f"() => {drawn}[0].at(-1) === Number(document.getElementById('app').dataset.epoch)"
    )
    raw = page.evaluate(drawn)
    page.locator("[data-testid='chart-smoothing']").fill("0.9")
    page.wait_for_function(f"() => {drawn}.length === {2 * len(raw) - 1}")
    after = page.evaluate(drawn)
    # x, then the faint raw train/val curves (unchanged), then the smoothed ones.
    assert after[1] == raw[1] and after[2] == raw[2]
    smoothed = after[3]
    assert smoothed != raw[1]
    assert wiggle(smoothed) < 0.7 * wiggle(raw[1])
