// Live training charts (uPlot): loss, accuracy/R², per-layer gradient norms and the issue-3
// instruments, grouped in tabs of up to three large charts. Data live in a column store
// (chart-columns.js); uPlot instances (chart-panel.js) exist only for the visible tab and get
// setData at most once per animation frame. What each chart shows is in chart-kinds.js.
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
  const grid = el('div', { class: 'bp-chart-grid' });
  const root = el('div', { class: 'bp-charts' }, tabBar, grid);
  containerEl.append(root);

  let task = 'binary';
  let activeTab = TABS[0].id;
  let panels = [];
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
      options: (host, legendHost, defs) => chartOptions({
        host, legendHost, defs, log, range: yRange(kindId, task, log), ref: KINDS[kindId].ref,
        fg: textColor(root), onLegend: (u) => panel.showEpoch(u),
      }),
    });
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

  return {
    /** Replace all data with `history` (metrics-shaped columns) for a task and layer list. */
    reset(history, { task: newTask, layerNames: names } = {}) {
      task = newTask || task;
      store.clear(names || (history?.layers || []).map((l) => l.name));
      if (history) store.push(history);
      showTab(activeTab);
    },
    /** Append a metrics frame's columns; redraws on the next animation frame. */
    append(frame) {
      store.push(frame);
      schedule();
    },
    /** Switch the visible tab ('training'|'gradients'|'activations'|'weights'). */
    showTab,
    /** Stop observers and free the plots. */
    destroy() {
      schedule.cancel();
      rootRo.disconnect();
      for (const p of panels) p.destroy();
      root.remove();
    },
  };
}
