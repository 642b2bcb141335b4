// Live training charts (uPlot): loss, accuracy/R², per-layer gradient norms and the issue-3
// instruments, grouped in tabs of up to three large charts. Data live here as columns; uPlot
// instances exist only for the visible tab and get setData at most once per animation frame.
import uPlot from '/static/vendor/uPlot.esm.js';
import { TRAIN, VAL, layerColor, LAYER_COLORS, shortLayerName, textColor } from './colors.js';
import { oncePerFrame } from './redraw.js';

const SUP = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
const FONT = '600 14px system-ui, sans-serif';
const LABEL_FONT = '700 14px system-ui, sans-serif';

/** 10^k written with superscripts ("10⁻³"); 1 and 10 stay plain. */
function pow10Label(k) {
  if (k === 0) return '1';
  if (k === 1) return '10';
  return '10' + String(k).split('').map((c) => SUP[c]).join('');
}

/** Short human number for legends and hover values. */
export function fmtValue(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}


const layerKind = (title, col, opts = {}) => ({ title, perLayer: col, ...opts });
const pairKind = (title, a, b, opts = {}) => ({ title, pair: [a, b], ...opts });

/** Chart kinds: which columns they plot and how. */
const KINDS = {
  loss: pairKind('Loss', ['train_loss', 'train'], ['val_loss', 'val'], { min0: true, logToggle: true }),
  acc: pairKind('Accuracy', ['train_acc', 'train'], ['val_acc', 'val'], { acc: true }),
  grad: layerKind('Gradient norm per layer', 'grad_norm', { log: true }),
  gradb: layerKind('Bias gradient norm per layer', 'grad_norm_b', { log: true }),
  update: layerKind('Update / weight ratio per layer', 'update_ratio', { log: true, ref: 1e-3 }),
  clip: pairKind('Global gradient norm', ['grad_norm_global', 'before clip'], ['grad_norm_clipped', 'after clip'], { log: true }),
  actstd: layerKind('Activation std per layer', 'act_std', { min0: true }),
  actmean: layerKind('Activation mean per layer', 'act_mean'),
  deadsat: layerKind('Dead or saturated units (fraction)', ['dead_frac', 'saturated_frac'], { unit: true }),
  weight: layerKind('Weight norm per layer', 'weight_norm', { log: true }),
  lr: { title: 'Learning rate (used)', single: ['lr', 'learning rate'], min0: true },
  mae: pairKind('Mean absolute error', ['train_mae', 'train'], ['val_mae', 'val'], { min0: true, regressionOnly: true }),
};

// Beyond this many epochs the client keeps every other point (again as needed): a 400-px chart
// cannot show more, and setData on hundreds of thousands of points would stall the page.
const MAX_POINTS = 40000;

const TABS = [
  { id: 'training', title: 'Training', kinds: ['loss', 'acc', 'grad'] },
  { id: 'gradients', title: 'Gradients', kinds: ['update', 'clip', 'gradb'] },
  { id: 'activations', title: 'Activations', kinds: ['actstd', 'deadsat', 'actmean'] },
  { id: 'weights', title: 'Weights & LR', kinds: ['weight', 'lr', 'mae'] },
];

/** Latest non-null value of series `si` (the legend shows it when the cursor is off the plot). */
function lastOf(u, si) {
  const a = u.data[si] || [];
  for (let j = a.length - 1; j >= Math.max(0, a.length - 50); j--) if (a[j] != null) return a[j];
  return null;
}

/** A y axis size that fits its longest tick label. */
function axisSize(self, values, axisIdx, cycleNum) {
  const axis = self.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let size = axis.ticks.size + axis.gap;
  const longest = (values ?? []).reduce((acc, v) => (String(v).length > acc.length ? String(v) : acc), '');
  if (longest) {
    self.ctx.font = axis.font[0];
    size += self.ctx.measureText(longest).width / uPlot.pxRatio;
  }
  return Math.ceil(size) + 2;
}

/** Log-axis ticks at whole decades, thinned to fit the plot height; 2 and 5 added in a narrow range. */
function logSplits(self, axisIdx, min, max) {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const room = Math.max(2, Math.floor(self.bbox.height / uPlot.pxRatio / 26));
  const step = Math.max(1, Math.ceil((hi - lo + 1) / room));
  const out = [];
  for (let k = lo; k <= hi; k += step) out.push(10 ** k);
  if (hi - lo < 2) {
    for (let k = lo - 1; k <= hi; k++) {
      for (const m of [2, 5]) if (m * 10 ** k >= min && m * 10 ** k <= max) out.push(m * 10 ** k);
    }
    out.sort((a, b) => a - b);
  }
  return out;
}

