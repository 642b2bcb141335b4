"""The runs panel in Chromium: two runs at different learning rates, renamed, compared, replayed."""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from app.schemas.config import SessionConfig, merge_config
from app.store import RunStore
from tests.e2e.conftest import (
    VIEWPORT,
    open_app,
    running_server,
    start_server,
    wait_epoch_above,
)

pytestmark = pytest.mark.e2e

ROWS = "[data-testid='run-row']"
REPLAY = "[data-testid='runs-screen']"
COUNT_IS = "(text) => document.querySelector('[data-testid=runs-count]')?.textContent === text"
REPLAY_CANVAS = "[data-testid='replay-boundary'] [data-testid='boundary-canvas']"


def config_hash(learning_rate: float) -> str:
    return "#config=" + urllib.parse.quote(
        json.dumps({"training": {"learning_rate": learning_rate}})
    )


def train_with_two_pauses(page: Any, url: str, learning_rate: float) -> str:
    """A new session at `learning_rate`, trained and paused twice (a checkpoint each); its run."""
    page.goto(url + "/" + config_hash(learning_rate))
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_function(
        "(lr) => window.backpropLab.state.config?.training.learning_rate === lr", arg=learning_rate
    )
    for target in (60, 140):
        page.click("[data-testid='play']")
        wait_epoch_above(page, target)
        page.click("[data-testid='play']")
        page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    return str(page.evaluate("window.backpropLab.state.run"))


def canvas_picture(page: Any) -> str:
    return str(page.eval_on_selector(REPLAY_CANVAS, "(c) => c.toDataURL()"))


def test_two_runs_are_renamed_compared_and_replayed(browser: Any) -> None:
    with running_server() as server:
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        problems: list[str] = []
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            slow = train_with_two_pauses(page, server.url, 0.01)
            fast = train_with_two_pauses(page, server.url, 0.1)
            assert slow != fast

            # The panel opens from the keyboard and Escape gives the focus back to its button.
            page.focus("[data-testid='runs']")
            page.keyboard.press("Enter")
            page.wait_for_selector(ROWS)
            assert page.get_attribute("[data-testid='runs']", "aria-expanded") == "true"
            assert page.evaluate("document.querySelector('.workspace').inert"), "a modal"
            page.keyboard.press("Escape")
            page.wait_for_selector("[data-testid='runs-panel']", state="hidden")
            assert page.evaluate("document.activeElement.dataset.testid") == "runs"
            assert not page.evaluate("document.querySelector('.workspace').inert")
            page.click("[data-testid='runs']")
            page.wait_for_selector(ROWS)
            rows = page.locator(ROWS)
            assert rows.count() == 2 and page.text_content("[data-testid='runs-count']") == (
                "1–2 of 2"
            )
            slow_row = page.locator(f"{ROWS}[data-run-id='{slow}']")
            assert "2-8-8-1 tanh" in slow_row.text_content()
            assert "SGD lr 0.01" in slow_row.text_content()
            fast_row = page.locator(f"{ROWS}[data-run-id='{fast}']")
            assert "this tab" in fast_row.text_content()
            assert fast_row.locator("[data-testid='run-delete']").is_disabled()

            # Rename inline from the keyboard (the page's space-bar shortcut stays out of the
            # panel, so space presses the button): Enter saves, and the store has the new name.
            slow_row.locator("[data-testid='run-rename']").focus()
            page.keyboard.press(" ")
            page.fill("[data-testid='run-name-input']", "slow start")
            page.keyboard.press("Enter")
            page.wait_for_function(
                "(id) => document.querySelector(`[data-run-id='${id}'] [data-testid=run-name]`)"
                "?.textContent === 'slow start'",
                arg=slow,
            )
            names = {r["id"]: r["name"] for r in page.request.get("/api/runs").json()}
            assert names[slow] == "slow start"

            # Compare both: two runs drawn on each chart, the legend names the differing setting.
            slow_row.locator("[data-testid='run-select']").check()
            fast_row.locator("[data-testid='run-select']").check()
            page.click("[data-testid='runs-compare']")
            page.wait_for_selector("[data-testid='runs-screen'][data-compared='2']")
            legend = page.locator("[data-testid='compare-legend-item']").all_text_contents()
            assert any(t.startswith("slow start — lr 0.01") for t in legend), legend
            assert any(" — lr 0.1" in t for t in legend), legend
            for chart in ("loss", "accuracy", "grad"):
                drawn = page.get_attribute(
                    f"[data-testid='compare-chart-{chart}'] .compare-chart-plot", "data-drawn"
                )
                counts = [int(x) for x in drawn.split(",")]
                assert len(counts) == 2 and min(counts) > 100, (chart, counts)
            differing = page.locator("[data-testid='compare-differs']").all_text_contents()
            assert differing == ["lr0.10.01"] or differing == ["lr0.010.1"], differing

            # Replay the slow run: the slider picks the nearest checkpoint; Play runs to the end.
            checkpoints = page.request.get(f"/api/runs/{slow}/metrics").json()["checkpoints"]
            ats = [c["at"] for c in checkpoints]
            assert ats[0] == 0 and len(ats) >= 5 and ats == sorted(ats), "from epoch 0 on"
            previous, last = ats[-2], ats[-1]
            index = legend.index(next(t for t in legend if t.startswith("slow start")))
            page.click(f"[data-testid='compare-replay-{index}']")
            page.wait_for_selector(f"{REPLAY}[data-replay-epoch='{last}']")
            policy = page.request.get("/api/runs/limits").json()["checkpoint_policy"]
            assert policy in page.text_content("[data-testid='replay-note']")
            at_last = canvas_picture(page)
            page.fill("[data-testid='replay-slider']", str(last - 1))
            page.wait_for_selector(f"{REPLAY}[data-replay-epoch='{previous}']")
            readout = page.text_content("[data-testid='replay-readout']")
            assert f"showing the checkpoint at epoch {previous}" in readout
            assert "val loss" in readout and "val acc" in readout, readout
            page.wait_for_function(
                "([sel, before]) => document.querySelector(sel).toDataURL() !== before",
                arg=[REPLAY_CANVAS, at_last],
            )
            edges = page.locator("[data-testid='replay-network'] line[stroke]")
            assert edges.count() >= 2 * 8 + 8 * 8 + 8, "the network's weights are drawn"
            page.click("[data-testid='replay-play']")
            page.wait_for_selector(f"{REPLAY}[data-replay-epoch='{last}']")
            page.wait_for_selector("[data-testid='replay-play'][aria-pressed='false']")
            assert not problems, problems
        finally:
            context.close()


