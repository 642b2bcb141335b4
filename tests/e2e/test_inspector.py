"""The backprop inspector in Chromium: pause, pick a point, walk the steps, apply the update.

The server sends a strict Content-Security-Policy (no inline scripts, no style attributes in
markup): KaTeX must typeset without violating it. The numbers are checked against the engine
in this process: the same config and seed trained for the same epochs give the same weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app.schemas.config import SessionConfig
from app.training.inspection import apply_sample, trace
from app.training.run import Run

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
# The first training point with no other within 4 px: a click (on a whole pixel) picks it alone.
ISOLATED_POINT = """() => {
  const view = window.backpropLab.views.boundary;
  const ds = window.backpropLab.state.dataset;
  const all = [...ds.train.x.keys()].map((i) => view.pixelOf(i));
  const alone = ([x, y], i) => all.every(([u, v], k) => k === i || Math.hypot(u - x, v - y) > 4);
  return all.findIndex(alone);
}"""
# The loss as the page writes it beside the buttons and in the loss step, by its own rules.
LOSS_TEXTS = """async (value) => {
  const { fmt } = await import('/static/js/format.js');
  const { LOSS_LABEL_DIGITS } = await import('/static/js/inspector.js');
  const { num, LOSS_DIGITS } = await import('/static/js/inspector-tex.js');
  return [fmt(value, LOSS_LABEL_DIGITS), num(value, LOSS_DIGITS)];
}"""
SHOTS = os.environ.get("BACKPROP_INSPECTOR_SHOTS")  # a folder: save screenshots there


# Under the CSP, wait_for_function needs a function (an expression string would need eval).
def _open_app(page: Any) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    reply = page.goto("/")
    policy = reply.headers["content-security-policy"]  # the server's own, strict policy
    assert "style-src 'self';" in policy and "unsafe" not in policy
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series]")


def _wait_epoch_above(page: Any, n: int) -> None:
    page.wait_for_function("(n) => Number(document.getElementById('app').dataset.epoch) > n", arg=n)


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS, f"{name}.png")))


def _engine_run(page: Any) -> Run:
    """The page's session rebuilt in this process and trained to the page's epoch."""
    config = SessionConfig.model_validate(page.evaluate("window.backpropLab.state.config"))
    run = Run(config)
    for _ in range(int(page.get_attribute("#app", "data-epoch"))):
        run.train_epoch()
    return run


def _step(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => { const s = document.querySelector('[data-testid=inspector-step]');
                   return {index: s.dataset.index, phase: s.dataset.phase,
                           title: s.querySelector('.insp-title').textContent}; }"""
    )


