// Live training charts (uPlot): loss, accuracy/R², per-layer gradient norms and the issue-3
// instruments, grouped in tabs of up to three large charts. Data live in a column store
// (chart-columns.js); uPlot instances (chart-panel.js) exist only for the visible tab and get
// setData at most once per animation frame. What each chart shows is in chart-kinds.js.
// Dragging across a chart zooms every chart of the tab to those epochs (a double-click resets);
// the smoothing slider draws an EMA of each curve over the faint raw one.
import { KINDS, TABS, kindsOf, seriesDefs, titleOf, yRange } from './chart-kinds.js';
import { createColumnStore } from './chart-columns.js';
import { createChartPanel } from './chart-panel.js';
import { textColor } from './colors.js';
import { el } from './dom.js';
import { oncePerFrame } from './redraw.js';
import { chartOptions } from './uplot-options.js';

export { fmtValue } from './uplot-options.js';

/** Create the chart panel group inside `containerEl`; returns {reset, append, showTab, destroy}. */
export function createCharts(containerEl) {
  const tabBar = el('div', { class: 'bp-chart-tabs', role: 'tablist' });
  const smoothInput = el('input', {
    type: 'range', min: '0', max: '0.99', step: '0.01', value: '0', testid: 'chart-smoothing',
    'aria-label': 'Smoothing of the curves',
  });
  const smoothValue = el('output', { class: 'bp-chart-smoothing-value', text: '0' });
  const smoothing = el('label', { class: 'bp-chart-smoothing', title: 'Exponential moving average of each curve (the raw curve stays faint behind)' },
    el('span', { text: 'Smoothing' }), smoothInput, smoothValue);
  const grid = el('div', { class: 'bp-chart-grid' });
  const root = el('div', { class: 'bp-charts' }, tabBar, grid);
  containerEl.append(root);

  let task = 'binary';
  let weight = 0;
  let zoom = null; // [x0, x1] epochs, shared by the tab's charts
  let activeTab = TABS[0].id;
  let panels = [];
  let markers = []; // change markers of the run (markers.js), drawn on every chart
  const logOn = { loss: false };
  const store = createColumnStore({
    onLayers: () => {
      for (const p of panels) if (KINDS[p.kindId].perLayer) rebuild(p);
    },
    onRewrite: () => {
      for (const p of panels) p.refill();
    },
  });

  for (const tab of TABS) {
    const b = el('button', { type: 'button', class: 'bp-chart-tab', text: tab.title, testid: `chart-tab-${tab.id}`, role: 'tab' });
    b.addEventListener('click', () => showTab(tab.id));
    tabBar.append(b);
  }
  tabBar.append(smoothing);
  smoothInput.addEventListener('input', () => {
    weight = Number(smoothInput.value);
    smoothValue.textContent = weight.toFixed(2);
    for (const p of panels) rebuild(p);
  });

  /** Zoom every chart of the tab to epochs [x0, x1], or back to all of them with null. */
  function zoomTo(range) {
    zoom = range && range[1] > range[0] ? range : null;
    root.dataset.zoomed = String(!!zoom);
    for (const p of panels) p.zoomTo(zoom);
  }
  // Axis text follows the theme's size (presentation mode makes it larger).
  const fontPx = () => parseFloat(getComputedStyle(root).getPropertyValue('--bp-chart-font')) || 14;
  const panelColor = () => getComputedStyle(root).getPropertyValue('--panel').trim() || '#ffffff';
  const isLog = (kindId) => !!KINDS[kindId].log || !!logOn[kindId];

  /** Recreate a panel's plot for the current task, layers and log setting. */
  function rebuild(panel) {
    const { kindId } = panel;
    const log = isLog(kindId);
    panel.mount({
      title: titleOf(kindId, task),
      defs: seriesDefs(kindId, store.layerNames(), store),
      log,
      store,
      smoothing: weight,
      options: (host, legendHost, defs) => chartOptions({
        host, legendHost, defs, log, range: yRange(kindId, task, log), ref: KINDS[kindId].ref,
        fg: textColor(root), bg: panelColor(), onLegend: (u) => panel.showEpoch(u), fontPx: fontPx(),
        markers: () => markers,
        onZoom: (x0, x1) => zoomTo([x0, x1]), onResetZoom: () => zoomTo(null),
      }),
    });
    if (zoom) panel.zoomTo(zoom);
  }

  function makePanel(kindId) {
    if (!KINDS[kindId].logToggle) return createChartPanel(kindId);
    const panel = createChartPanel(kindId, {
      logPressed: !!logOn[kindId],
      onToggleLog: () => {
        logOn[kindId] = !logOn[kindId];
        rebuild(panel);
        return logOn[kindId];
      },
    });
    return panel;
  }

  function showTab(id) {
    activeTab = id;
    for (const b of tabBar.children) {
      const on = b.dataset.testid === `chart-tab-${id}`;
      b.setAttribute('aria-selected', String(on));
      b.classList.toggle('bp-active', on);
    }
    for (const p of panels) p.destroy();
    zoom = null;
    root.dataset.zoomed = 'false';
    grid.replaceChildren();
    panels = kindsOf(TABS.find((t) => t.id === id), task).map(makePanel);
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

  const schedule = oncePerFrame(() => {
    for (const p of panels) {
      if (!p.u) continue;
      p.fill(store);
      p.draw();
    }
  });

  showTab(activeTab);
  // Theme or presentation mode changed (presentation.js): new colours and sizes.
  const restyle = () => showTab(activeTab);
  document.addEventListener('bp-restyle', restyle);

  return {
    /** Replace all data with `history` (metrics-shaped columns) for a task and layer list. */
    reset(history, { task: newTask, layerNames: names } = {}) {
      task = newTask || task;
      store.clear(names || (history?.layers || []).map((l) => l.name));
      if (history) store.push(history);
      showTab(activeTab);
    },
    /** Replace the change markers (hello, a fresh start). */
    setMarkers(list) {
      markers = Array.isArray(list) ? list.slice() : [];
      root.dataset.markers = String(markers.length);
      for (const p of panels) p.u?.redraw(false, false);
    },
    /** Add one change marker (a live `marker` frame). */
    addMarker(marker) {
      markers.push(marker);
      root.dataset.markers = String(markers.length);
      for (const p of panels) p.u?.redraw(false, false);
    },
    /** Re-key the per-layer columns after a network edit that kept the history. */
    remapLayers(names, sources) {
      store.remapLayers(names, sources);
    },
    /** Append a metrics frame's columns; redraws on the next animation frame. */
    append(frame) {
      store.push(frame);
      schedule();
    },
    /** Switch the visible tab ('training'|'gradients'|'activations'|'weights'). */
    showTab,
    /** The x range each visible chart shows: [{kind, min, max}] (tests and the console). */
    xScales: () => panels.filter((p) => p.u).map((p) => ({ kind: p.kindId, min: p.u.scales.x.min, max: p.u.scales.x.max })),
    /** The arrays the chart of `kind` draws ([x, ...series]), for tests and the console. */
    drawn: (kind) => panels.find((p) => p.kindId === kind)?.u?.data.map((a) => Array.from(a)) ?? null,
    /** Zoom the tab's charts to epochs [x0, x1] (null: all). */
    zoomTo,
    /** Stop observers and free the plots. */
    destroy() {
      document.removeEventListener('bp-restyle', restyle);
      schedule.cancel();
      rootRo.disconnect();
      for (const p of panels) p.destroy();
      root.remove();
    },
  };
}
