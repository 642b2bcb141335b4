// "Also open in N other tabs": the session's `tabs` frames say how many tabs have it open, so the
// page says when another tab (a second window, a colleague's screen) shares this run's controls,
// and a tab that closes or moves to another run does not pause a run that another tab still shows.

/** The note for `count` tabs having the session open (this one included), or '' when alone. */
export function tabsText(count) {
  const others = Math.max(0, Math.floor(Number(count) || 0) - 1);
  if (!others) return '';
  return `Also open in ${others.toLocaleString('en')} other tab${others === 1 ? '' : 's'}`;
}

/** The same in a few characters for a crowded top bar: '+1 tab', or '' when alone. */
export function tabsShort(count) {
  const others = Math.max(0, Math.floor(Number(count) || 0) - 1);
  return others ? `+${others.toLocaleString('en')} tab${others === 1 ? '' : 's'}` : '';
}

/** Drive `pill` (with a .tabs-long and a .tabs-short child) from `tabs` frames; `others()` is how many other tabs share the session now. */
export function createTabsNote(pill) {
  let count = 1;
  const show = () => {
    const text = tabsText(count);
    pill.querySelector('.tabs-long').textContent = text;
    pill.querySelector('.tabs-short').textContent = tabsShort(count);
    pill.hidden = !text;
    pill.dataset.count = String(count);
    pill.title = text ? `${text}: play, pause and settings in any of them act on this same run` : '';
  };
  show();
  return {
    /** A `tabs` frame's count (this tab included). */
    update(next) {
      count = Math.max(1, Math.floor(Number(next) || 1));
      show();
    },
    /** The tab switched session: alone until the new one's `tabs` frame says otherwise. */
    reset() {
      count = 1;
      show();
    },
    others: () => count - 1,
  };
}
