// Loads the views (charts, network, boundary, histograms, feature tiles) as separate modules:
// a view that fails to load is reported and replaced by a do-nothing stand-in, so a missing one
// never takes the page down.

import { $ } from './dom.js';

const noop = () => {};
const stub = new Proxy({}, { get: () => noop });

/** The view slots, each a do-nothing stand-in until loadViews fills it. */
export const createViewSlots = () => ({ charts: stub, net: stub, boundary: stub, hist: stub, tiles: stub, confusion: stub });

/** Import and create every view into `views`; `configure`/`command` send edits, `toast` reports failures. */
export async function loadViews(views, { configure, command, toast }) {
  const specs = [
    ['charts', './charts.js', (m) => m.createCharts($('charts'))],
    ['net', './network-view.js', (m) => m.createNetworkView($('network'), { onLayersChange: (layers) => configure({ model: { layers } }) })],
    ['boundary', './boundary.js', (m) => m.createBoundaryView($('boundary'), {
      onAddPoint: (x, y, lab) => command({ type: 'add_point', x, y, label: lab }),
      onRemovePoint: (x, y) => command({ type: 'remove_point', x, y }),
    })],
    ['hist', './histograms.js', (m) => m.createHistogramView($('histograms'))],
    ['confusion', './confusion-matrix.js', (m) => m.createConfusionMatrix($('confusion'))],
    ['tiles', './feature-tiles.js', (m) => m.createFeatureTiles($('features'), { onChange: (features) => configure({ dataset: { features } }) })],
  ];
  const results = await Promise.allSettled(specs.map(([, path]) => import(path)));
  results.forEach((res, i) => {
    const [key, path, make] = specs[i];
    try {
      if (res.status !== 'fulfilled') throw res.reason;
      views[key] = make(res.value);
    } catch (err) {
      toast(`Could not load ${path.slice(2)}: ${err && err.message ? err.message : err}`);
    }
  });
}
