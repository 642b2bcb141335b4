// Messages to the user: toasts (stacked, deduplicated, self-dismissing) and the status line
// under the output panel. Text only ever goes in as textContent.

import { $, el } from './dom.js';

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
  const close = el('button', { type: 'button', class: 'close-btn', 'aria-label': 'Dismiss', text: '×' });
  const item = el('div', { class: `toast toast-${kind}`, 'data-text': text, role: kind === 'error' ? 'alert' : 'status' },
    el('span', { text }), close);
  close.addEventListener('click', () => item.remove());
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
