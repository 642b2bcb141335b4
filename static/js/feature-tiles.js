// TensorFlow-Playground-style input feature toggles: one tile per feature with a small heatmap of
// that feature over [-6, 6]², toggled by click. At least one feature stays selected; the tiles are
// disabled (greyed) when the data are not planar.
import { diverging } from './colors.js';
import { el } from './dom.js';

/** The picture of each feature: its value at (x1, x2). Names and labels come from the schema. */
export const PAINTERS = {
  x1: (a) => a,
  x2: (a, b) => b,
  x1sq: (a) => a * a,
  x2sq: (a, b) => b * b,
  x1x2: (a, b) => a * b,
  sin_x1: (a) => Math.sin(a),
  sin_x2: (a, b) => Math.sin(b),
  cos_x1: (a) => Math.cos(a),
  cos_x2: (a, b) => Math.cos(b),
};
const RES = 40;

/** Paint feature `fn` over [-6, 6]² into `canvas` (RES×RES, scaled by CSS). */
function paint(canvas, fn) {
  canvas.width = RES;
  canvas.height = RES;
  const g = canvas.getContext('2d');
  const img = g.createImageData(RES, RES);
  const vals = new Float64Array(RES * RES);
  let max = 0;
  for (let r = 0; r < RES; r++) {
    for (let c = 0; c < RES; c++) {
      const v = fn(-6 + (12 * (c + 0.5)) / RES, 6 - (12 * (r + 0.5)) / RES);
      vals[r * RES + c] = v;
      max = Math.max(max, Math.abs(v));
    }
  }
  vals.forEach((v, i) => {
    const col = diverging(max ? v / max : 0, 0.9);
    img.data.set([col[0], col[1], col[2], 255], i * 4);
  });
  g.putImageData(img, 0, 0);
}

/** Create the tiles in `containerEl`; `onChange(features)` gets the new selection. */
export function createFeatureTiles(containerEl, { onChange = () => {} } = {}) {
  const gridEl = el('div', { class: 'bp-tiles-grid' });
  const root = el('div', { class: 'bp-tiles', role: 'group', 'aria-label': 'Input features' }, gridEl);
  containerEl.append(root);

  let selected = new Set();
  let enabled = true;
  let names = []; // every feature, in the schema's order
  let tiles = [];

  /** Build one tile per feature: [{name, label}] (config-schema.js featureInfo). */
  function build(features) {
    names = features.map((f) => f.name);
    tiles = features.map(({ name, label }) => {
      const c = el('canvas', { class: 'bp-tile-map' });
      paint(c, PAINTERS[name] ?? (() => 0));
      const b = el('button', { type: 'button', class: 'bp-tile', testid: `feature-${name}`, 'data-feature': name },
        c, el('span', { class: 'bp-tile-label', text: label }));
      b.addEventListener('click', () => toggle(name, b));
      return b;
    });
    gridEl.replaceChildren(...tiles);
    layout();
    sync();
  }

  function toggle(id, b) {
    if (!enabled) return;
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    if (!next.size) {
      b.classList.remove('bp-deny');
      void b.offsetWidth; // restart the "no" animation
      b.classList.add('bp-deny');
      return;
    }
    selected = next;
    sync();
    onChange(names.filter((f) => selected.has(f)));
  }

  function sync() {
    root.classList.toggle('bp-disabled', !enabled);
    for (const b of tiles) {
      const on = selected.has(b.dataset.feature);
      b.setAttribute('aria-pressed', String(on));
      b.disabled = !enabled;
      b.title = enabled
        ? `${on ? 'Remove' : 'Add'} input feature ${b.textContent}`
        : 'Feature transforms apply to 2-D data only';
    }
  }

  /** Pick the column count that gives the largest square tiles in the container. */
  function layout() {
    const w = root.clientWidth;
    const h = root.clientHeight;
    if (!w || !h) return;
    const gap = 6;
    const labelH = 20;
    let best = [1, 0];
    for (let cols = 1; cols <= tiles.length; cols++) {
      const rows = Math.ceil(tiles.length / cols);
      const colW = (w - gap * (cols - 1)) / cols;
      if (cols > 1 && colW < 34) break; // the labels ("sin x₁") need about 34 px at 11 px
      const side = Math.min(colW, (h - gap * (rows - 1)) / rows - labelH);
      if (side > best[1]) best = [cols, side];
    }
    const side = Math.max(16, Math.min(96, Math.floor(best[1])));
    const colW = Math.min(96, Math.max(side, (w - gap * (best[0] - 1)) / best[0]));
    gridEl.style.gridTemplateColumns = `repeat(${best[0]}, ${Math.floor(best[0] > 1 ? colW : side)}px)`;
    root.classList.toggle('bp-tiles-small', colW < 52);
    root.classList.toggle('bp-tiles-tiny', colW < 44);
    gridEl.style.setProperty('--tile', `${side}px`);
  }
  new ResizeObserver(layout).observe(root);
  sync();

  return {
    setFeatures: build,
    /** Show `features` as selected; `enabled: false` greys the tiles out (tabular data). */
    set(features, { enabled: en = true } = {}) {
      selected = new Set(features || []);
      enabled = !!en;
      sync();
    },
  };
}
