// Points at what a lesson step talks about: outlines a chart (switching to its tab first), a
// view or a control, or lights a layer up in the network diagram. Each target also gets a label
// the lesson panel lists, so a target the layout hides (the charts while the inspector is open)
// is still named.
import { TABS } from './chart-kinds.js';
import { $ } from './dom.js';
import { CONTROLS, VIEWS, chartTestid } from './lesson-targets.js';
import { layerColumn, layerLabel, parseTarget } from './lesson-state.js';

const CLASS = 'lesson-pointed';

/** Create the pointer; `views` holds the chart and network views, `hiddenLayers()` counts layers. */
export function createPointer({ views, hiddenLayers }) {
  let targets = [];

  /** The chart's panel; the first chart of a step may switch the chart tab to show it. */
  function chartElement(name, mayShow) {
    const tab = TABS.find((t) => t.kinds.includes(name));
    if (mayShow) {
      const curves = $('tab-curves');
      if (curves && curves.getAttribute('aria-selected') !== 'true') curves.click();
      if (tab && !$(chartTestid(name))) views.charts.showTab?.(tab.id);
    }
    return $(chartTestid(name));
  }

  /** The element for one target and its label ({el: null} for a layer or a missing element). */
  function resolve(target, mayShow) {
    const { kind, name } = parseTarget(target);
    if (kind === 'layer') return { target, kind, name, el: null, label: layerLabel(name) };
    if (kind === 'chart') {
      const el = chartElement(name, mayShow);
      const title = el?.querySelector('.bp-chart-title')?.textContent;
      return { target, kind, name, el, label: title ? `“${title}”` : `the ${name} chart` };
    }
    const spec = (kind === 'view' ? VIEWS : CONTROLS)[name];
    if (!spec) return { target, kind, name, el: null, label: target };
    const found = $(spec.testid);
    return { target, kind, name, el: spec.closest ? found?.closest(spec.closest) ?? found : found, label: spec.label };
  }

  function clear() {
    for (const node of document.querySelectorAll(`.${CLASS}`)) {
      node.classList.remove(CLASS);
      delete node.dataset.lessonTarget;
    }
  }

  /** Point at `list` (targets like 'chart:grad'); returns [{target, label, visible}]. */
  function point(list) {
    clear();
    targets = list.slice();
    let layer = null;
    const firstChart = targets.find((t) => t.startsWith('chart:'));
    const shown = targets.map((target) => {
      const r = resolve(target, target === firstChart);
      if (r.kind === 'layer') {
        const column = layerColumn(r.name, hiddenLayers());
        if (column !== null) layer = { column, unit: null, edges: column > 0 ? 'in' : null };
        return { target, label: r.label, visible: column !== null };
      }
      if (r.el) {
        r.el.classList.add(CLASS);
        r.el.dataset.lessonTarget = target;
      }
      return { target, label: r.label, visible: Boolean(r.el && r.el.getClientRects().length) };
    });
    views.net.highlight?.(layer);
    return shown;
  }

  return {
    point,
    /** Point at the same targets again (after a redraw replaced their elements). */
    again: () => point(targets),
    /** Show one target (a chart on another tab: switch to it), then pulse its outline. */
    flash(target) {
      if (!document.querySelector(`[data-lesson-target="${CSS.escape(target)}"]`)) {
        point([target, ...targets.filter((t) => t !== target)]);
      }
      const node = document.querySelector(`[data-lesson-target="${CSS.escape(target)}"]`);
      if (!node) return;
      node.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      node.classList.remove(CLASS);
      void node.offsetWidth; // restart the pulse animation
      node.classList.add(CLASS);
    },
    /** Stop pointing. */
    clear() {
      targets = [];
      clear();
      views.net.highlight?.(null);
    },
  };
}
