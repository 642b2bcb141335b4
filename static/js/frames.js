// What the page does with each server frame (hello, metrics, snapshot, dataset, histograms,
// config, state, error): update the client state and hand the data to the views. Owns the chart
// history bookkeeping: which layers and which task the charts were last reset for. Layer names
// come from the server (history columns, snapshots), never from guessing.

import { last, showDatasetInfo, showModel, showStats, showTaskLabels } from './readouts.js';
import { clearModel, setConfig, setDataset, setModel, state, writeHash } from './state.js';

const namesOf = (frame) => (Array.isArray(frame?.layers) ? frame.layers.map((l) => l.name) : []);
const runStateOf = (s) => (s && typeof s === 'object' ? s.state : s);
const sameNames = (a, b) => a.join() === b.join();

/** Empty metrics-shaped columns for layers `names`. */
function emptyHistory(names) {
  return {
    epoch: [], train_loss: [], val_loss: [], train_acc: [], val_acc: [], train_mae: [], val_mae: [],
    lr: [], grad_norm_global: [], grad_norm_clipped: [],
    layers: names.map((name) => ({ name, grad_norm: [], grad_norm_b: [], weight_norm: [], update_ratio: [],
      act_mean: [], act_std: [], dead_frac: [], saturated_frac: [] })),
  };
}

/**
 * Build the frame handler. `views` holds the view objects (filled in as they load), `controls`
 * the control panel, `indicators` the pills/epoch, `toast` shows server errors.
 */
export function createFrameHandler({ views, controls, indicators, toast, diagnoses }) {
  let layerNames = [];
  let chartTask = null;

  /** Start the charts and histograms afresh from `history` (columns for `names`, or empty). */
  function resetCharts(history, names) {
    layerNames = names;
    const h = history && Array.isArray(history.epoch) ? history : emptyHistory(layerNames);
    chartTask = state.dataset?.task ?? 'binary';
    views.charts.reset(h, { task: chartTask, layerNames });
    views.hist.reset(layerNames);
    indicators.setEpoch(last(h.epoch) ?? 0);
    showStats(h);
  }

  function showDataset(d) {
    setDataset(d);
    views.boundary.setDataset(d);
    showDatasetInfo(d);
    showTaskLabels();
    showModel(views);
    // New data of another kind (the rebuild already emptied the history): retitle the charts.
    if (chartTask !== null && d.task !== chartTask) resetCharts(null, layerNames);
  }

  function showSnapshot(frame) {
    const fresh = state.model === null;
    setModel(frame);
    if (fresh) showModel(views);
    // After a rebuild the charts start afresh for the new network's layers.
    if (fresh && !sameNames(state.model.layerNames, layerNames)) resetCharts(null, state.model.layerNames);
    if (frame.weights) views.net.setWeights(frame.weights);
    views.net.setUnits?.(frame.units ?? null, frame.epoch);
    views.boundary.setSnapshot(frame);
    views.confusion?.update(frame.confusion ?? null);
  }

  return function handleFrame(frame) {
    switch (frame.type) {
      case 'hello': {
        setConfig(frame.config);
        controls.update(frame.config);
        if (frame.dataset) showDataset(frame.dataset);
        setModel(frame.snapshot);
        showModel(views);
        const fromHistory = namesOf(frame.history);
        resetCharts(frame.history, fromHistory.length ? fromHistory : state.model.layerNames);
        views.charts.setMarkers(frame.markers ?? []);
        showSnapshot(frame.snapshot);
        for (const h of frame.histograms ?? []) views.hist.add(h);
        indicators.setRunState(runStateOf(frame.state) ?? 'idle', frame.reason ?? frame.state?.reason);
        diagnoses?.show(frame.diagnoses ?? []);
        writeHash();
        break;
      }
      case 'marker':
        views.charts.addMarker(frame.marker);
        break;
      case 'diagnosis':
        diagnoses?.show(frame.diagnoses);
        break;
      case 'metrics': {
        const names = namesOf(frame);
        if (names.length && !sameNames(names, layerNames)) resetCharts(null, names);
        views.charts.append(frame);
        const epoch = last(frame.epoch);
        if (epoch !== undefined) indicators.setEpoch(epoch);
        showStats(frame);
        break;
      }
      case 'snapshot':
        showSnapshot(frame);
        break;
      case 'dataset':
        showDataset(frame);
        break;
      case 'histograms':
        views.hist.add(frame);
        break;
      case 'config': {
        setConfig(frame.config, { edited: true });
        // A rebuild (or reset) starts a new history on the server: empty the charts and their
        // markers; the snapshot that follows names the new network's layers and counts its
        // parameters. A network edit that kept the history re-keys the per-layer series instead.
        if (frame.rebuilt && frame.kept_history && Array.isArray(frame.layer_names)) {
          clearModel();
          layerNames = frame.layer_names.slice();
          views.charts.remapLayers(layerNames, frame.layer_sources ?? []);
        } else if (frame.rebuilt) {
          clearModel();
          resetCharts(null, layerNames);
          views.charts.setMarkers([]);
        }
        controls.update(frame.config);
        showModel(views);
        writeHash();
        break;
      }
      case 'state':
        indicators.setRunState(frame.state, frame.reason);
        break;
      case 'error':
        if (frame.code === 'no_session') break; // the socket starts a new session on the 4404 close
        toast(frame.message || `Server error (${frame.code})`);
        break;
      default:
        break; // newer server, older page: ignore unknown frames
    }
  };
}
