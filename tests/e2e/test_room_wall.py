"""The class wall in Chromium: two named attendees load a pushed preset and train, the wall shows
both; the instructor asks a question, attendees vote, the wall counts; reveal trains the branches
overlaid; the instructor watches one attendee's run large (loopback only)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_room import ARTIFACTS, new_page, room_server

pytestmark = pytest.mark.e2e
EPOCH = "Number(document.getElementById('app').dataset.epoch)"


def join_as(browser: Any, base: str, code: str, name: str) -> Any:
    page = new_page(browser, base)
    page.goto("/join")
    page.fill("[data-testid=join-code]", code)
    page.fill("[data-testid=join-name]", name)
    page.click("[data-testid=join-submit]")
    page.wait_for_selector("#app[data-room='attendee'][data-ws-state='open']")
    return page


def counts(page: Any) -> list[int]:
    return [
        int(t)
        for t in page.eval_on_selector_all(
            "[data-testid=poll-count]", "(nodes) => nodes.map((n) => n.textContent)"
        )
    ]


def test_wall_push_vote_reveal(browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with room_server() as (base, instructor_link, code):
        teacher = new_page(browser, base)
        teacher.goto(instructor_link)
        teacher.wait_for_selector("#app[data-room='instructor'][data-ws-state='open']")
        ada = join_as(browser, base, code, "Ada")
        bob = join_as(browser, base, code, "Bob")

        # Push a preset: both attendees see the banner and load it with one click.
        teacher.wait_for_selector(
            "[data-testid=push-picker] option[value=spiral]", state="attached"
        )
        teacher.select_option("[data-testid=push-picker]", "spiral")
        teacher.click("[data-testid=push-send]")
        for page in (ada, bob):
            page.wait_for_selector("[data-testid=push-banner]:not([hidden])")
            assert page.text_content("[data-testid=push-title]") == "Spiral: the classic"
            if page is ada:
                page.screenshot(path=str(ARTIFACTS / "room-push.png"))
            before = page.evaluate("() => window.backpropLab.state.session.id")
            page.click("[data-testid=push-load]")
            page.wait_for_function(
                "(old) => window.backpropLab.state.session.id !== old"
                " && window.backpropLab.state.config.dataset.name === 'spiral'"
                " && document.getElementById('app').dataset.wsState === 'open'",
                arg=before,
            )
            assert page.is_hidden("[data-testid=push-banner]")
        bob.evaluate(  # Bob tries a larger learning rate, as if from the sidebar
            "() => window.backpropLab.socket.send("
            "{type: 'configure', config: {training: {learning_rate: 0.1}}})"
        )
        bob.wait_for_function(
            "() => window.backpropLab.state.config.training.learning_rate === 0.1"
        )
        for page in (ada, bob):
            page.click("[data-testid=play]")
        teacher.click("[data-testid=play]")
        teacher.wait_for_function(f"() => {EPOCH} > 30")

        # The wall: both attendees, by name, with epochs moving.
        teacher.click("[data-testid=wall-open]")
        teacher.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=wall-card]')]"
            ".filter((c) => Number(c.dataset.epoch) > 20).length === 2"
        )
        names = teacher.eval_on_selector_all(
            "[data-testid=wall-card]", "(cards) => cards.map((c) => c.dataset.name)"
        )
        assert sorted(names) == ["Ada", "Bob"]
        teacher.select_option("[data-testid=wall-color]", "lr")
        teacher.wait_for_function(
            "() => document.querySelector('[data-testid=wall-legend]').textContent"
            ".includes('Learning rate 0.1')"
        )
        teacher.screenshot(path=str(ARTIFACTS / "room-wall.png"))
        teacher.select_option("[data-testid=wall-layout]", "overlay")
        teacher.wait_for_selector("[data-testid=wall-overlay]:not([hidden])")
        teacher.screenshot(path=str(ARTIFACTS / "room-wall-overlay.png"))
        teacher.select_option("[data-testid=wall-layout]", "cards")

        # Predict: the instructor pauses and asks; attendees vote (Ada changes her mind).
        teacher.click("[data-testid=poll-ask-open]")
        teacher.click("[data-testid=ask-template]")
        teacher.screenshot(path=str(ARTIFACTS / "room-wall-ask.png"))
        teacher.click("[data-testid=ask-submit]")
        teacher.wait_for_selector("[data-testid=wall-poll][data-state=open]")
        teacher.wait_for_selector("#app[data-run-state='paused']")
        for page in (ada, bob):
            page.wait_for_selector("[data-testid=vote-card]:not([hidden])")
        ada.click("[data-testid=vote-choice][data-choice='0']")
        ada.wait_for_selector("[data-testid=vote-choice][data-choice='0'][aria-pressed=true]")
        ada.click("[data-testid=vote-choice][data-choice='1']")
        ada.wait_for_selector("[data-testid=vote-choice][data-choice='1'][aria-pressed=true]")
        bob.click("[data-testid=vote-choice][data-choice='1']")
        bob.wait_for_selector("[data-testid=vote-choice][data-choice='1'][aria-pressed=true]")
        teacher.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=poll-count]')]"
            ".map((n) => n.textContent).join() === '0,2,0'"
        )
        bob.screenshot(path=str(ARTIFACTS / "room-vote.png"))
        teacher.screenshot(path=str(ARTIFACTS / "room-wall-votes.png"))

        # Close, then reveal: three branches from the same checkpoint, training overlaid.
        teacher.click("[data-testid=poll-close]")
        bob.wait_for_selector("[data-testid=vote-card][data-state=closed]")
        assert bob.is_disabled("[data-testid=vote-choice][data-choice='0']")
        teacher.click("[data-testid=poll-reveal]")
        teacher.wait_for_selector("[data-testid=wall-poll][data-state=revealed]")
        teacher.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=poll-branch]')].filter((b) =>"
            " Number(b.dataset.epoch) > Number(document.querySelector("
            "'[data-testid=wall-poll]').dataset.branchEpoch) + 40).length === 3"
        )
        branched = int(teacher.get_attribute("[data-testid=wall-poll]", "data-branch-epoch"))
        assert branched >= int(teacher.get_attribute("#app", "data-epoch")) - 1  # from my pause
        assert counts(teacher) == [0, 2, 0]
        assert teacher.is_visible("[data-testid=poll-chart]")
        teacher.screenshot(path=str(ARTIFACTS / "room-wall-reveal.png"))

        # Each attendee sees the branches overlaid on their own page, and can watch one.
        for page in (ada, bob):
            page.wait_for_selector("[data-testid=branches-view][data-branches='3']:not([hidden])")
        labels = bob.eval_on_selector_all(
            "[data-testid=branch-item] .branch-label", "(nodes) => nodes.map((n) => n.textContent)"
        )
        assert labels == ["As it is", "× 10", "÷ 10"]
        assert bob.evaluate(
            "() => { const c = document.querySelector('[data-testid=branches-chart]');"
            " return c.width > 100 && c.height > 100; }"
        )
        bob.screenshot(path=str(ARTIFACTS / "room-branches.png"))
        watched = bob.eval_on_selector_all(
            "[data-testid=branch-item]", "(items) => items.map((i) => i.dataset.session)"
        )[1]
        opened: list[str] = []
        bob.on("websocket", lambda ws: opened.append(ws.url))
        bob.click("[data-testid=branch-item]:nth-child(2) [data-testid=branch-watch]")
        bob.wait_for_selector("#app[data-watching=true][data-watching-what=branch]")
        assert "× 10" in bob.text_content("[data-testid=watch-banner]")
        assert bob.is_hidden("[data-testid=room-fork]")  # a branch is watched, not forked
        assert bob.is_hidden("[data-testid=vote-card]")  # the card steps aside meanwhile
        ten_times = teacher.evaluate("() => window.backpropLab.state.config.training.learning_rate")
        bob.wait_for_function(
            f"([n, lr]) => {EPOCH} > n"
            " && window.backpropLab.state.config.training.learning_rate === lr",
            arg=[branched + 5, float(f"{ten_times * 10:.3g}")],
        )
        assert [url for url in opened if "/ws/room/wall/" in url] == [
            f"{base.replace('http', 'ws')}/ws/room/wall/{watched}?encoding=compact"
        ], opened
        bob.click("[data-testid=room-watch]")  # "Stop watching": back to Bob's own run
        bob.wait_for_function(
            "() => !document.getElementById('app').dataset.watching"
            " && window.backpropLab.state.config.training.learning_rate === 0.1"
        )
        bob.wait_for_selector("[data-testid=branches-view]:not([hidden])")

        # Watch Ada's run large, read-only; then back to the wall.
        teacher.click("[data-testid=wall-card][data-name=Ada]")
        teacher.wait_for_selector("[data-testid=wall-watch-banner]:not([hidden])")
        teacher.wait_for_selector("#app[data-ws-state='open']")
        ada_epoch = int(ada.get_attribute("#app", "data-epoch"))
        teacher.wait_for_function(f"(n) => {EPOCH} >= n", arg=ada_epoch)
        teacher.click("[data-testid=wall-back]")
        teacher.wait_for_selector("[data-testid=wall]:not([hidden])")
        for page in (teacher, ada, bob):
            assert page.errors == [], page.errors
            page.context.close()
