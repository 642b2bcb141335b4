// Presentation mode and the dark theme, for a room: `P` (or the button) folds the settings away
// and grows the charts, boundary, network and their type; the theme button switches to a dark,
// high-contrast page and is remembered in localStorage. Both live as attributes on <html>
// (data-present, data-theme) that the CSS reads; views redraw on the 'bp-restyle' event.

const THEME_KEY = 'backprop-lab.theme';

/** Whether a key press belongs to a text field or a select (then `P` is typing, not a shortcut). */
const typing = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName));

/** Tell the canvas views to redraw with the new sizes and colours once the layout has settled. */
function restyle() {
  requestAnimationFrame(() => document.dispatchEvent(new CustomEvent('bp-restyle')));
}

function readTheme() {
  try {
    return localStorage.getItem(THEME_KEY) === 'dark' ? 'dark' : 'light';
  } catch {
    return 'light'; // storage blocked: the light default
  }
}

/** Wire the `present` and `theme` buttons (found by data-testid) and the `P` key; apply the saved theme. */
export function installPresentation({ presentButton, themeButton }) {
  const html = document.documentElement;

  function setPresent(on) {
    if (on) html.dataset.present = 'on';
    else delete html.dataset.present;
    presentButton?.setAttribute('aria-pressed', String(on));
    restyle();
  }

  function setTheme(theme) {
    html.dataset.theme = theme;
    document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', theme);
    themeButton?.setAttribute('aria-pressed', String(theme === 'dark'));
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // storage blocked: the theme lasts for this page only
    }
    restyle();
  }

  presentButton?.addEventListener('click', () => setPresent(html.dataset.present !== 'on'));
  themeButton?.addEventListener('click', () => setTheme(html.dataset.theme === 'dark' ? 'light' : 'dark'));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'p' && event.key !== 'P') return;
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    event.preventDefault();
    setPresent(html.dataset.present !== 'on');
  });
  setTheme(readTheme());
}
