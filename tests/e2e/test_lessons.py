"""Scripted lessons in Chromium: each lesson walked to its end as a person would, one opened by URL.

A person opens the Lessons list, starts a lesson, reads each step, answers its question (then the
run or the explanation reveals the answer), presses "Train to epoch N" when there is no question,
uses the inspector where the lesson says so, and presses Next until Finish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.settings import LESSONS_DIR
from app.training.lessons import read_lesson
from app.training.presets import PRESETS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
LESSON_IDS = [path.stem for path in sorted(LESSONS_DIR.glob("*.json"))]
TRAIN_MS = 120_000  # the longest run a lesson asks for (2000 small epochs) on a busy machine

PANEL = "[data-testid='lesson']"
STEP_READY = """([n]) => {
  const p = document.querySelector("[data-testid='lesson']");
  return p && !p.hidden && p.dataset.step === String(n) && p.dataset.ready === 'true'
    && document.getElementById('app').dataset.wsState === 'open';
}"""
REVEALED = """() => document.querySelector("[data-testid='lesson']").dataset.phase === 'reveal'"""
TRAIN_DONE = """() => document.querySelector("[data-testid='lesson']").dataset.train === 'done'"""
HIGHLIGHT = """(target) => {
  const el = document.querySelector(`[data-lesson-target="${target}"]`);
  if (!el) return null;
  const style = getComputedStyle(el);
  return {width: parseFloat(style.outlineWidth), visible: el.getClientRects().length > 0};
}"""


def _open_page(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("#app[data-ws-state='open']")


def _wait_step(page: Any, number: int) -> None:
    page.wait_for_function(STEP_READY, arg=[number])


def _check_pointing(page: Any, step: Any) -> None:
    """Every target is named in the panel; what is on screen wears the outline."""
    chips = page.locator("[data-testid='lesson-look'] .lesson-chip")
    assert chips.count() == len(step.point_at)
    for index, target in enumerate(step.point_at):
        assert chips.nth(index).get_attribute("data-target") == target
        kind, name = target.split(":", 1)
        if kind == "layer":
            mark = page.get_attribute("[data-testid='network'] svg", "data-highlight") or ""
            hidden = len(page.evaluate("() => window.backpropLab.state.config.model.layers"))
            named = {"input": 0, "output": hidden + 1}.get(name)
            column = int(name) if named is None else named
            assert mark.startswith(f"{column}:"), (target, mark)
            continue
        found = page.evaluate(HIGHLIGHT, target)
        assert found is not None, f"nothing outlined for {target}"
        if chips.nth(index).get_attribute("data-visible") == "true":
            assert found["visible"] and found["width"] >= 4, (target, found)


def _answer(page: Any, step: Any, pick_right: bool) -> bool:
    """Choose an answer (the right one or a wrong one); True when it was right."""
    choices = step.question.choices
    right = next(i for i, choice in enumerate(choices) if choice.correct)
    chosen = right if pick_right else (right + 1) % len(choices)
    assert page.get_attribute(PANEL, "data-phase") == "ask"
    if step.train_to_epoch:
        assert page.locator("[data-testid='lesson-train']").is_disabled(), "answer first"
    assert page.locator("[data-testid='lesson-answer']").is_hidden(), "no answer before the guess"
    page.click(f"[data-testid='lesson-choice-{chosen}']")
    return chosen == right


def _check_training(page: Any, step: Any) -> None:
    page.wait_for_function(TRAIN_DONE, timeout=TRAIN_MS)
    epoch = int(page.get_attribute("#app", "data-epoch") or 0)
    state = page.get_attribute("#app", "data-run-state")
    note = page.text_content("[data-testid='lesson-train-note']") or ""
    if state in ("diverged", "stopped"):
        assert epoch < step.train_to_epoch, "the run ended early"
        assert "diverged" in note or "Early stopping" in note, note
    else:
        assert state == "paused" and epoch == step.train_to_epoch, (state, epoch)
        config = page.evaluate("() => window.backpropLab.state.config.training")
        assert config["stop_at_epoch"] == step.train_to_epoch


def _use_the_inspector(page: Any, step: Any) -> None:
    """Where the step points at the inspector's buttons, press them as the text says."""
    if step.inspect:
        page.wait_for_selector("[data-testid='inspector'][data-index]")
    if "control:inspector-next" in step.point_at:
        before = page.get_attribute("[data-testid='inspector-step']", "data-index")
        page.click("[data-testid='inspector-next']")
        page.click("[data-testid='inspector-next']")
        after = page.get_attribute("[data-testid='inspector-step']", "data-index")
        assert int(after or 0) == int(before or 0) + 2
    if "control:inspector-apply" in step.point_at:
        page.click("[data-testid='inspector-apply']")
        page.wait_for_selector("[data-testid='inspector-applied']:not([hidden])")


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_a_lesson_walks_to_its_end(page: Any, lesson_id: str) -> None:
    lesson = read_lesson(LESSONS_DIR / f"{lesson_id}.json")
    _open_page(page)
    page.click("[data-testid='lessons']")
    page.click(f"[data-testid='lesson-open-{lesson_id}']")
    assert page.locator("[data-testid='lesson-list']").is_hidden()
    count = len(lesson.steps)
    for index, step in enumerate(lesson.steps):
        _wait_step(page, index + 1)
        progress = page.text_content("[data-testid='lesson-progress']")
        assert progress == f"Step {index + 1} of {count}"
        assert page.text_content("[data-testid='lesson-step-title']") == step.title
        assert f"#lesson={lesson_id}&step={index + 1}" in page.url
        if step.load and step.load.preset and not step.load.config:
            config = page.evaluate("() => window.backpropLab.state.config")
            preset = PRESETS[step.load.preset].config.model_dump()
            assert config["model"] == preset["model"] and config["dataset"] == preset["dataset"]
        _check_pointing(page, step)
        _use_the_inspector(page, step)
        if step.question:
            right = _answer(page, step, pick_right=index % 2 == 0)
            if step.train_to_epoch:
                _check_training(page, step)
            page.wait_for_function(REVEALED)
            verdict = page.text_content("[data-testid='lesson-verdict']") or ""
            answer = next(c.text for c in step.question.choices if c.correct)
            assert verdict == ("✓ Right." if right else f"✗ Not quite: {answer}."), verdict
            assert page.locator("[data-testid='lesson-answer']").is_visible()
        elif step.train_to_epoch:
            page.click("[data-testid='lesson-train']")
            _check_training(page, step)
        page.click("[data-testid='lesson-next']")
    page.wait_for_selector(PANEL, state="hidden")
    assert "#lesson=" not in page.url, "the hash mirrors the run again once the lesson is over"
    assert page.locator("[data-testid='sidebar']").is_visible()


