"""Live diagnoses as an instructor meets them: the callout explains a failing run, and its fix
button, clicked like a person would, applies the fix and clears it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import HAS_LABELS, ROOT, open_app, wait_epoch_above

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "artifacts"
CALLOUT = "[data-testid='diagnoses']"
VANISHING = "[data-testid='diagnosis-vanishing_gradients']"


def font_px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_vanishing_gradients_callout_appears_and_its_relu_fix_clears_it(page: Any) -> None:
    open_app(page, "#preset=vanishing-gradients")
    assert page.is_hidden(CALLOUT), "nothing to diagnose before training"
    page.click("[data-testid='play']")
    page.wait_for_selector(VANISHING)
    text = page.text_content(f"{VANISHING} .diagnosis-text") or ""
    assert "times smaller" in text and any(ch.isdigit() for ch in text), text
    for selector in (".diagnosis-text", ".diagnosis-fix", ".diagnosis-since"):
        assert font_px(page, f"{VANISHING} {selector}") >= 16, selector
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diagnosis-vanishing.png"))

    page.click("[data-testid='dismiss-vanishing_gradients']")  # the room has read it
    page.wait_for_selector(CALLOUT, state="hidden")
    page.click("[data-testid='reset']")  # a fresh run raises it anew, and it shows again
    page.wait_for_selector(VANISHING)

    fix = page.locator("[data-testid='fix-vanishing_gradients-0']")
    assert fix.text_content() == "Use ReLU + He init"
    fix.click()
    page.wait_for_function(
        "() => window.backpropLab.state.config.model.layers.every((l) => l.activation === 'relu')"
    )
    page.wait_for_selector(CALLOUT, state="hidden")
    # A fresh start (the fix changes the initialiser), marked with the fix on the charts.
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["fix: L1 sigmoid → relu"]])
    # The rebuilt network trains on (still playing) and the diagnosis does not come back.
    wait_epoch_above(page, 30)
    assert page.is_hidden(CALLOUT)
    assert page.get_attribute("#app", "data-run-state") == "running"
    page.screenshot(path=str(ARTIFACTS / "diagnosis-fixed.png"))


def test_a_diverged_run_says_where_and_its_clip_fix_lets_play_learn(page: Any) -> None:
    open_app(page, "#preset=exploding-gradients")
    page.click("[data-testid='play']")
    page.wait_for_selector("#app[data-run-state='diverged']")
    page.wait_for_selector("[data-testid='diagnosis-divergence']")
    page.wait_for_selector("[data-testid='diagnosis-exploding_gradients']")
    text = page.text_content("[data-testid='diagnosis-exploding_gradients'] .diagnosis-text")
    assert text and "grew" in text
    page.screenshot(path=str(ARTIFACTS / "diagnosis-exploding.png"))
    fix = page.locator("[data-testid='fix-divergence-0']")
    assert fix.text_content() == "Clip gradients at 1"
    fix.click()
    page.wait_for_function("() => window.backpropLab.state.config.training.clip_norm === 1")
    page.wait_for_selector(CALLOUT, state="hidden")
    page.wait_for_function(HAS_LABELS, arg=["chart-loss", ["fix: clip norm off → 1"]])
    page.click("[data-testid='play']")  # a diverged run restarts with fresh weights
    wait_epoch_above(page, 40)
    assert page.get_attribute("#app", "data-run-state") == "running"
    assert page.is_hidden(CALLOUT)
