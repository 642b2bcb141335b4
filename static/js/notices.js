// Messages to the user: toasts (stacked, deduplicated, self-dismissing) and the status line
// under the output panel. Text only ever goes in as textContent.

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const toasts = $('toasts');
const statusEl = $('status');
const sentence = (text) => String(text).charAt(0).toUpperCase() + String(text).slice(1);

/** Show `text` as a toast of `kind` (error|warn|info) for `ms` milliseconds (0: until dismissed). */
export function toast(text, kind = 'error', ms = 7000) {
  text = sentence(text);
  const last = toasts.lastElementChild;
  if (last && last.dataset.text === text) {
    last.dataset.count = String(Number(last.dataset.count || 1) + 1);
    return;
  }
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.dataset.text = text;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const body = document.createElement('span');
  body.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close-btn';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => item.remove());
  item.append(body, close);
  toasts.append(item);
  while (toasts.children.length > 4) toasts.firstElementChild.remove();
  if (ms) setTimeout(() => item.remove(), ms);
}

/** Show `text` in the status line with `kind` (warn|info|danger); empty text hides it. */
export function showStatus(text, kind = 'warn') {
  statusEl.hidden = !text;
  statusEl.textContent = text || '';
  statusEl.dataset.kind = kind;
}

/** The kind of the status line's current message. */
export const statusKind = () => statusEl.dataset.kind;
