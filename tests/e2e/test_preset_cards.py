"""The Demos cards: a failure with its fixes as buttons, loading a preset as the select does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import open_app

pytestmark = pytest.mark.e2e

FIX = "vanishing-gradients-relu"
# Where to save a picture of the open cards, for looking at (unset: none is taken).
SHOT_ENV = "BACKPROP_CARDS_SCREENSHOT"


def test_a_fix_button_loads_the_fix_preset_and_its_whole_note(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='demos']")
    cards = page.locator("[data-testid='preset-cards']")
    cards.wait_for(state="visible")
    card = page.locator("[data-testid='preset-card-vanishing']")
    assert card.locator(".preset-card-title").text_content() == "Vanishing gradients"
    assert "Watch the per-layer gradient norms" in card.locator(".preset-card-watch").text_content()
    # No text on any card is cut off: every element shows all of its content.
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.preset-card *')]
             .filter((e) => e.scrollWidth > e.clientWidth + 1
                            || e.scrollHeight > e.clientHeight + 1)
             .map((e) => e.textContent)"""
    )
    assert clipped == []
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.preset-card *')]
             .map((e) => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert min(sizes) >= 16
    if os.environ.get(SHOT_ENV):
        page.screenshot(path=str(Path(os.environ[SHOT_ENV])))

    relu = card.get_by_role("button", name="ReLU")
    relu.click()
    cards.wait_for(state="hidden")
    page.wait_for_function(
        "(id) => window.backpropLab.state.presetId === id"
        " && document.querySelector('[data-testid=preset]').value === id",
        arg=FIX,
    )
    presets = page.evaluate("() => window.backpropLab.state.presets")
    description = next(p["description"] for p in presets if p["id"] == FIX)
    page.wait_for_function(
        "(text) => document.querySelector('.preset-note-text').textContent === text",
        arg=description,
    )
    note = page.locator(".preset-note-text")
    assert note.is_visible()
    assert note.evaluate("(e) => e.scrollHeight <= e.clientHeight + 1")  # nothing clamped away
    # The session runs the fix's configuration: ReLU layers with He initialisation.
    page.wait_for_function(
        "() => window.backpropLab.state.config.model.init === 'he'"
        " && window.backpropLab.state.config.model.layers.every((l) => l.activation === 'relu')"
    )


def test_escape_and_the_close_button_close_the_cards(page: Any) -> None:
    open_app(page)
    cards = page.locator("[data-testid='preset-cards']")
    page.click("[data-testid='demos']")
    cards.wait_for(state="visible")
    page.keyboard.press("Escape")
    cards.wait_for(state="hidden")
    page.click("[data-testid='demos']")
    cards.wait_for(state="visible")
    page.click("[data-testid='preset-cards-close']")
    cards.wait_for(state="hidden")
    assert page.input_value("[data-testid='preset']") == ""  # closing loads nothing
