// The validation set's confusion matrix for classification, from `snapshot.confusion`
// ({classes, counts}: rows are the true classes, columns the predicted ones). Cells are shaded by
// the share of their row, so a class the network confuses stands out whatever its size.

import { rgbCss, sequential } from './colors.js';
import { el } from './dom.js';

/** Create the view inside `containerEl`; returns {update(confusion | null)}. */
export function createConfusionMatrix(containerEl) {
  const note = el('p', { class: 'bp-cm-note', text: 'Train a classifier to see which classes it confuses.' });
  const table = el('table', { class: 'bp-cm-table', testid: 'confusion-table' });
  const root = el('div', { class: 'bp-cm' }, note, table);
  containerEl.append(root);
  let shape = '';
  let cells = [];

  /** Rebuild the table for class names `classes` (headers, empty cells). */
  function build(classes) {
    const head = el('tr', {}, el('th', { class: 'bp-cm-corner', text: 'true ↓  predicted →' }),
      ...classes.map((c) => el('th', { scope: 'col', text: c })));
    cells = classes.map(() => classes.map(() => el('td', { class: 'bp-cm-cell' })));
    const rows = classes.map((c, i) => el('tr', {}, el('th', { scope: 'row', text: c }), ...cells[i]));
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  }

  return {
    update(confusion) {
      const ok = confusion && Array.isArray(confusion.classes) && Array.isArray(confusion.counts);
      note.hidden = !!ok;
      table.hidden = !ok;
      if (!ok) return;
      const key = confusion.classes.join('\u0000');
      if (key !== shape) {
        build(confusion.classes);
        shape = key;
      }
      let total = 0;
      confusion.counts.forEach((row, i) => {
        const n = row.reduce((a, b) => a + b, 0);
        total += n;
        row.forEach((count, j) => {
          const td = cells[i][j];
          const share = n ? count / n : 0;
          td.textContent = String(count);
          td.style.background = rgbCss(sequential(share));
          td.style.color = share > 0.5 ? '#fff' : '#111';
          td.classList.toggle('bp-cm-diag', i === j);
        });
      });
      table.dataset.total = String(total);
    },
  };
}
