"""The top bar at 1280×720 in Chromium: every control inside the viewport and the bar, no text cut
off or wrapped in a button, the longest preset and dataset readable in their selects — in the desk
layout, presentation mode, the dark theme, and a room's instructor and attendee."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import open_app
from tests.e2e.test_room import new_page, room_server

# Every visible control of the top bar, with what is wrong with it (empty: nothing).
# Selects: a box with the select's font and its text width holds the selected entry, one word
# per line at most and within two lines (the picker wraps rather than ellipsing); a select
# that does not wrap must hold it on one line.
MEASURE_JS = """() => {
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.clipPath === 'none';
  };
  const controls = [...document.querySelectorAll(
    '.topbar button, .topbar select, .topbar .pill, .topbar .epoch-value, .topbar .brand-name')]
    .filter(visible);
  const problems = [];
  for (const el of controls) {
    const name = el.dataset.testid || el.className;
    const r = el.getBoundingClientRect();
    const outside = r.left < 0 || r.right > innerWidth;
    if (outside || r.top < bar.top - 0.5 || r.bottom > bar.bottom + 0.5) {
      problems.push(`${name}: outside the bar (${r.left}-${r.right} x ${r.top}-${r.bottom})`);
    }
    if (el.tagName === 'SELECT') {
      const text = el.selectedOptions[0]?.textContent ?? '';
      const s = getComputedStyle(el);
      const arrow = parseFloat(getComputedStyle(el, '::picker-icon').width) || 0;
      const width = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
        - (arrow ? arrow + (parseFloat(s.columnGap) || 0) : 0);
      const probe = document.createElement('div');
      Object.assign(probe.style, {
        position: 'absolute', left: '-9999px', top: '0', width: `${width}px`, font: s.font,
        lineHeight: s.lineHeight, whiteSpace: s.whiteSpace, letterSpacing: s.letterSpacing,
      });
      probe.textContent = text;
      document.body.append(probe);
      const lineHeight = parseFloat(getComputedStyle(probe).lineHeight)
        || 1.2 * parseFloat(s.fontSize);
      const lines = Math.round(probe.scrollHeight / lineHeight);
      const needs = probe.scrollWidth;
      const wide = needs > probe.clientWidth + 0.5;
      probe.remove();
      const maxLines = /nowrap|pre/.test(s.whiteSpace) ? 1 : 2;
      if (wide || lines > maxLines) {
        problems.push(`${name}: "${text}" needs ${needs} px, ${lines} lines of ${width} px`);
      }
      if (el.scrollHeight > el.clientHeight + 1) problems.push(`${name}: text taller than the box`);
    } else {
      if (el.scrollWidth > el.clientWidth + 0.5) problems.push(`${name}: text cut off`);
      // The shown words (not a visually hidden name) sit on one line.
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const mids = [];
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        const hidden = getComputedStyle(t.parentElement).clipPath !== 'none';
        if (!t.textContent.trim() || hidden) continue;
        const range = document.createRange();
        range.selectNodeContents(t);
        for (const b of range.getClientRects()) if (b.width > 0) mids.push(b.top + b.height / 2);
      }
      const half = parseFloat(getComputedStyle(el).fontSize) / 2;
      if (mids.some((m) => Math.abs(m - mids[0]) > half)) problems.push(`${name}: its words wrap`);
    }
  }
  return { count: controls.length, problems };
}"""

# Select the preset (then the dataset) entry with the longest text, as a user would.
LONGEST_JS = """(testid) => {
  const select = document.querySelector(`[data-testid=${testid}]`);
  const options = [...select.options].filter((o) => o.value);
  const longest = options.reduce((a, b) => (b.text.length > a.text.length ? b : a));
  select.value = longest.value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  return longest.value;
}"""


def assert_bar_fits(page: Any, at_least: int) -> None:
    """At least `at_least` top-bar controls are visible and none is clipped or outside the bar."""
    found = page.evaluate(MEASURE_JS)
    assert found["count"] >= at_least, found
    assert found["problems"] == [], found["problems"]


def load_longest_preset(page: Any) -> None:
    """Load the preset with the longest title and wait until the page shows it."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=preset]').options.length > 2"
    )
    before = page.evaluate("() => window.backpropLab.state.session?.id ?? null")
    chosen = page.evaluate(LONGEST_JS, "preset")
    # A preset starts a new session: measure once its socket is open (the bar settled).
    page.wait_for_function(
        """([id, before]) => document.querySelector('[data-testid=preset]').value === id
          && window.backpropLab.state.session?.id !== before
          && document.getElementById('app').dataset.wsState === 'open'
          && document.querySelector('[data-testid=ws-state]').dataset.state === 'open'""",
        arg=[chosen, before],
    )


def test_every_top_bar_control_reads_at_1280(page: Any) -> None:
    open_app(page)
    assert page.viewport_size == {"width": 1280, "height": 720}
    assert_bar_fits(page, 14)  # transport, pickers, tools, status
    load_longest_preset(page)
    assert_bar_fits(page, 14)
    # The widest dataset name in the list (shown, not applied: the layout is what is measured).
    page.evaluate(
        """() => {
          const s = document.querySelector('[data-testid=dataset]');
          const o = [...s.options].reduce((a, b) => (b.text.length > a.text.length ? b : a));
          s.value = o.value;
        }"""
    )
    assert_bar_fits(page, 14)
    page.keyboard.press("p")
    page.wait_for_selector("html[data-present='on']")
    assert_bar_fits(page, 10)
    page.keyboard.press("p")
    page.wait_for_selector("html:not([data-present])")
    page.click("[data-testid='theme']")
    page.wait_for_selector("html[data-theme='dark']")
    assert_bar_fits(page, 14)
    page.click("[data-testid='theme']")
    page.wait_for_selector("html[data-theme='light']")


def test_tools_keep_their_names_for_keyboard_and_screen_readers(page: Any) -> None:
    open_app(page)
    names = page.evaluate(
        """() => ['runs', 'lessons', 'present', 'theme', 'export'].map((id) => {
          const b = document.querySelector(`[data-testid=${id}]`);
          return (b.getAttribute('aria-label') || b.textContent).trim().replace(/\\s+/g, ' ');
        })"""
    )
    assert names == ["Runs", "Lessons", "Present", "Dark", "Export"]
    page.focus("[data-testid='present']")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[data-present='on']")
    page.keyboard.press("Enter")
    page.wait_for_selector("html:not([data-present])")


def test_room_top_bars_read_at_1280(browser: Any) -> None:
    with room_server() as (base, instructor_link, code):
        teacher = new_page(browser, base)
        teacher.goto(instructor_link)
        teacher.wait_for_selector("#app[data-room='instructor'][data-ws-state='open']")
        teacher.wait_for_selector("[data-testid=wall-open]")
        assert_bar_fits(teacher, 15)  # and Room, Wall
        load_longest_preset(teacher)
        assert_bar_fits(teacher, 15)
        teacher.keyboard.press("p")
        teacher.wait_for_selector("html[data-present='on']")
        assert_bar_fits(teacher, 12)
        assert teacher.errors == []
        teacher.context.close()

        attendee = new_page(browser, base)
        attendee.goto("/join")
        attendee.fill("[data-testid=join-code]", code)
        attendee.fill("[data-testid=join-name]", "Ada")
        attendee.click("[data-testid=join-submit]")
        attendee.wait_for_selector("#app[data-room='attendee'][data-ws-state='open']")
        attendee.wait_for_selector("[data-testid=room-watch]")
        assert_bar_fits(attendee, 14)  # and Watch the instructor
        assert attendee.errors == []
        attendee.context.close()
