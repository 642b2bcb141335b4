// "Also open in N other tabs": the session's `tabs` frames say how many tabs have it open, so the
// page says when another tab (a second window, a colleague's screen) shares this run's controls,
// and a tab that closes or moves to another run does not pause a run that another tab still shows.

/** The note for `count` tabs having the session open (this one included), or '' when alone. */
export function tabsText(count) {
  const others = Math.max(0, Math.floor(Number(count) || 0) - 1);
  if (!others) return '';
  return `Also open in ${others.toLocaleString('en')} other tab${others === 1 ? '' : 's'}`;
}

/** Drive `pill` from `tabs` frames; `others()` is how many other tabs share the session now. */
export function createTabsNote(pill) {
  let count = 1;
  const show = () => {
    const text = tabsText(count);
    pill.textContent = text;
    pill.hidden = !text;
    pill.dataset.count = String(count);
    pill.title = text ? 'Another tab has this run open: its play, pause and settings act on the same run' : '';
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
