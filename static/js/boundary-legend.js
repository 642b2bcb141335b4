// The boundary view's legend. For planar data it doubles as the picker of the class (or, for
// regression, the value) a click on the plot adds: a radio group. For tabular data it is a plain
// list plus the count of points crossed out as wrong.
import { classColor } from './colors.js';
import { swatch } from './boundary-points.js';
import { el } from './dom.js';

const span = (text, cls) => el('span', { class: cls, text });

/** Create the legend inside `legendEl`; `build` fills it for the current data. */
export function createClassPicker(legendEl) {
  let choices = []; // label values a click can add, in legend order
  let pick = 0;
  let editing = true;
  let wrongEl = null;

  function syncPicked() {
    legendEl.querySelectorAll('.bp-bd-classbtn').forEach((b, i) => {
      if (editing) b.setAttribute('aria-checked', String(i === pick));
      else b.removeAttribute('aria-checked');
    });
    legendEl.dataset.value = choices.length ? String(choices[pick]) : '';
  }

  /** Legend entries: three value buttons (low, mid, high) for regression, else one per class. */
  function entriesFor({ task, classNames, yRange, colorOf, shapeOf }) {
    const entries = [];
    if (task === 'regression') {
      // The value buttons double as the colour key of the diverging scale.
      const [lo, hi] = yRange;
      const decimals = Math.max(0, 2 - Math.floor(Math.log10(Math.max(1e-9, hi - lo))));
      for (const v of [lo, (lo + hi) / 2, hi]) {
        const r = Number(v.toFixed(Math.min(10, decimals))) || 0;
        entries.push([r, `y=${r}`, swatch('circle', colorOf(v), false)]);
      }
    } else {
      (classNames?.length ? classNames : ['class 0', 'class 1']).forEach((name, k) => {
        entries.push([k, String(name), swatch(shapeOf(k), classColor(k), false)]);
      });
    }
    return entries;
  }

  return {
    /** Rebuild the legend; `editing` makes it the radio group that picks what a click adds. */
    build(opts) {
      legendEl.replaceChildren();
      wrongEl = null;
      editing = opts.editing;
      legendEl.setAttribute('role', editing ? 'radiogroup' : 'list');
      legendEl.setAttribute('aria-label', editing ? 'Class added by a click' : 'Classes');
      const entries = entriesFor(opts);
      choices = entries.map(([v]) => v);
      pick = Math.min(pick, choices.length - 1);
      entries.forEach(([value, text, sw], i) => {
        const b = el('button', { type: 'button', class: 'bp-bd-item bp-bd-classbtn', 'data-value': String(value),
          title: editing ? `Clicks on the plot add points of ${text}` : text, disabled: !editing,
          role: editing ? 'radio' : undefined }, sw, span(text));
        b.addEventListener('click', () => {
          pick = i;
          syncPicked();
        });
        legendEl.append(b);
      });
      if (!editing) {
        wrongEl = span('');
        legendEl.append(el('span', { class: 'bp-bd-item bp-bd-key' }, span('✕', 'bp-bd-x'), wrongEl));
      }
      syncPicked();
    },
    /** Go back to the first entry (the data changed kind). */
    resetPick() {
      pick = 0;
    },
    /** How many labels a click can add. */
    count: () => choices.length,
    /** The label a plain click adds. */
    current: () => choices[pick],
    /** Shift-click label: the other class (binary) or the next choice (multiclass, regression). */
    other(task) {
      if (task === 'binary') return choices[pick === 0 ? 1 : 0];
      return choices[(pick + 1) % choices.length];
    },
    /** Show how many points are crossed out (tabular data only). */
    setWrongCount(n) {
      if (wrongEl) wrongEl.textContent = `${n} wrong`;
    },
  };
}