def test_walk_a_sample_forward_and_backward_then_apply_its_update(page: Any) -> None:
    _open_app(page)
    page.click("[data-testid='play']")
    _wait_epoch_above(page, 5)
    page.click("[data-testid='inspect-open']")
    page.wait_for_selector("[data-testid='inspector'][data-running='true']")
    assert "pause" in page.text_content("[data-testid='inspector-hint']")
    assert page.is_disabled("[data-testid='inspector-random']")
    page.click("[data-testid='play']")
    page.wait_for_selector("#app[data-run-state='paused']")
    page.wait_for_selector("[data-testid='inspector'][data-running='false']")

    # Click a training point where the boundary view draws it.
    index = page.evaluate(ISOLATED_POINT)
    assert index >= 0
    x, y = page.evaluate(f"window.backpropLab.views.boundary.pixelOf({index})")
    page.locator("[data-testid='boundary-canvas']").click(position={"x": x, "y": y})
    page.wait_for_selector(f"[data-testid='inspector'][data-index='{index}']")
    first = _step(page)
    assert first["index"] == "0" and first["phase"] == "forward"
    assert page.get_attribute(".bp-net-svg", "data-highlight") == "1:*:in"
    _shot(page, "inspector-forward")

    # → through the forward pass to the loss: the shown loss is the engine's.
    titles = [first["title"]]
    while _step(page)["phase"] != "loss":
        page.keyboard.press("ArrowRight")
        titles.append(_step(page)["title"])
    assert len(titles) == len(set(titles)) >= 5  # 3 sums, 2 activations, the loss
    run = _engine_run(page)
    walk = trace(run, index)
    shown = float(page.get_attribute("[data-testid='inspector-loss']", "data-value"))
    assert shown == pytest.approx(walk.loss, rel=1e-6)
    # The text is the page's own precision rule applied to that number (not a rounding of ours,
    # which can carry differently: 0.407976 shown to 6 digits is "0.408" to 4).
    label, row = page.evaluate(LOSS_TEXTS, shown)
    assert page.text_content("[data-testid='inspector-loss']") == f"L = {label}"
    row_texes = page.eval_on_selector_all(
        "[data-testid='inspector-rows'] .insp-row", "(rows) => rows.map((r) => r.dataset.tex)"
    )
    assert any(tex.endswith(f"= {row}") for tex in row_texes), (row, row_texes)
    assert float(label) == pytest.approx(walk.loss, rel=1e-2)  # 3 or 4 digits of the number
    _shot(page, "inspector-loss")

    # The backward pass: a unit's row lights up its unit in the network.
    page.keyboard.press("ArrowRight")
    assert _step(page)["phase"] == "backward"
    page.hover("[data-testid='inspector-rows'] .insp-row >> nth=0")
    assert page.get_attribute(".bp-net-svg", "data-highlight").endswith(":0:in")
    while _step(page)["phase"] != "update":
        page.keyboard.press("ArrowRight")
    _shot(page, "inspector-update")
    page.keyboard.press("ArrowLeft")
    assert _step(page)["phase"] == "backward"
    page.click("[data-testid='inspector-next']")
    assert _step(page)["phase"] == "update"

    # Apply this one update: the sample's loss falls, to exactly what the engine gets.
    before = page.get_attribute("[data-testid='inspector']", "data-loaded")
    page.click("[data-testid='inspector-apply']")
    page.wait_for_function(
        "(b) => document.querySelector('[data-testid=inspector]').dataset.loaded !== b",
        arg=before,
    )
    assert page.is_visible("[data-testid='inspector-applied']")
    after = apply_sample(run, index)
    shown_after = float(page.get_attribute("[data-testid='inspector-loss']", "data-value"))
    assert shown_after == pytest.approx(after["loss"], rel=1e-6)
    assert shown_after < shown
    assert _step(page)["phase"] == "update"  # the same sample keeps its place
    _shot(page, "inspector-applied")

    assert page.evaluate("window.__cspViolations") == []
    page.keyboard.press("Escape")
    assert page.is_hidden("[data-testid='inspector']")
    assert page.get_attribute(".bp-net-svg", "data-highlight") == ""


def test_formula_cards_follow_the_settings(page: Any) -> None:
    _open_app(page)
    for key in ("training", "network", "regularisation", "schedule"):
        page.click(f"[data-testid='formula-toggle-{key}']")
        card = f"[data-testid='formula-card-{key}']"
        page.wait_for_selector(f"{card} .katex")
        assert page.locator(f"{card} .tex-error").count() == 0
        assert "docs/conventions.md" in page.text_content(card)
    training = "[data-testid='formula-card-training']"
    assert "SGD with momentum" in page.text_content(training)
    page.select_option("[data-testid='optimizer']", "adam")
    page.wait_for_function(
        "(sel) => document.querySelector(sel).textContent.includes('Adam')", arg=training
    )
    network = "[data-testid='formula-card-network']"
    assert "tanh" in page.text_content(network) and "cross-entropy" in page.text_content(network)
    page.select_option("[data-testid='activation-0']", "relu")
    page.wait_for_function(
        "(sel) => document.querySelector(sel).textContent.includes('relu')", arg=network
    )
    page.click("[data-testid='formula-toggle-training']")
    assert page.is_hidden(training)
    _shot(page, "formula-cards")
    assert page.evaluate("window.__cspViolations") == []