def test_a_lesson_opens_by_url_at_a_step_and_sets_up_that_steps_run(page: Any) -> None:
    page.goto("/#lesson=overfitting&step=4")
    _wait_step(page, 4)
    assert page.text_content("[data-testid='lesson-progress']") == "Step 4 of 6"
    assert page.text_content("[data-testid='lesson-title']") == "Overfitting"
    training = page.evaluate("() => window.backpropLab.state.config.training")
    assert training["l2"] == 0.02, "step 4 loads the L2 fix"
    assert page.locator("[data-testid='sidebar']").is_hidden(), "the lesson takes its column"
    assert page.url.endswith("#lesson=overfitting&step=4")
    session = page.evaluate("() => window.backpropLab.state.session.id")
    # Back to step 3: it talks about the plain run, so the plain preset is loaded afresh.
    page.click("[data-testid='lesson-prev']")
    _wait_step(page, 3)
    assert page.evaluate("() => window.backpropLab.state.config.training.l2") == 0.0
    assert page.evaluate("() => window.backpropLab.state.session.id") != session
    # Step 2 needs the same run as step 3: kept, not restarted.
    session = page.evaluate("() => window.backpropLab.state.session.id")
    page.keyboard.press("PageUp")
    _wait_step(page, 2)
    assert page.evaluate("() => window.backpropLab.state.session.id") == session
    # Restart sets the step's run up afresh: a new session of the same preset at epoch 0.
    page.click("[data-testid='lesson-restart']")
    page.wait_for_function("(s) => window.backpropLab.state.session.id !== s", arg=session)
    _wait_step(page, 2)
    assert page.get_attribute("#app", "data-epoch") == "0"
    assert page.evaluate("() => window.backpropLab.state.config.training.l2") == 0.0
    # A link to another lesson's step, followed in the same tab.
    page.evaluate("() => { location.hash = '#lesson=exploding-gradients&step=3'; }")
    _wait_step(page, 3)
    assert page.text_content("[data-testid='lesson-title']") == "Exploding gradients"
    assert page.evaluate("() => window.backpropLab.state.config.training.clip_norm") == 1.0
    page.click("[data-testid='lesson-close']")
    assert page.locator(PANEL).is_hidden()
    assert "#lesson=" not in page.url


