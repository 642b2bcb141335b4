// One chart of the chart panel: its section (title, hovered epoch, optional log toggle, plot and
// legend), the uPlot instance in it, and the copy of the columns it plots, extended epoch by epoch.
import { el as dom } from './dom.js';
import uPlot from '/static/vendor/uPlot.esm.js';

const keepPositive = (v) => (v > 0 && Number.isFinite(v) ? v : null);
const keepFinite = (v) => (Number.isFinite(v) ? v : null);

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

  let data = null;
  let len = 0; // epochs copied into `data`
  let defs = [];
  let log = false;

  const panel = {
    kindId,
    el,
    /** The uPlot instance (null until mounted). */
    u: null,
    /** (Re)create the plot: `title`, series `defs`, `options(host, legendHost, defs)`, from `store`. */
    mount({ title, defs: series, log: isLog, options, store }) {
      if (panel.u) panel.u.destroy();
      legendHost.replaceChildren();
      h.textContent = title;
      defs = series;
      log = isLog;
      el.dataset.series = String(defs.length);
      el.classList.toggle('bp-legend-side', defs.length > 3);
      data = [[], ...defs.map(() => [])];
      len = 0;
      panel.fill(store);
      panel.u = new uPlot(options(host, legendHost, defs), data, host);
    },
    /** Extend the data arrays with the epochs of `store` not copied yet. */
    fill(store) {
      const clean = log ? keepPositive : keepFinite;
      const total = store.length();
      if (len > total) {
        data.forEach((a) => (a.length = 0));
        len = 0;
      }
      const epochs = store.col('epoch');
      for (let j = len; j < total; j++) {
        data[0].push(epochs[j]);
        defs.forEach((d, s) => data[s + 1].push(clean(d.get(j))));
      }
      len = total;
    },
    /** Push the copied data into the plot. */
    draw() {
      panel.u.setData(data, true);
    },
    /** Copy everything again on the next fill (the store's values moved). */
    refill() {
      len = Infinity;
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
    if (panel.u && w > 0 && ht > 0 && (w !== panel.u.width || ht !== panel.u.height)) {
      panel.u.setSize({ width: w, height: ht });
    }
  });
  ro.observe(host);
  return panel;
}
