"""Per-unit maps in Chromium: thumbnails in the diagram, the large view on hover with the engine's
incoming weights and health, pinning, and tabular data that has no plane to map over."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.schemas.config import SessionConfig
from app.training.run import Run

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("BACKPROP_UNIT_SHOTS")  # a folder: save screenshots there
EPOCHS = 3

# How many drawn thumbnails have colour (not blank white) at their node's centre.
COLOURED_THUMBS = """() => {
  const canvas = document.querySelector('[data-testid=unit-thumbs]');
  const ctx = canvas.getContext('2d');
  const box = canvas.getBoundingClientRect();
  const sx = canvas.width / box.width;
  let coloured = 0;
  for (const g of document.querySelectorAll('.bp-unit[data-map="1"]')) {
    const r = g.querySelector('.bp-unit-hit').getBoundingClientRect();
    const [x, y] = [(r.left + r.width / 2 - box.left) * sx, (r.top + r.height / 2 - box.top) * sx];
    const d = ctx.getImageData(Math.round(x) - 3, Math.round(y) - 3, 7, 7).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 235 || d[i + 2] < 235) { coloured++; break; }
    }
  }
  return coloured;
}"""


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS, f"{name}.png")))


def _open(page: Any, config: dict[str, Any] | None = None) -> None:
    hash_ = ""
    if config is not None:
        raw = base64.urlsafe_b64encode(json.dumps(config).encode()).decode().rstrip("=")
        hash_ = f"#config={raw}"
    page.goto(f"/{hash_}")
    page.wait_for_selector("#app[data-ws-state='open']")


def _step_to(page: Any, epochs: int) -> None:
    for n in range(1, epochs + 1):
        page.click("[data-testid='step']")
        page.wait_for_function(
            "(n) => Number(document.getElementById('app').dataset.epoch) >= n", arg=n
        )
    page.wait_for_selector("#app[data-run-state='paused']")
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=unit-thumbs]').dataset.epoch === String(n)",
        arg=epochs,
    )


def test_hover_a_hidden_unit_to_see_its_map_weights_and_health(page: Any) -> None:
    _open(page)
    _step_to(page, EPOCHS)
    drawn = page.locator(".bp-unit[data-map='1']").count()
    assert drawn >= 8  # two hidden layers, most of their 8 units each
    assert int(page.get_attribute("[data-testid='unit-thumbs']", "data-count")) == drawn
    assert page.evaluate(COLOURED_THUMBS) >= drawn - 1  # a unit may be ~0 on its centre only
    assert "dead" in page.text_content("[data-testid='unit-legend']")
    assert "saturated" in page.text_content("[data-testid='unit-legend']")
    _shot(page, "unit-thumbnails")

    # The same session in this process: same config and seed, same epochs, same weights.
    run = Run(SessionConfig.model_validate(page.evaluate("window.backpropLab.state.config")))
    for _ in range(EPOCHS):
        run.train_epoch()
    units = run.snapshot()["units"]

    for layer, unit in ((0, 1), (1, 2)):
        page.hover(f"[data-testid='unit-{layer}-{unit}']")
        page.wait_for_selector(f"[data-testid='unit-view'][data-unit='{layer}:{unit}']")
        assert not page.is_hidden("[data-testid='unit-view-map']")
        assert page.get_attribute(".bp-net-svg", "data-highlight") == ""  # not the inspector's
        W = run.model.dense_weights()[layer][1][:, unit]
        rows = page.locator("[data-testid='unit-view-weights'] tr[data-source]")
        assert rows.count() == min(len(W), 8)
        shown = {
            int(rows.nth(i).get_attribute("data-row")): float(rows.nth(i).get_attribute("data-w"))
            for i in range(rows.count())
        }
        for row, w in shown.items():
            assert w == pytest.approx(float(W[row]), abs=1e-4)
        # largest first, with the sign and the source named
        sizes = [abs(v) for v in shown.values()]
        assert sizes == sorted(sizes, reverse=True)
        first = rows.nth(0)
        text = first.inner_text()
        row = int(first.get_attribute("data-row"))
        expected_source = ["X₁", "X₂"][row] if layer == 0 else f"L1.{row + 1}"
        assert expected_source in text
        assert ("−" in text) == (float(first.get_attribute("data-w")) < 0)
        status = units["layers"][layer]["status"][unit]
        assert page.get_attribute("[data-testid='unit-view']", "data-status") == status
        lo, hi = units["layers"][layer]["plane_lo"][unit], units["layers"][layer]["plane_hi"][unit]
        shown_range = page.locator("[data-testid='unit-view-range']")
        assert float(shown_range.get_attribute("data-plane-lo")) == pytest.approx(lo, abs=1e-3)
        assert float(shown_range.get_attribute("data-plane-hi")) == pytest.approx(hi, abs=1e-3)
        assert "…" in shown_range.inner_text()
        _shot(page, f"unit-view-{layer}-{unit}")

    # Hover away: it closes. Click: it stays (pinned) until × or Esc.
    page.mouse.move(5, 700)
    page.wait_for_selector("[data-testid='unit-view']", state="hidden")
    page.click("[data-testid='unit-0-0']")
    page.mouse.move(5, 700)
    page.wait_for_selector("[data-testid='unit-view'][data-pinned='1'][data-unit='0:0']")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid='unit-view']", state="hidden")

    # The keyboard reaches them too: focus shows a unit, Enter pins it.
    page.focus("[data-testid='unit-1-0']")
    page.wait_for_selector("[data-testid='unit-view'][data-unit='1:0']")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid='unit-view'][data-pinned='1'][data-unit='1:0']")
    page.click("[data-testid='unit-view-close']")
    page.wait_for_selector("[data-testid='unit-view']", state="hidden")


def test_dead_units_are_struck_through_where_the_engine_finds_them(page: Any) -> None:
    # ReLU with a learning rate this high kills most of layers 2 and 3 within three epochs.
    relu = {"units": 8, "activation": "relu"}
    _open(
        page,
        {
            "dataset": {"name": "circle"},
            "model": {"layers": [relu, relu, relu]},
            "training": {"learning_rate": 0.3},
        },
    )
    _step_to(page, EPOCHS)
    run = Run(SessionConfig.model_validate(page.evaluate("window.backpropLab.state.config")))
    for _ in range(EPOCHS):
        run.train_epoch()
    layers = run.snapshot()["units"]["layers"]
    engine_dead = {
        f"unit-{i}-{j}"
        for i, layer in enumerate(layers)
        for j, status in enumerate(layer["status"])
        if status == "dead"
    }
    drawn = set(
        page.eval_on_selector_all(".bp-unit[data-map='1']", "gs => gs.map(g => g.dataset.testid)")
    )
    shown_dead = set(
        page.eval_on_selector_all(
            ".bp-unit[data-map='1'][data-status='dead']", "gs => gs.map(g => g.dataset.testid)"
        )
    )
    assert len(engine_dead) >= 4
    assert shown_dead == engine_dead & drawn
    one = sorted(shown_dead)[0]
    assert page.is_visible(f"[data-testid='{one}'] .bp-unit-slash")
    page.hover(f"[data-testid='{one}']")
    page.wait_for_selector("[data-testid='unit-view'][data-status='dead']")
    assert page.text_content("[data-testid='unit-view-status']") == "dead"
    assert "every training point" in page.text_content("[data-testid='unit-view-health']")
    _shot(page, "unit-view-dead")


def test_tabular_data_says_it_has_no_maps(page: Any) -> None:
    _open(page, {"dataset": {"name": "iris"}})
    _step_to(page, 1)
    page.wait_for_selector("[data-testid='unit-no-maps']")
    assert page.get_attribute("[data-testid='unit-thumbs']", "data-count") == "0"
    page.hover("[data-testid='unit-0-0']")
    page.wait_for_selector("[data-testid='unit-view'][data-unit='0:0']")
    assert page.is_hidden("[data-testid='unit-view-map']")
    assert "more than two inputs" in page.text_content("[data-testid='unit-view-nomap']")
    rows = page.locator("[data-testid='unit-view-weights'] tr[data-source]")
    assert rows.count() == 4  # iris: four measurements feed each first-layer unit