def test_an_unknown_lesson_in_the_url_says_so_and_starts_the_default_run(page: Any) -> None:
    page.goto("/#lesson=no-such-lesson&step=2")
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_selector("[data-testid='toasts'] .toast")
    assert "no lesson 'no-such-lesson'" in (page.text_content("[data-testid='toasts']") or "")
    assert page.locator(PANEL).is_hidden()
    assert page.evaluate("() => window.backpropLab.state.config.dataset.name") == "spiral"


def _text_px(page: Any, selector: str) -> float:
    size = page.eval_on_selector(selector, "(el) => parseFloat(getComputedStyle(el).fontSize)")
    return float(size)


def test_a_question_step_reads_from_the_back_of_the_room(page: Any) -> None:
    """The screenshots for the closing note: a question step, then the same in presentation mode."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/#lesson=vanishing-gradients&step=2")
    _wait_step(page, 2)
    page.wait_for_selector("[data-lesson-target='chart:grad']")
    assert _text_px(page, "[data-testid='lesson-text'] p") >= 16
    assert _text_px(page, "[data-testid='lesson-choice-0']") >= 16
    page.screenshot(path=str(ARTIFACTS / "lesson-question.png"))
    page.keyboard.press("p")
    page.wait_for_function("() => document.documentElement.dataset.present === 'on'")
    page.wait_for_selector("[data-lesson-target='chart:grad']")
    for selector in (
        "[data-testid='lesson-text'] p",
        "[data-testid='lesson-choice-0']",
        "[data-testid='lesson-progress']",
        "[data-testid='lesson-step-title']",
    ):
        assert _text_px(page, selector) >= 18, selector
    box = page.locator(PANEL).bounding_box()
    assert box is not None and box["width"] >= 340 and box["x"] >= 0
    assert page.locator("[data-testid='lessons']").is_visible(), "the list stays reachable"
    page.screenshot(path=str(ARTIFACTS / "lesson-presentation.png"))


def test_a_backprop_step_opened_by_url_shows_an_inspected_sample(page: Any) -> None:
    page.goto("/#lesson=backprop-step-by-step&step=4")
    _wait_step(page, 4)
    page.wait_for_selector("[data-testid='inspector'][data-index]")
    assert page.get_attribute("#app", "data-inspecting") == "true"
    assert page.evaluate("() => window.backpropLab.state.config.model.layers.length") == 1
    page.click("[data-testid='lesson-choice-1']")
    page.wait_for_function(REVEALED)
    assert page.text_content("[data-testid='lesson-verdict']") == "✓ Right."
