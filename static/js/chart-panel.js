// One chart of the chart panel: its section (title, hovered epoch, optional log toggle, plot and
// legend), the uPlot instance in it, and the copy of the columns it plots, extended epoch by epoch.
import uPlot from '/static/vendor/uPlot.esm.js';

const keepPositive = (v) => (v > 0 && Number.isFinite(v) ? v : null);
const keepFinite = (v) => (Number.isFinite(v) ? v : null);

/**
 * Create the section for chart kind `kindId`; with `onToggleLog` it gets a "log" button
 * (pressed when `logPressed`). Returns the panel: {kindId, el, u, mount, fill, refill, showEpoch, destroy}.
 */
export function createChartPanel(kindId, { onToggleLog = null, logPressed = false } = {}) {
  const el = document.createElement('section');
  el.className = 'bp-chart';
  el.dataset.testid = `chart-${kindId}`;
  const head = document.createElement('header');
  head.className = 'bp-chart-head';
  const h = document.createElement('h3');
  h.className = 'bp-chart-title';
  const epochEl = document.createElement('span');
  epochEl.className = 'bp-chart-epoch';
  head.append(h, epochEl);
  if (onToggleLog) {
    const t = document.createElement('button');
    t.type = 'button';
    t.className = 'bp-chart-logtoggle';
    t.textContent = 'log';
    t.title = 'Logarithmic y axis';
    t.dataset.testid = `chart-${kindId}-log`;
    t.setAttribute('aria-pressed', String(logPressed));
    t.addEventListener('click', () => t.setAttribute('aria-pressed', String(onToggleLog())));
    head.append(t);
  }
  const host = document.createElement('div');
  host.className = 'bp-chart-plot';
  const legendHost = document.createElement('div');
  legendHost.className = 'bp-chart-legend';
  const body = document.createElement('div');
  body.className = 'bp-chart-body';
  body.append(host, legendHost);
  el.append(head, body);

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
