// The preset picker in the top bar and the note describing the loaded preset in the sidebar.

import { api } from './api.js';
import { $, el } from './dom.js';
import { installPresetCards } from './preset-cards.js';
import { setPresets, state } from './state.js';

/** Show the note for preset `id` (hidden when it is not a known preset). */
export function showPresetNote(id) {
  const note = $('preset-note');
  const preset = state.presets.find((p) => p.id === id);
  note.hidden = !preset;
  if (!preset) return;
  note.querySelector('.preset-note-title').textContent = preset.title;
  const text = note.querySelector('.preset-note-text');
  text.textContent = preset.description;
}

/** Fetch the presets into the picker; `toast` reports a failure. */
export async function loadPresets(toast) {
  try {
    setPresets(await api.presets());
  } catch (err) {
    toast(`Presets unavailable: ${err.message}`, 'warn');
    return;
  }
  const sel = $('preset');
  for (const p of state.presets) {
    sel.append(el('option', { value: p.id, text: p.title, title: p.description }));
  }
  sel.value = state.presetId ?? '';
  showPresetNote(state.presetId);
}

/** Wire the picker and the demo cards (a choice in either calls `onPick(id)`) and the note's close. */
export function wirePresetPicker(onPick) {
  $('preset').addEventListener('change', (event) => {
    const id = event.target.value;
    if (id) onPick(id);
  });
  installPresetCards({
    button: $('demos'),
    overlay: $('preset-cards'),
    getPresets: () => state.presets,
    getCurrent: () => state.presetId,
    onPick,
  });
  $('preset-note-close').addEventListener('click', () => ($('preset-note').hidden = true));
}