/** Tick label on a log axis: decades as 10ⁿ, other ticks as plain numbers. */
function logLabel(v) {
  if (v == null) return '';
  const k = Math.round(Math.log10(v));
  return Math.abs(v / 10 ** k - 1) < 1e-6 ? pow10Label(k) : fmtValue(v);
}

/** Create the chart panel group inside `containerEl`; returns {reset, append, destroy}. */
export function createCharts(containerEl) {
  const root = document.createElement('div');
  root.className = 'bp-charts';
  const tabBar = document.createElement('div');
  tabBar.className = 'bp-chart-tabs';
  tabBar.setAttribute('role', 'tablist');
  const grid = document.createElement('div');
  grid.className = 'bp-chart-grid';
  root.append(tabBar, grid);
  containerEl.append(root);

  let task = 'binary';
  let layerNames = [];
  let cols = { epoch: [] }; // top-level columns by key
  let layerCols = []; // per layer: {key: [..]}
  let activeTab = TABS[0].id;
  let panels = [];
  const logOn = { loss: false };

  for (const tab of TABS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'bp-chart-tab';
    b.textContent = tab.title;
    b.dataset.testid = `chart-tab-${tab.id}`;
    b.setAttribute('role', 'tab');
    b.addEventListener('click', () => showTab(tab.id));
    tabBar.append(b);
  }

  const n = () => cols.epoch.length;

  function seriesDefs(kindId) {
    const k = KINDS[kindId];
    if (k.perLayer) {
      return layerNames.map((name, i) => ({
        label: shortLayerName(name, i, layerNames.length),
        color: layerColor(i),
        dash: i >= LAYER_COLORS.length ? [10, 5] : undefined,
        get: (j) => {
          const lc = layerCols[i] || {};
          if (Array.isArray(k.perLayer)) {
            const a = lc[k.perLayer[0]]?.[j];
            return a != null ? a : lc[k.perLayer[1]]?.[j];
          }
          return lc[k.perLayer]?.[j];
        },
      }));
    }
    const pairs = k.pair || [k.single];
    return pairs.map(([key, label], i) => ({
      label,
      color: i === 0 ? TRAIN : VAL,
      dash: i === 0 ? undefined : [10, 6],
      get: (j) => cols[key]?.[j],
    }));
  }

  function isLog(kindId) {
    return !!KINDS[kindId].log || !!logOn[kindId];
  }

  function titleOf(kindId) {
    if (kindId === 'acc') return task === 'regression' ? 'R² (coefficient of determination)' : 'Accuracy';
    if (kindId === 'loss') return task === 'regression' ? 'Loss (mean squared error)' : 'Loss (cross-entropy)';
    return KINDS[kindId].title;
  }

  function yRange(kindId) {
    const k = KINDS[kindId];
    if (isLog(kindId)) {
      return (u, min, max) => (min == null || !(min > 0) ? [1e-3, 1] : uPlot.rangeLog(min, max, 10, true));
    }
    if (k.acc && task !== 'regression') return () => [0, 1];
    if (k.acc) return (u, min) => [min == null ? 0 : Math.max(-1, Math.min(0, Math.floor(min * 10) / 10)), 1];
    if (k.unit) return () => [0, 1];
    return (u, min, max) => {
      if (min == null) return [0, 1];
      const lo = k.min0 ? Math.min(0, min) : min;
      return uPlot.rangeNum(lo, max === lo ? lo + 1 : max, 0.08, true);
    };
  }

  function buildOpts(kindId, host, legendHost, defs) {
    const fg = textColor(root);
    const grid = { stroke: 'rgba(128,128,128,0.28)', width: 1 };
    const log = isLog(kindId);
    const yAxis = {
      stroke: fg, font: FONT, labelFont: LABEL_FONT, grid, ticks: { stroke: 'rgba(128,128,128,0.5)', size: 5 },
      size: axisSize, gap: 4,
    };
    if (log) {
      yAxis.splits = logSplits;
      yAxis.filter = (u, splits) => splits;
      yAxis.values = (u, splits) => splits.map(logLabel);
    } else {
      yAxis.values = (u, splits) => splits.map((v) => fmtValue(v));
    }
    const hooks = { setLegend: [(u) => showEpoch(u, kindId)] };
    const ref = KINDS[kindId].ref;
    if (ref) {
      hooks.draw = [(u) => drawRef(u, ref, fg)];
    }
    return {
      width: Math.max(50, host.clientWidth),
      height: Math.max(50, host.clientHeight),
      pxAlign: false,
      scales: {
        x: { time: false, range: (u, min, max) => (min == null ? [0, 10] : [min, max > min ? max : min + 1]) },
        y: log ? { distr: 3, log: 10, range: yRange(kindId) } : { range: yRange(kindId) },
      },
      axes: [
        {
          stroke: fg, font: FONT, labelFont: LABEL_FONT, grid, ticks: { stroke: 'rgba(128,128,128,0.5)', size: 5 },
          size: 26, gap: 3, space: 60,
          values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
        },
        yAxis,
      ],
      series: [
        { label: 'epoch', value: (u, v, si, idx) => (idx == null ? lastOf(u, 0) : v) ?? '—' },
        ...defs.map((d) => ({
          label: d.label,
          stroke: d.color,
          width: 3,
          dash: d.dash,
          spanGaps: false,
          points: { size: 7, width: 2 },
          value: (u, v, si, idx) => fmtValue(idx == null ? lastOf(u, si) : v),
        })),
      ],
      cursor: { sync: { key: 'bp-epoch' }, drag: { x: false, y: false, setScale: false }, points: { size: 10 } },
      legend: { live: true, markers: { width: 3 }, mount: (u, el) => legendHost.append(el) },
      hooks,
    };
  }

  function showEpoch(u, kindId) {
    const p = panels.find((q) => q.u === u || q.kindId === kindId);
    if (!p) return;
    const idx = u.cursor.idx;
    p.epochEl.textContent = idx == null || u.data[0][idx] == null ? '' : `epoch ${u.data[0][idx]}`;
  }

  function drawRef(u, ref, fg) {
    const { ctx, bbox } = u;
    if (ref < u.scales.y.min || ref > u.scales.y.max) return;
    const y = u.valToPos(ref, 'y', true);
    ctx.save();
    ctx.strokeStyle = fg;
    ctx.globalAlpha = 0.55;
    ctx.lineWidth = 1.5 * uPlot.pxRatio;
    ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.globalAlpha = 0.8;
    ctx.fillStyle = fg;
    ctx.font = `600 ${12 * uPlot.pxRatio}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.fillText('typical ≈ 10⁻³', bbox.left + bbox.width - 4 * uPlot.pxRatio, y - 4 * uPlot.pxRatio);
    ctx.restore();
  }

  function makePanel(kindId) {
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
    if (KINDS[kindId].logToggle) {
      const t = document.createElement('button');
      t.type = 'button';
      t.className = 'bp-chart-logtoggle';
      t.textContent = 'log';
      t.title = 'Logarithmic y axis';
      t.dataset.testid = `chart-${kindId}-log`;
      t.setAttribute('aria-pressed', String(!!logOn[kindId]));
      t.addEventListener('click', () => {
        logOn[kindId] = !logOn[kindId];
        t.setAttribute('aria-pressed', String(logOn[kindId]));
        rebuild(panel);
      });
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
    const panel = { kindId, el, h, epochEl, host, legendHost, u: null, data: null, len: 0, defs: [], ro: null };
    panel.ro = new ResizeObserver(() => {
      const w = host.clientWidth;
      const ht = host.clientHeight;
      if (panel.u && w > 0 && ht > 0 && (w !== panel.u.width || ht !== panel.u.height)) {
        panel.u.setSize({ width: w, height: ht });
      }
    });
    panel.ro.observe(host);
    return panel;
  }

  function rebuild(panel) {
    if (panel.u) panel.u.destroy();
    panel.legendHost.replaceChildren();
    panel.h.textContent = titleOf(panel.kindId);
    panel.defs = seriesDefs(panel.kindId);
    panel.el.dataset.series = String(panel.defs.length);
    panel.el.classList.toggle('bp-legend-side', panel.defs.length > 3);
    panel.data = [[], ...panel.defs.map(() => [])];
    panel.len = 0;
    fill(panel);
    panel.u = new uPlot(buildOpts(panel.kindId, panel.host, panel.legendHost, panel.defs), panel.data, panel.host);
  }

  /** Extend a panel's data arrays with the epochs it has not seen yet. */
  function fill(panel) {
    const log = isLog(panel.kindId);
    const clean = log ? (v) => (v > 0 && Number.isFinite(v) ? v : null) : (v) => (Number.isFinite(v) ? v : null);
    const total = n();
    if (panel.len > total) {
      panel.data.forEach((a) => (a.length = 0));
      panel.len = 0;
    }
    for (let j = panel.len; j < total; j++) {
      panel.data[0].push(cols.epoch[j]);
      panel.defs.forEach((d, s) => panel.data[s + 1].push(clean(d.get(j))));
    }
    panel.len = total;
  }

  function showTab(id) {
    activeTab = id;
    for (const b of tabBar.children) {
      const on = b.dataset.testid === `chart-tab-${id}`;
      b.setAttribute('aria-selected', String(on));
      b.classList.toggle('bp-active', on);
    }
    for (const p of panels) {
      p.ro.disconnect();
      if (p.u) p.u.destroy();
    }
    grid.replaceChildren();
    const tab = TABS.find((t) => t.id === id);
    panels = tab.kinds.filter((k) => !KINDS[k].regressionOnly || task === 'regression').map(makePanel);
    grid.dataset.count = String(panels.length);
    grid.append(...panels.map((p) => p.el));
    layout();
    for (const p of panels) rebuild(p);
  }

  /** Row of panels when the container is wide, a column when it is tall. */
  function layout() {
    const w = root.clientWidth;
    const h = root.clientHeight;
    const k = Math.max(1, panels.length);
    const asRow = Math.abs(Math.log(w / k / h / 1.5)) <= Math.abs(Math.log(w / (h / k) / 1.5));
    grid.classList.toggle('bp-row', asRow);
    grid.classList.toggle('bp-col', !asRow);
  }
  const rootRo = new ResizeObserver(layout);
  rootRo.observe(root);

  const schedule = oncePerFrame(flush);

  function flush() {
    for (const p of panels) {
      if (!p.u) continue;
      fill(p);
      p.u.setData(p.data, true);
    }
  }

  function pushColumns(frame) {
    const epochs = frame.epoch || [];
    const m = epochs.length;
    if (!m) return;
    // Epochs restarting (reset without charts.reset) would break uPlot's sorted x: drop the overlap.
    const last = cols.epoch[cols.epoch.length - 1];
    if (last != null && epochs[0] <= last) {
      const keep = cols.epoch.findIndex((e) => e >= epochs[0]);
      truncate(keep < 0 ? cols.epoch.length : keep);
    }
    const base = cols.epoch.length;
    for (const [key, val] of Object.entries(frame)) {
      if (key === 'layers' || key === 'type' || !Array.isArray(val)) continue;
      cols[key] ||= new Array(base).fill(null);
    }
    for (const key of Object.keys(cols)) {
      const val = frame[key];
      const arr = cols[key];
      for (let j = 0; j < m; j++) arr.push(Array.isArray(val) && val[j] != null ? val[j] : null);
    }
    const layers = frame.layers || [];
    const names = layers.map((l) => l.name);
    if (layers.length && names.join('\u0000') !== layerNames.join('\u0000')) {
      setLayers(names);
    }
    layerCols.forEach((lc, i) => {
      const src = layers[i] || {};
      for (const [key, val] of Object.entries(src)) {
        if (Array.isArray(val)) lc[key] ||= new Array(base).fill(null);
      }
      for (const key of Object.keys(lc)) {
        const val = src[key];
        for (let j = 0; j < m; j++) lc[key].push(Array.isArray(val) && val[j] != null ? val[j] : null);
      }
    });
    while (cols.epoch.length > MAX_POINTS) decimate();
  }

  /** Halve every column, keeping even indices and the latest point. */
  function decimate() {
    const last = cols.epoch.length - 1;
    const halve = (arr) => {
      let k = 0;
      for (let i = 0; i <= last; i++) if (i % 2 === 0 || i === last) arr[k++] = arr[i];
      arr.length = k;
    };
    Object.values(cols).forEach(halve);
    layerCols.forEach((lc) => Object.values(lc).forEach(halve));
    for (const p of panels) p.len = Infinity;
  }

  function truncate(len) {
    for (const arr of Object.values(cols)) arr.length = len;
    for (const lc of layerCols) for (const arr of Object.values(lc)) arr.length = len;
    for (const p of panels) p.len = Infinity; // forces a refill from 0
  }

  function setLayers(names) {
    layerNames = names.slice();
    layerCols = layerNames.map(() => ({}));
    for (const p of panels) if (KINDS[p.kindId].perLayer) rebuild(p);
  }

  showTab(activeTab);

  return {
    /** Replace all data with `history` (metrics-shaped columns) for a task and layer list. */
    reset(history, { task: newTask, layerNames: names } = {}) {
      task = newTask || task;
      layerNames = (names || (history?.layers || []).map((l) => l.name)).slice();
      cols = { epoch: [] };
      layerCols = layerNames.map(() => ({}));
      if (history) pushColumns(history);
      showTab(activeTab);
    },
    /** Append a metrics frame's columns; redraws on the next animation frame. */
    append(frame) {
      pushColumns(frame);
      schedule();
    },
    /** Switch the visible tab ('training'|'gradients'|'activations'|'weights'). */
    showTab,
    /** Stop observers and free the plots. */
    destroy() {
      schedule.cancel();
      rootRo.disconnect();
      for (const p of panels) {
        p.ro.disconnect();
        p.u?.destroy();
      }
      root.remove();
    },
  };
}
