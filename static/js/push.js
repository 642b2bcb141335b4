// The instructor's "Send to everyone" control in the room panel: a preset, or the settings of
// the instructor's own run, pushed to every attendee (who loads it with one click).

import { api } from './api.js';
import { el } from './dom.js';
import { roomApi } from './room-api.js';
import { state } from './state.js';

const MINE = '__mine__';

/** The control: a picker and a Send button; returns its element. */
export function buildPushControl({ toast }) {
  const picker = el('select', { class: 'push-picker', testid: 'push-picker', 'aria-label': 'What to send' },
    el('option', { value: MINE, text: 'My current settings' }));
  const send = el('button', { type: 'button', class: 'room-btn', testid: 'push-send', text: 'Send' });
  const note = el('span', { class: 'push-sent', testid: 'push-sent', role: 'status' });
  api.presets().then((presets) => {
    picker.append(...presets.map((p) => el('option', { value: p.id, text: p.title })));
  }, () => {});
  send.addEventListener('click', async () => {
    const body = picker.value === MINE
      ? { kind: 'config', config: state.config, title: 'the instructor’s current settings' }
      : { kind: 'preset', preset: picker.value };
    if (body.kind === 'config' && !state.config) {
      toast('No settings to send yet: wait for your run to connect.');
      return;
    }
    try {
      const sent = await roomApi('POST', '/api/room/push', body);
      note.textContent = `Sent: ${sent.title}`;
      note.dataset.pushId = String(sent.id);
    } catch (err) {
      toast(err.message);
    }
  });
  return el('div', { class: 'room-push', testid: 'room-push' },
    el('span', { class: 'room-label', text: 'Send to everyone' }), el('div', { class: 'room-push-row' }, picker, send), note);
}
