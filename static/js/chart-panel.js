// One chart of the chart panel: its section (title, hovered epoch, optional log toggle, plot and
// legend), the uPlot instance in it, and the copy of the columns it plots, extended epoch by epoch
// (and smoothed as it grows); what it draws is decimated to its pixel width (chart-decimate.js).
import { el as dom } from './dom.js';
import uPlot from '/static/vendor/uPlot.esm.js';
import { createDecimator, decimateRange } from './chart-decimate.js';
import { emaNext, emaState } from './smoothing.js';

const keepPositive = (v) => (v > 0 && Number.isFinite(v) ? v : null);
const keepFinite = (v) => (Number.isFinite(v) ? v : null);

/** First index of sorted `xs` whose value is >= `x`. */
function lowerBound(xs, x) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Create the section for chart kind `kindId`; with `onToggleLog` it gets a "log" button
 * (pressed when `logPressed`). Returns the panel: {kindId, el, u, mount, fill, refill, showEpoch, destroy}.
 */
export function createChartPanel(kindId, { onToggleLog = null, logPressed = false } = {}) {
  const h = dom('h3', { class: 'bp-chart-title' });
  const epochEl = dom('span', { class: 'bp-chart-epoch' });
  const head = dom('header', { class: 'bp-chart-head' }, h, epochEl);
  if (onToggleLog) {
    const t = dom('button', {
      type: 'button',
      class: 'bp-chart-logtoggle',
      text: 'log',
      title: 'Logarithmic y axis',
      testid: `chart-${kindId}-log`,
      'aria-pressed': String(logPressed),
    });
    t.addEventListener('click', () => t.setAttribute('aria-pressed', String(onToggleLog())));
    head.append(t);
  }
  const host = dom('div', { class: 'bp-chart-plot' });
  const legendHost = dom('div', { class: 'bp-chart-legend' });
  const el = dom('section', { class: 'bp-chart', testid: `chart-${kindId}` }, head,
    dom('div', { class: 'bp-chart-body' }, host, legendHost));

  let raw = null; // [epochs, ...cleaned series], extended epoch by epoch
  let smooth = null; // the smoothed series (when smoothing), same length
  let states = [];
  let defs = [];
  let log = false;
  let weight = 0;
  let zoom = null; // [x0, x1] while zoomed in
  const decimator = createDecimator();

  /** [x, ...faint raw series, ...drawn series] for the display (faint only when smoothing). */
  const columns = () => (weight > 0 ? [raw[0], ...raw.slice(1), ...smooth] : raw);
  let width = 400; // the plot's width in px, kept by the ResizeObserver (no layout read per frame)
  const buckets = () => Math.max(50, Math.round(width));

  const panel = {
    kindId,
    el,
    /** The uPlot instance (null until mounted). */
    u: null,
    /**
     * (Re)create the plot: `title`, series `defs`, `options(host, legendHost, defs)` (given the
     * display series, faint raw copies first when `smoothing` > 0), from `store`.
     */
    mount({ title, defs: series, log: isLog, options, store, smoothing = 0 }) {
      if (panel.u) panel.u.destroy();
      legendHost.replaceChildren();
      h.textContent = title;
      defs = series;
      log = isLog;
      weight = smoothing;
      el.dataset.series = String(defs.length);
      el.classList.toggle('bp-legend-side', defs.length > 3);
      raw = null;
      panel.fill(store);
      const shown = weight > 0 ? [...defs.map((d) => ({ ...d, faint: true })), ...defs] : defs;
      panel.u = new uPlot(options(host, legendHost, shown), panel.view(), host);
    },
    /** Extend the copied columns with the epochs of `store` not copied yet. */
    fill(store) {
      const clean = log ? keepPositive : keepFinite;
      const total = store.length();
      if (!raw || raw[0].length > total) {
        raw = [[], ...defs.map(() => [])];
        smooth = defs.map(() => []);
        states = defs.map(() => emaState());
        decimator.reset();
      }
      const epochs = store.col('epoch');
      for (let j = raw[0].length; j < total; j++) {
        raw[0].push(epochs[j]);
        for (let s = 0; s < defs.length; s++) {
          const v = clean(defs[s].get(j));
          raw[s + 1].push(v);
          if (weight > 0) smooth[s].push(emaNext(states[s], v, weight));
        }
      }
    },
    /** The arrays to draw: decimated to the plot's width, over the zoomed epochs if zoomed. */
    view() {
      const cols = columns();
      if (!zoom) return decimator.update(cols, buckets());
      const lo = lowerBound(cols[0], zoom[0]);
      const hi = lowerBound(cols[0], zoom[1] + 1e-9);
      return decimateRange(cols, Math.max(0, lo - 1), Math.min(cols[0].length, hi + 1), buckets());
    },
    /** Push the data into the plot (a zoomed plot keeps what it shows). */
    draw() {
      if (!zoom) panel.u.setData(panel.view(), true);
    },
    /** Show epochs [x0, x1] only, or everything again with null. */
    zoomTo(range) {
      zoom = range;
      if (!panel.u) return;
      panel.u.setData(panel.view(), !range);
      if (range) panel.u.setScale('x', { min: range[0], max: range[1] });
    },
    /** Copy everything again on the next fill (the store's values moved). */
    refill() {
      raw = null;
    },
    /** Show the epoch under the cursor of plot `u` (nothing when off the plot). */
    showEpoch(u) {
      const idx = u.cursor.idx;
      epochEl.textContent = idx == null || u.data[0][idx] == null ? '' : `epoch ${u.data[0][idx]}`;
    },
    /** Free the plot and stop watching the size. */
    destroy() {
      ro.disconnect();
      if (panel.u) panel.u.destroy();
    },
  };

  const ro = new ResizeObserver(() => {
    const w = host.clientWidth;
    const ht = host.clientHeight;
    if (w > 0) width = w;
    if (panel.u && w > 0 && ht > 0 && (w !== panel.u.width || ht !== panel.u.height)) {
      panel.u.setSize({ width: w, height: ht });
    }
  });
  ro.observe(host);
  return panel;
}
