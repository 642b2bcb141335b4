// Formula cards beside the controls: a "ƒ" toggle in the summary of each sidebar section that has
// maths (training, network, regularisation, schedule) shows the formulas its settings put into
// play, typeset by KaTeX with the current values; they follow every config the server echoes.
import { el } from './dom.js';
import { formulaCards } from './formula-tex.js';
import { typeset } from './typeset.js';

const SAVED = 'bpl.formulas'; // which cards were open, per section

/** Add the toggles and cards to the sections under `sidebar`; returns {update(config, task)}. */
export function createFormulaCards(sidebar) {
  const saved = JSON.parse(localStorage.getItem(SAVED) || '{}');
  const cards = {}; // key -> {card, toggle}
  let last = null; // [config, task] last shown

  function render(key) {
    const { card } = cards[key];
    if (card.hidden || !last) return;
    const items = formulaCards(...last)[key] ?? [];
    card.replaceChildren(...items.map(({ title, tex }) => {
      const math = typeset(el('div', { class: 'fc-math' }), tex);
      return el('div', { class: 'fc-item' }, el('div', { class: 'fc-title', text: title }), math);
    }), el('p', { class: 'fc-doc' }, 'Conventions, and where they differ from PyTorch: ',
      el('code', { text: 'docs/conventions.md' })));
  }

  for (const key of ['training', 'network', 'regularisation', 'schedule']) {
    const details = sidebar.querySelector(`details[data-section="${key}"]`);
    if (!details) continue;
    const toggle = el('button', { type: 'button', class: 'fc-toggle', testid: `formula-toggle-${key}`,
      title: 'Show the formulas of this section', 'aria-label': `Formulas of ${key}`, 'aria-pressed': 'false', text: 'ƒ(x)' });
    const card = el('div', { class: 'fc-card', testid: `formula-card-${key}`, hidden: true });
    details.querySelector('summary').append(toggle);
    details.append(card);
    cards[key] = { card, toggle };
    const show = (on) => {
      card.hidden = !on;
      toggle.setAttribute('aria-pressed', String(on));
      saved[key] = on;
      localStorage.setItem(SAVED, JSON.stringify(saved));
      if (on) {
        details.open = true;
        render(key);
      }
    };
    toggle.addEventListener('click', (event) => {
      event.preventDefault(); // a click in <summary> would fold the section
      show(card.hidden);
    });
    if (saved[key]) show(true);
  }

  return {
    /** Show `config` (the server's echo) for data of `task`; open cards re-typeset. */
    update(config, task) {
      if (!config?.training || !config?.model) return;
      last = [config, task ?? 'binary'];
      for (const key of Object.keys(cards)) render(key);
    },
  };
}
