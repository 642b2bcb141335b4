"""The controls follow the server's schema: which knobs show when, network limits, the count."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.conftest import open_app, wait_epoch_above

pytestmark = pytest.mark.e2e

# Records, from the first DOM change on, whether a field's row was ever on screen.
WATCH_ROW = """(testid) => {
  window.__seen = false;
  const check = () => {
    const input = document.querySelector(`[data-testid="${testid}-input"]`);
    const row = input && input.closest('.field');
    if (row && !row.hidden && row.offsetParent !== null) window.__seen = true;
  };
  const all = { subtree: true, childList: true, attributes: true };
  new MutationObserver(check).observe(document, all);
}"""


def visible(page: Any, testid: str) -> bool:
    """Is the field row holding `testid` shown?"""
    return bool(page.locator(f".field:has([data-testid='{testid}'])").is_visible())


def config_hash(config: dict[str, Any]) -> str:
    """The `#config=` link of a partial config."""
    encoded = base64.urlsafe_b64encode(json.dumps(config).encode()).decode().rstrip("=")
    return f"#config={encoded}"


def test_min_lr_shows_for_every_decaying_schedule(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='section-schedule'] summary")
    for kind, shown in [
        ("step", True),
        ("constant", False),
        ("exponential", True),
        ("cosine", True),
        ("plateau", True),
    ]:
        page.select_option("[data-testid='schedule']", kind)
        page.wait_for_function(
            "(k) => window.backpropLab.state.config.training.schedule.kind === k", arg=kind
        )
        assert visible(page, "schedule-min-lr") is shown, kind
    assert visible(page, "schedule-patience")  # plateau's own knob


def test_momentum_never_shows_for_adam_from_first_paint(page: Any) -> None:
    page.add_init_script(f"({WATCH_ROW})('momentum')")
    open_app(page, config_hash({"training": {"optimizer": "adam"}}))
    assert page.input_value("[data-testid='optimizer']") == "adam"
    assert visible(page, "beta1")
    assert page.evaluate("window.__seen") is False
    page.select_option("[data-testid='optimizer']", "rmsprop")
    page.wait_for_function("() => window.__seen === true")
    assert visible(page, "rho-input")


def test_batch_norm_count_is_the_servers(page: Any) -> None:
    open_app(page)
    assert "105 parameters" in page.text_content("[data-testid='net-summary']")
    page.check("[data-testid='batch-norm']")
    # 2-8-8-1: 105 dense parameters and a gamma and beta per hidden unit.
    page.wait_for_selector("[data-testid='net-summary'][data-parameters='137']")
    assert page.text_content("[data-testid='net-summary']").endswith("137 parameters")


def test_ten_layers_can_be_added_as_the_server_allows(page: Any) -> None:
    open_app(page)
    for n in range(3, 11):
        page.click("[data-testid='add-layer']")
        page.wait_for_selector(f"[data-testid='net-summary'][data-hidden='{n}']")
    assert page.is_disabled("[data-testid='add-layer']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series='11']")
    assert page.text_content("[data-testid='net-summary']").startswith("2 → 8 ×10 → 1")


def test_out_of_range_input_is_refused_with_the_schemas_range(page: Any) -> None:
    open_app(page)
    momentum = page.locator("[data-testid='momentum-input']")
    momentum.fill("1")
    momentum.press("Enter")
    assert "below 1" in (momentum.get_attribute("title") or "")
    assert page.evaluate("window.backpropLab.state.config.training.momentum") == 0.9


def test_layer_stats_and_validation_cadence_reach_the_session(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='section-advanced'] summary")
    assert page.is_checked("[data-testid='instruments']")
    assert page.input_value("[data-testid='eval-every']") == "1"
    page.uncheck("[data-testid='instruments']")
    page.wait_for_function("() => window.backpropLab.state.config.training.instruments === false")
    # Histograms need the instruments: the schema says so and the page hides the row.
    assert not visible(page, "histogram-every")
    box = page.locator("[data-testid='eval-every']")
    box.fill("5")
    box.press("Enter")
    page.wait_for_function("() => window.backpropLab.state.config.training.eval_every === 5")
    page.click("[data-testid='play']")
    wait_epoch_above(page, 12)
    page.click("[data-testid='play']")
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    # Training figures come every epoch, validation ones every fifth.
    epochs, train, val = page.evaluate("window.backpropLab.views.charts.drawn('loss')")[:3]
    assert len(epochs) >= 12
    assert all(v is not None for v in train)
    measured = [int(e) for e, v in zip(epochs, val, strict=True) if v is not None]
    assert measured and all(e % 5 == 0 for e in measured), measured
