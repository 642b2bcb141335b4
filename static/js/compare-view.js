// Compare: up to the server's limit of stored runs overlaid on loss, accuracy and gradient-norm
// charts (one epoch axis, one colour per run, validation solid and training dashed), a legend
// naming each run with the settings it differs in, and a table of their configs (differences
// highlighted) with their final and best figures. Data: GET /api/runs/compare (compare-data.js).

import uPlot from '/static/vendor/uPlot.esm.js';
import { yRange } from './chart-kinds.js';
import { isDark, layerStyle, textColor } from './colors.js';
import { COMPARE_CHARTS, METRIC_ROWS, alignRuns, allRegression, valueAt } from './compare-data.js';
import { el } from './dom.js';
import { fmt } from './format.js';
import { runsApi } from './runs-api.js';
import { KEY_PATHS, configDiff, legendText } from './runs-format.js';
import { chartOptions } from './uplot-options.js';

const swatch = (color, dashed = false) => {
  const s = el('span', { class: dashed ? 'compare-swatch dashed' : 'compare-swatch', 'aria-hidden': 'true' });
  s.style.setProperty('--swatch', color); // CSSOM, not a style attribute: the CSP forbids inline styles
  return s;
};

/** A dotted line in the run's colour where each of its segments after the first starts (a reset
 * or an architecture edit): the epochs before and after come from different weights. */
