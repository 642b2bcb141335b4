// Text readouts derived from the session: the stat cards, the metric labels (accuracy or R²),
// the network summary line (also handing the model to the network view and feature tiles), and
// the dataset line. All text goes in as textContent.

import { $ } from './dom.js';
import { fmt, label, networkSummary } from './format.js';
import { state } from './state.js';

/** Last element of an array, or undefined. */
export const last = (arr) => (Array.isArray(arr) && arr.length ? arr[arr.length - 1] : undefined);
const isRegression = () => (state.dataset?.task ?? '') === 'regression';

/** Output units of the current data: 1 for regression and binary, else the class count. */
function nOutputs() {
  const d = state.dataset;
  if (!d || d.task === 'regression') return 1;
  const k = Array.isArray(d.class_names) ? d.class_names.length : 2;
  return k <= 2 ? 1 : k;
}

/** Show the latest losses, scores and learning rate of a metrics-shaped frame. */
export function showStats(frame) {
  const pct = (v) => {
    if (v == null) return '—';
    if (!isRegression()) return `${(v * 100).toFixed(1)}%`;
    return Math.abs(v) < 10 ? v.toFixed(3) : fmt(v, 3); // R²
  };
  $('stat-train-loss').textContent = fmt(last(frame.train_loss) ?? null, 3);
  $('stat-val-loss').textContent = fmt(last(frame.val_loss) ?? null, 3);
  $('stat-train-acc').textContent = pct(last(frame.train_acc) ?? null);
  $('stat-val-acc').textContent = pct(last(frame.val_acc) ?? null);
  $('stat-lr').textContent = fmt(last(frame.lr) ?? null, 3);
}

/** Name the score cards after the task: accuracy, or R² for regression. */
export function showTaskLabels() {
  const reg = isRegression();
  document.querySelector('[data-metric-label="train"]').textContent = reg ? 'Train R²' : 'Train acc';
  document.querySelector('[data-metric-label="val"]').textContent = reg ? 'Val R²' : 'Val acc';
}

/** Show the config's model: in the network view, the feature tiles and the summary line. */
export function showModel(views) {
  const cfg = state.config;
  if (!cfg) return;
  const d = state.dataset;
  const inputLabels = d?.input_labels ?? cfg.dataset.features;
  views.net.setModel(cfg.model, { inputLabels, nOutputs: nOutputs() });
  const hidden = cfg.model.layers.map((l) => l.units);
  const sizes = [inputLabels.length, ...hidden, nOutputs()];
  const line = $('net-summary');
  const count = state.model?.parameterCount ?? null;
  line.textContent = networkSummary(sizes, count);
  line.dataset.hidden = String(hidden.length);
  line.dataset.parameters = count === null ? '' : String(count);
  views.tiles.set(cfg.dataset.features, { enabled: Boolean(d?.is_planar ?? true) });
}

/** Show a dataset frame's name, kind and split sizes. */
export function showDatasetInfo(d) {
  const nTrain = d.train?.y?.length ?? 0;
  const nVal = d.val?.y?.length ?? 0;
  const name = d.name === 'csv' ? state.uploads.get(state.config?.dataset?.upload_id)?.filename ?? 'Uploaded CSV' : label(d.name);
  const kind = d.task === 'regression' ? 'regression' : `${Math.max(2, d.class_names?.length ?? 2)} classes`;
  const info = $('dataset-info');
  info.textContent = `${name} · ${kind} · ${nTrain} train / ${nVal} val`;
  info.dataset.train = String(nTrain);
  info.dataset.val = String(nVal);
}
