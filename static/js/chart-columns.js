// The chart panel's data: every metric as a column by epoch (top-level and per layer), appended
// from metrics frames, trimmed when epochs restart, and halved past MAX_POINTS epochs.

// Beyond this many epochs the client keeps every other point (again as needed): a 400-px chart
// cannot show more, and setData on hundreds of thousands of points would stall the page.
const MAX_POINTS = 40000;

/** Append m values of `val` (an array, or anything else for nulls) to `arr`, nulls for gaps. */
function pushValues(arr, val, m) {
  for (let j = 0; j < m; j++) arr.push(Array.isArray(val) && val[j] != null ? val[j] : null);
}

/**
 * Create an empty column store. `onLayers()` runs when a frame brings other layer names;
 * `onRewrite()` when stored values changed place (trimmed or halved), so views refill from 0.
 */
export function createColumnStore({ onLayers, onRewrite }) {
  let cols = { epoch: [] }; // top-level columns by key
  let layerCols = []; // per layer: {key: [..]}
  let layerNames = [];

  function setLayers(names) {
    layerNames = names.slice();
    layerCols = layerNames.map(() => ({}));
    onLayers();
  }

  /** Cut every column to `len` epochs. */
  function truncate(len) {
    for (const arr of Object.values(cols)) arr.length = len;
    for (const lc of layerCols) for (const arr of Object.values(lc)) arr.length = len;
    onRewrite();
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
    onRewrite();
  }

  return {
    /** Current layer names. */
    layerNames: () => layerNames,
    /** Number of epochs stored. */
    length: () => cols.epoch.length,
    /** Top-level column `key` (epoch, train_loss, ...), or undefined. */
    col: (key) => cols[key],
    /** Column `key` of layer i, or undefined. */
    layerCol: (i, key) => layerCols[i]?.[key],
    /** Forget everything and expect layers `names`. */
    clear(names) {
      layerNames = names.slice();
      cols = { epoch: [] };
      layerCols = layerNames.map(() => ({}));
    },
    /**
     * After a network edit that kept the history: layer i of `names` continues the columns of
     * old layer `sources[i]` (null: a new layer, empty before the edit); a removed layer's go.
     */
    remapLayers(names, sources) {
      const old = layerCols;
      layerNames = names.slice();
      layerCols = layerNames.map((_, i) => (sources?.[i] != null && old[sources[i]] ? old[sources[i]] : {}));
      onLayers();
    },
    /** Append a metrics-shaped frame's columns. */
    push(frame) {
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
      for (const key of Object.keys(cols)) pushValues(cols[key], frame[key], m);
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
        for (const key of Object.keys(lc)) pushValues(lc[key], src[key], m);
      });
      while (cols.epoch.length > MAX_POINTS) decimate();
    },
  };
}
