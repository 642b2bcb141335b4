"""Presets, the user's own CSV and hand-placed points, driven through the page (issue 3 and 4)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import open_app, wait_epoch_above, wait_train_points

pytestmark = pytest.mark.e2e


def test_a_preset_can_be_loaded(page: Any, server_url: str) -> None:
    with urllib.request.urlopen(f"{server_url}/api/presets", timeout=5) as reply:
        presets = json.load(reply)
    preset = next(p for p in presets if p["id"] == "vanishing-gradients")
    hidden = len(preset["config"]["model"]["layers"])
    open_app(page)
    page.select_option("[data-testid='preset']", preset["id"])
    page.wait_for_function("() => location.hash === '#preset=vanishing-gradients'")
    page.wait_for_selector("[data-testid='preset-note']:not([hidden])")
    assert page.text_content(".preset-note-title") == preset["title"]
    page.wait_for_selector(f"[data-testid='chart-grad'][data-series='{hidden + 1}']")
    page.wait_for_selector("#app[data-ws-state='open']")
    activation = preset["config"]["model"]["layers"][0]["activation"]
    assert page.input_value("[data-testid='activation']") == activation
    page.click("[data-testid='play']")
    wait_epoch_above(page, 3)
    # Reloading the link reproduces the preset.
    page.reload()
    page.wait_for_selector(f"[data-testid='chart-grad'][data-series='{hidden + 1}']")
    assert page.input_value("[data-testid='preset']") == preset["id"]


def test_a_changed_config_survives_in_the_link(page: Any) -> None:
    open_app(page)
    page.select_option("[data-testid='optimizer']", "adam")
    page.wait_for_selector("[data-testid='beta1']", state="visible")
    assert not page.is_visible("[data-testid='momentum-slider']")
    page.wait_for_function("() => location.hash.startsWith('#config=')")
    page.reload()
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=optimizer]').value === 'adam'"
    )


def test_upload_a_csv_pick_the_target_and_train(page: Any, tmp_path: Path) -> None:
    rows = ["kind,width,height,depth"]
    for i in range(90):
        kind = ("small", "medium", "large")[i % 3]
        size = (1.0, 2.5, 4.0)[i % 3] + (i % 7) * 0.05
        rows.append(f"{kind},{size:.2f},{size * 1.5 + (i % 5) * 0.1:.2f},{(i % 11) * 0.3:.2f}")
    csv_file = tmp_path / "boxes.csv"
    csv_file.write_text("\n".join(rows) + "\n")

    open_app(page)
    page.set_input_files("[data-testid='upload-file']", str(csv_file))
    # The header is read in the browser; the default target is the last column.
    page.wait_for_selector("[data-testid='upload-target'] option[value='kind']", state="attached")
    assert page.input_value("[data-testid='upload-target']") == "depth"
    page.select_option("[data-testid='upload-target']", "kind")
    page.click("[data-testid='upload-submit']")
    page.wait_for_selector("[data-testid='upload-message'][data-kind='ok']")
    assert "3 classes" in page.text_content("[data-testid='upload-message']")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=dataset-info]')"
        ".textContent.startsWith('boxes.csv')"
    )
    assert "3 classes" in page.text_content("[data-testid='dataset-info']")
    assert page.input_value("[data-testid='dataset']").startswith("csv:")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 20)
    assert page.text_content("[data-testid='stat-val-acc']").endswith("%")


def test_a_bad_csv_is_explained_next_to_the_control(
    browser: Any, server_url: str, tmp_path: Path
) -> None:
    # Its own page: the browser logs the 422 response as a console error, which is expected here.
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=server_url)
    try:
        pg = context.new_page()
        open_app(pg)
        bad = tmp_path / "bad.csv"
        bad.write_text("a,b,label\n1,2,x\n3,,y\n")
        pg.set_input_files("[data-testid='upload-file']", str(bad))
        pg.click("[data-testid='upload-submit']")
        pg.wait_for_selector("[data-testid='upload-message'][data-kind='error']")
        message = pg.text_content("[data-testid='upload-message']")
        assert "row" in message.lower(), message
        assert pg.get_attribute("#app", "data-ws-state") == "open"
    finally:
        context.close()


def test_clicking_the_boundary_adds_a_point(page: Any) -> None:
    open_app(page)
    info = "[data-testid='dataset-info']"
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=dataset-info]').dataset.train)"
    )
    before = int(page.get_attribute(info, "data-train"))
    canvas = page.locator("[data-testid='boundary-canvas']")
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.4})
    wait_train_points(page, before + 1)
    canvas.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.5}, modifiers=["Shift"])
    wait_train_points(page, before + 2)
    # Training goes on with the new points.
    page.click("[data-testid='play']")
    wait_epoch_above(page, 5)