function markSegments(u, runs, colors) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.lineWidth = 2 * uPlot.pxRatio;
  ctx.setLineDash([3 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
  runs.forEach((run, i) => {
    ctx.strokeStyle = colors[i];
    for (const seg of run.segments.slice(1)) {
      const x = u.valToPos(seg.offset, 'x', true);
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
    }
  });
  ctx.restore();
}

/** One overlaid chart of `spec` for `runs` in `host`; returns {destroy}. */
function overlayChart(host, spec, runs, colors, regression) {
  const title = el('h3', { class: 'compare-chart-title', title: spec.hint,
    text: regression && spec.regressionTitle ? spec.regressionTitle : spec.title });
  const epoch = el('span', { class: 'compare-chart-epoch' });
  const plot = el('div', { class: 'compare-chart-plot' });
  host.append(el('section', { class: 'compare-chart', testid: `compare-chart-${spec.id}` },
    el('header', { class: 'compare-chart-head' }, title, epoch), plot));
  const defs = runs.flatMap((run, i) => spec.keys.map((key, k) => ({
    label: `${run.name} ${key}`, color: colors[i], dash: k === 0 ? undefined : [9, 6],
  })));
  const fontPx = parseFloat(getComputedStyle(host).getPropertyValue('--bp-chart-font')) || 16;
  const opts = chartOptions({
    host: plot, legendHost: el('div'), defs, log: spec.log, fg: textColor(host), fontPx,
    range: yRange(spec.kind, regression ? 'regression' : 'binary', spec.log),
    onLegend: (u) => { // under the cursor: the epoch, then each run's first column (validation)
      const i = u.cursor.idx;
      if (i == null) return epoch.replaceChildren();
      const values = runs.map((_, r) => el('span', { class: 'compare-value' }, swatch(colors[r]),
        fmt(valueAt(u.data[1 + r * spec.keys.length], i))));
      epoch.replaceChildren(`epoch ${u.data[0][i]}`, ...values);
    },
  });
  opts.legend = { show: false };
  opts.cursor.sync = { key: 'bp-compare' };
  opts.hooks.ready = [];
  opts.hooks.draw = [(u) => markSegments(u, runs, colors)];
  for (const s of opts.series.slice(1)) s.spanGaps = true; // runs sample different epochs
  const data = alignRuns(runs, spec.keys);
  const u = new uPlot(opts, data, plot);
  // Points drawn per run (its first column), for tests and the curious.
  plot.dataset.drawn = runs.map((_, i) => data[1 + i * spec.keys.length].filter((v) => v !== null).length).join(',');
  const ro = new ResizeObserver(() => {
    if (plot.clientWidth > 0 && plot.clientHeight > 0) u.setSize({ width: plot.clientWidth, height: plot.clientHeight });
  });
  ro.observe(plot);
  return { destroy: () => { ro.disconnect(); u.destroy(); } };
}

/** The configs side by side (differing rows marked; others only when `all`) and the figures. */
function compareTable(runs, diff, colors, all) {
  const head = el('tr', {}, el('th', { scope: 'col', text: 'Setting' }),
    ...runs.map((r, i) => el('th', { scope: 'col' }, swatch(colors[i]), r.name)));
  const rows = diff.filter((r) => all || r.differs || KEY_PATHS.includes(r.path)).map((r) =>
    el('tr', { class: r.differs ? 'differs' : '', testid: r.differs ? 'compare-differs' : null },
      el('th', { scope: 'row', text: r.label, title: r.path }),
      ...r.values.map((v) => el('td', { text: v }))));
  const metrics = METRIC_ROWS.map(([name, pick]) => el('tr', { class: 'metric' }, el('th', { scope: 'row', text: name }),
    ...runs.map((r) => el('td', { text: fmt(pick(r) ?? null, 4) }))));
  return el('table', { class: 'compare-table', testid: 'compare-table' },
    el('thead', {}, head), el('tbody', {}, ...rows), el('tbody', { class: 'compare-metrics' }, ...metrics));
}

/**
 * Show `ids` compared in `host`: `onBack()` returns to the list, `onReplay(run)` opens a run's
 * replay. Resolves {destroy} once drawn; a failure is reported in the view.
 */
export async function showCompare(host, { ids, onBack, onReplay }) {
  const back = el('button', { type: 'button', class: 'btn', testid: 'compare-back', text: '← Runs' });
  back.addEventListener('click', onBack);
  const title = el('h3', { class: 'runs-screen-title', text: `Comparing ${ids.length} run${ids.length > 1 ? 's' : ''}` });
  const body = el('div', { class: 'compare-body', 'aria-busy': 'true' }, el('p', { class: 'runs-note', text: 'Loading…' }));
  host.replaceChildren(el('div', { class: 'runs-screen-head' }, back, title), body);
  back.focus();
  let data;
  try {
    data = await runsApi.compare(ids);
  } catch (err) {
    body.replaceChildren(el('p', { class: 'runs-error', role: 'alert', text: `Could not compare: ${err.message}` }));
    return { destroy() {} };
  }
  if (!body.isConnected) return { destroy() {} }; // left before the data came
  const runs = data.runs;
  const dark = isDark();
  const colors = runs.map((_, i) => layerStyle(i, dark).color);
  const diff = configDiff(runs.map((r) => r.config));
  const regression = allRegression(runs);
  const legend = el('ul', { class: 'compare-legend', testid: 'compare-legend' }, ...runs.map((run, i) => {
    const replay = el('button', { type: 'button', class: 'btn small', testid: `compare-replay-${i}`, text: 'Replay',
      title: run.checkpoints.length ? 'Step through its checkpoints' : 'No checkpoint stored yet (pause the run to take one)' });
    replay.disabled = !run.checkpoints.length;
    replay.addEventListener('click', () => onReplay(run));
    return el('li', { testid: 'compare-legend-item' }, swatch(colors[i]), el('span', { text: legendText(run.name, diff, i) }), replay);
  }));
  const rebuilt = runs.some((r) => r.segments.length > 1);
  const key = el('p', { class: 'runs-note' }, swatch('currentColor'), ' validation   ', swatch('currentColor', true), ' training',
    rebuilt ? '   ·   a dotted line marks a reset or an architecture edit: the epochs after it follow on' : '');
  const grid = el('div', { class: 'compare-charts' });
  let all = false;
  const toggle = el('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false', text: 'Show every setting' });
  const tableSlot = el('div', { class: 'compare-table-wrap' }, compareTable(runs, diff, colors, all));
  toggle.addEventListener('click', () => {
    all = !all;
    toggle.setAttribute('aria-pressed', String(all));
    tableSlot.replaceChildren(compareTable(runs, diff, colors, all));
  });
  const differing = diff.filter((r) => r.differs).length;
  let summary = `${differing} settings differ (highlighted)`;
  if (runs.length === 1) summary = 'Its settings';
  else if (differing === 1) summary = '1 setting differs (highlighted)';
  body.replaceChildren(legend, key, grid, el('div', { class: 'compare-table-head' }, el('h3', { text: summary }), toggle), tableSlot);
  body.removeAttribute('aria-busy');
  const charts = COMPARE_CHARTS.map((spec) => overlayChart(grid, spec, runs, colors, regression));
  host.dataset.compared = String(runs.length);
  return { destroy: () => charts.forEach((c) => c.destroy()) };
}