def seed(data_dir: Path, count: int) -> dict[str, float]:
    """`count` stored runs named 'seeded K' with learning rate K/1000: {id: learning rate}."""
    store = RunStore.open(data_dir)
    runs = {}
    for k in range(count):
        config = merge_config(SessionConfig(), {"training": {"learning_rate": (k + 1) / 1000}})
        store.create_run(f"seeded{k:03d}", f"seeded {k}", config.model_dump(), "paused")
        runs[f"seeded{k:03d}"] = (k + 1) / 1000
    store.close()
    return runs


def test_many_runs_page_the_limit_holds_and_open_duplicate_delete_work(browser: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="backprop-e2e-runs-") as folder:
        seeded = seed(Path(folder), 45)
        server = start_server(data_dir=Path(folder))
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        problems: list[str] = []
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            open_app(page)
            mine = page.evaluate("window.backpropLab.state.run")
            count = "[data-testid='runs-count']"
            page.click("[data-testid='runs']")
            page.wait_for_selector(ROWS)
            assert page.locator(ROWS).count() == 20 and page.text_content(count) == "1–20 of 46"
            page.click("[data-testid='runs-next']")
            page.wait_for_function(COUNT_IS, arg="21–40 of 46")
            page.click("[data-testid='runs-next']")
            page.wait_for_function(COUNT_IS, arg="41–46 of 46")
            assert page.is_disabled("[data-testid='runs-next']")
            page.click("[data-testid='runs-prev']")
            page.wait_for_function(COUNT_IS, arg="21–40 of 46")

            # Eight ticks are allowed; the ninth is refused with a message, across pages too.
            boxes = page.locator("[data-testid='run-select']")
            for i in range(8):
                boxes.nth(i).check()
            boxes.nth(8).click()
            assert not boxes.nth(8).is_checked()
            assert "at most 8 runs" in page.text_content("[data-testid='runs-message']")
            assert page.text_content("[data-testid='runs-compare']") == "Compare 8 selected"
            boxes.nth(0).uncheck()
            boxes.nth(8).check()
            assert page.text_content("[data-testid='runs-message']") == ""

            # Delete asks first; Cancel keeps the run, Delete removes it.
            victim = page.locator(f"{ROWS}[data-run-id='seeded000']")
            page.click("[data-testid='runs-next']")
            page.wait_for_function(COUNT_IS, arg="41–46 of 46")
            victim.locator("[data-testid='run-delete']").click()
            victim.locator("[data-testid='run-delete-cancel']").click()
            victim.locator("[data-testid='run-delete']").click()
            victim.locator("[data-testid='run-delete-confirm']").click()
            page.wait_for_function(COUNT_IS, arg="41–45 of 45")
            assert page.request.get("/api/runs/seeded000").status == 404

            # A run without a checkpoint cannot continue: Open shows what it recorded.
            page.locator(f"{ROWS}[data-run-id='seeded001'] [data-testid='run-open']").click()
            page.wait_for_selector("[data-testid='runs-screen'][data-compared='1']")
            page.click("[data-testid='compare-back']")
            page.wait_for_selector(ROWS)

            # Duplicate: a new run with its settings becomes this tab's; the old one reopens.
            page.locator(f"{ROWS}[data-run-id='seeded002'] [data-testid='run-duplicate']").click()
            page.wait_for_selector("[data-testid='runs-panel']", state="hidden")
            page.wait_for_function(
                "(lr) => window.backpropLab.state.config?.training.learning_rate === lr",
                arg=seeded["seeded002"],
            )
            copy = page.evaluate("window.backpropLab.state.run")
            assert copy not in (mine, "seeded002")
            page.wait_for_selector("#app[data-ws-state='open']")
            page.click("[data-testid='runs']")
            page.wait_for_selector(f"{ROWS}[data-run-id='{copy}']")
            copy_name = page.text_content(f"{ROWS}[data-run-id='{copy}'] [data-testid='run-name']")
            assert copy_name == "seeded 2 (copy)"
            page.locator(f"{ROWS}[data-run-id='{mine}'] [data-testid='run-open']").click()
            page.wait_for_function("(id) => window.backpropLab.state.run === id", arg=mine)
            page.wait_for_selector("#app[data-ws-state='open']")
            assert not problems, problems
        finally:
            context.close()
            server.stop()
