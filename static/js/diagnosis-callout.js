// The diagnosis callout over the charts: one card per active diagnosis (what, since when, the
// evidence in a sentence) with one button per fix. A fix button hands its partial config to
// `onFix` (main.js sends it as `configure`); the server then clears the diagnosis, or raises it
// again if the evidence comes back. Text goes in as textContent only (dom.js).

import { el } from './dom.js';

/** Build the callout in `container`; returns {show(diagnoses)}. */
export function createDiagnosisCallout(container, { onFix }) {
  // Cards the viewer closed, as kind@raised_at: hidden while that diagnosis stays raised.
  const dismissed = new Set();
  let shown = [];
  const key = (d) => `${d.kind}@${d.raised_at}`;

  function card(d) {
    const fixes = (d.fixes ?? []).map((fix, i) => {
      const button = el('button', { type: 'button', class: 'diagnosis-fix', text: fix.label, testid: `fix-${d.kind}-${i}` });
      button.addEventListener('click', () => {
        for (const b of container.querySelectorAll('.diagnosis-fix')) b.disabled = true;
        onFix(fix.config, fix.label);
      });
      return button;
    });
    return el('article', { class: 'diagnosis', 'data-kind': d.kind, testid: `diagnosis-${d.kind}` },
      el('div', { class: 'diagnosis-head' },
        el('strong', { class: 'diagnosis-title', text: d.title }),
        el('span', { class: 'diagnosis-since', text: `since epoch ${d.since}` }),
        dismissButton(d)),
      el('p', { class: 'diagnosis-text', text: d.message }),
      fixes.length ? el('div', { class: 'diagnosis-fixes', role: 'group', 'aria-label': `Fixes for ${d.title}` }, ...fixes) : null);
  }

  function dismissButton(d) {
    const button = el('button', {
      type: 'button', class: 'diagnosis-dismiss', text: '×', testid: `dismiss-${d.kind}`,
      'aria-label': `Hide “${d.title}” until it is raised again`,
    });
    button.addEventListener('click', () => {
      dismissed.add(key(d));
      render();
    });
    return button;
  }

  function render() {
    const visible = shown.filter((d) => !dismissed.has(key(d)));
    container.replaceChildren(...visible.map(card));
    container.hidden = visible.length === 0;
    container.dataset.count = String(visible.length);
  }

  return {
    /** Replace the shown diagnoses (an empty list hides the callout). */
    show(diagnoses) {
      shown = Array.isArray(diagnoses) ? diagnoses : [];
      const active = new Set(shown.map(key));
      for (const k of dismissed) if (!active.has(k)) dismissed.delete(k); // cleared: show it when raised again
      render();
    },
  };
}
