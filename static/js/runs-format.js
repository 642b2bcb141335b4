// Pure text for the runs panel, compare and replay: a run's network, optimiser, best figure, age
// and state; the settings in which runs differ (for the legend and the config table); the
// selection limit; the checkpoint a replay shows. No DOM here, so Node tests cover it.

import { fmt, label } from './format.js';

/** Short names of config paths for legends and table rows (others: their last word). */
const SHORT = {
  'dataset.name': 'data', 'dataset.samples': 'samples', 'dataset.noise': 'noise', 'dataset.seed': 'data seed',
  'dataset.features': 'features', 'dataset.val_fraction': 'val fraction', 'dataset.classes': 'classes',
  'model.layers': 'layers', 'model.init': 'init', 'model.init_scale': 'init scale', 'model.dtype': 'dtype',
  'training.learning_rate': 'lr', 'training.batch_size': 'batch', 'training.optimizer': 'optimiser',
  'training.weight_decay': 'weight decay', 'training.clip_norm': 'clip norm', 'training.clip_value': 'clip value',
  'training.schedule.kind': 'schedule', 'training.seed': 'seed', 'training.l1': 'L1', 'training.l2': 'L2',
};
/** Settings that change how a run is shown or paced, not what it learns: kept out of legends. */
const PACING = new Set(['training.histogram_every', 'training.epochs_per_second', 'training.stop_at_epoch']);
/** Rows the config table always shows, differing or not. */
export const KEY_PATHS = ['dataset.name', 'model.layers', 'training.optimizer', 'training.learning_rate', 'training.batch_size'];
const LEGEND_SETTINGS = 3; // differing settings named in a legend entry, then "+N more"

const STATES = { running: 'Running', paused: 'Paused', idle: 'Ready', interrupted: 'Interrupted', diverged: 'Diverged', stopped: 'Stopped' };

/** "2-8-8-1 tanh" from the server's widths (inputs, hidden..., outputs) and the config's layers. */
export function networkLabel(widths, layers = []) {
  const acts = [...new Set(layers.map((l) => l.activation))];
  const shape = widths ? widths.join('-') : ['?', ...layers.map((l) => l.units), '?'].join('-');
  const extras = [layers.some((l) => l.batch_norm) ? 'BN' : '', layers.some((l) => l.dropout > 0) ? 'dropout' : ''];
  return [shape, acts.join('/'), ...extras].filter(Boolean).join(' ');
}

/** "SGD lr 0.01" or "Adam lr 0.001": the optimiser and its learning rate. */
export function optimiserLabel(training = {}) {
  return `${label(training.optimizer ?? '?')} lr ${fmt(training.learning_rate)}`;
}

/** The best validation figure: accuracy (classification), R² (regression), else the loss. */
export function bestFigure({ task, best_val_acc: acc, best_val_loss: loss }) {
  if (Number.isFinite(acc)) return task === 'regression' ? `R² ${fmt(acc)}` : `${(acc * 100).toFixed(1)} % acc`;
  if (Number.isFinite(loss)) return `loss ${fmt(loss)}`;
  return '—';
}

/** Human name of a run state. */
export const stateLabel = (state) => STATES[state] ?? String(state);

/** "just now", "5 min ago", "3 h ago", else the date: when a run was made (Unix seconds). */
export function whenLabel(seconds, nowMs = Date.now()) {
  const ago = Math.max(0, nowMs / 1000 - seconds);
  if (ago < 60) return 'just now';
  if (ago < 3600) return `${Math.floor(ago / 60)} min ago`;
  if (ago < 86400) return `${Math.floor(ago / 3600)} h ago`;
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** A layer as one short phrase: "8 tanh", "16 relu BN drop 0.2". */
const layerText = (l) => [l.units, l.activation, l.batch_norm ? 'BN' : '', l.dropout > 0 ? `drop ${fmt(l.dropout)}` : '']
  .filter((x) => x !== '').join(' ');

/** A config value as table text. */
export function valueText(path, v) {
  if (path === 'model.layers') return v.length ? v.map(layerText).join(', ') : 'none (linear)';
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number') return fmt(v, 4);
  if (Array.isArray(v)) return v.join(', ');
  return label(v);
}

/** Leaves of a config as {path: value}; arrays (layers, features) are one leaf. */
export function flatten(config, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(config ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, path, out);
    else out[path] = v;
  }
  return out;
}

/** Short name of a config path ("lr", "batch", else its last word with spaces). */
export const pathLabel = (path) => SHORT[path] ?? path.split('.').at(-1).replaceAll('_', ' ');

/**
 * The configs side by side: [{path, label, values: [text per config], differs}], differing rows
 * first (in config order), then the rest. With one config nothing differs.
 */
export function configDiff(configs) {
  const flat = configs.map((c) => flatten(c));
  const paths = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  const rows = paths.map((path) => {
    const raw = flat.map((f) => JSON.stringify(f[path] ?? null));
    return { path, label: pathLabel(path), values: flat.map((f) => valueText(path, f[path] ?? null)), differs: new Set(raw).size > 1 };
  });
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}

/** Legend text of run `i`: its name, then the settings (not pacing) in which it differs from the others. */
export function legendText(name, diff, i) {
  const own = diff.filter((r) => r.differs && !PACING.has(r.path)).map((r) => `${r.label} ${r.values[i]}`);
  if (!own.length) return name;
  const more = own.length > LEGEND_SETTINGS ? `, +${own.length - LEGEND_SETTINGS} more` : '';
  return `${name} — ${own.slice(0, LEGEND_SETTINGS).join(', ')}${more}`;
}

/** Select or unselect `id` within `max` picks: {selected (a new Set), error (text or null)}. */
export function toggleSelection(selected, id, max) {
  const next = new Set(selected);
  if (next.has(id)) {
    next.delete(id);
    return { selected: next, error: null };
  }
  if (next.size >= max) return { selected, error: `Compare takes at most ${max} runs: unselect one first.` };
  next.add(id);
  return { selected: next, error: null };
}

/** The checkpoint a replay at epoch `at` (run-wide axis) shows: the last one at or before it, or null. */
export function nearestCheckpoint(checkpoints, at) {
  let found = null;
  for (const c of checkpoints) if (c.at <= at) found = c; // sorted by segment then epoch: the latest state wins
  return found;
}

/** "1–20 of 143" for a page of runs. */
export function pageText(offset, shown, total) {
  if (!total) return 'No runs yet';
  return `${offset + 1}–${offset + shown} of ${total}`;
}
