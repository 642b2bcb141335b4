// The sidebar's field table: how each config knob is presented (section, label, widget kind,
// slider step, test id; a slider narrower than the valid range names its own end: a log scale
// needs a positive start, and most people want fewer than the 5000 samples the server allows). Ranges, option lists and when a knob applies come from the
// server's schema (config-schema.js resolveField); nothing here repeats them. Data only, plus the
// clipping widgets, which are the page's own view of clip_norm / clip_value.

import { fmt } from './format.js';

// ---- layer-wide fields: one value applied to every hidden layer -------------------------------
const layers = (cfg) => cfg?.model?.layers ?? [];
function layerField(key) {
  return {
    schema: `model.layers.${key}`,
    get(cfg) {
      const ls = layers(cfg);
      if (!ls.length) return undefined;
      const first = ls[0][key];
      return ls.every((l) => l[key] === first) ? first : null; // null = mixed
    },
    set: (value, cfg) => ({ model: { layers: layers(cfg).map((l) => ({ ...l, [key]: value })) } }),
    enabled: (cfg) => layers(cfg).length > 0,
  };
}

// ---- clipping: a mode select plus one threshold (the threshold's range is clip_norm's) --------
/** 'norm', 'value' or 'off' for a config. */
export const clipMode = (cfg) => {
  const t = cfg?.training ?? {};
  if (t.clip_norm != null) return 'norm';
  if (t.clip_value != null) return 'value';
  return 'off';
};
const DEFAULT_CLIP = 1;
const clipThreshold = (cfg) => cfg?.training?.clip_norm ?? cfg?.training?.clip_value ?? null;

// ---- the field table ----------------------------------------------------------------------------
const LOG_SCALE = [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1];

/** Every sidebar knob: where it lives in the config, how it is drawn, and its test id. */
export const FIELDS = [
  // Training
  { section: 'training', path: 'training.learning_rate', label: 'Learning rate', kind: 'log',
    sliderMin: 1e-5, testid: 'lr', hint: 'Step size of each update (log scale)', stacked: true },
  { section: 'training', path: 'training.batch_size', label: 'Batch size', kind: 'choice',
    choices: [1, 2, 4, 8, 10, 16, 32, 64, 128, 256, 512, 1024, 4096], testid: 'batch-size' },
  { section: 'training', path: 'training.optimizer', label: 'Optimizer', kind: 'select', testid: 'optimizer' },
  { section: 'training', path: 'training.momentum', label: 'Momentum', kind: 'range', step: 0.01, testid: 'momentum' },
  { section: 'training', path: 'training.nesterov', label: 'Nesterov', kind: 'check', testid: 'nesterov' },
  { section: 'training', path: 'training.rho', label: 'Rho', kind: 'range', step: 0.01, testid: 'rho' },
  { section: 'training', path: 'training.beta1', label: 'Beta 1', kind: 'number', testid: 'beta1' },
  { section: 'training', path: 'training.beta2', label: 'Beta 2', kind: 'number', testid: 'beta2' },
  { section: 'training', path: 'training.eps', label: 'Epsilon', kind: 'number', testid: 'eps' },
  { section: 'training', path: 'training.epochs_per_second', label: 'Speed', kind: 'choice',
    choices: [null, 100, 20, 5, 2, 1], testid: 'speed',
    optionLabel: (v) => (v === null ? 'Full speed' : `${fmt(v)} epochs/s`),
    hint: 'Slow motion for a room: the boundary and network follow every epoch below 10 epochs/s' },
  { section: 'training', path: 'training.stop_at_epoch', label: 'Stop at', kind: 'number',
    emptyIsNull: true, testid: 'stop-at',
    hint: 'Stop at epoch: pause when the run reaches it (empty: no limit); play then continues past it' },
  { section: 'training', path: 'training.weight_decay', label: 'Weight decay', kind: 'choice',
    choices: [0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.3], testid: 'weight-decay' },

  // Network (every hidden layer; per-layer edits live in the network view)
  { section: 'network', path: 'model.activation', label: 'Activation', kind: 'select',
    testid: 'activation', hint: 'Sets every hidden layer', ...layerField('activation') },
  { section: 'network', path: 'model.init', label: 'Initializer', kind: 'select', testid: 'init' },
  { section: 'network', path: 'model.init_scale', label: 'Init scale', kind: 'log', sliderMin: 0.01,
    testid: 'init-scale' },
  { section: 'network', path: 'model.batch_norm', label: 'Batch norm', kind: 'check',
    testid: 'batch-norm', hint: 'Every hidden layer', ...layerField('batch_norm') },
  { section: 'network', path: 'model.dropout', label: 'Dropout', kind: 'range', step: 0.05,
    testid: 'dropout', hint: 'Every hidden layer', ...layerField('dropout') },

  // Data
  { section: 'data', path: 'dataset.noise', label: 'Noise', kind: 'range', step: 0.01, testid: 'noise' },
  { section: 'data', path: 'dataset.samples', label: 'Samples', kind: 'range', step: 10,
    sliderMax: 2000, testid: 'samples' },
  { section: 'data', path: 'dataset.classes', label: 'Classes', kind: 'select',
    optionLabel: (v) => (v === null ? 'Default' : String(v)), testid: 'classes' },
  { section: 'data', path: 'dataset.val_fraction', label: 'Validation', kind: 'range', step: 0.05,
    testid: 'val-fraction', hint: 'Share of the points held out' },
  { section: 'data', path: 'dataset.task', label: 'Task', kind: 'select', testid: 'task' },

  // Regularisation
  { section: 'regularisation', path: 'training.l1', label: 'L1', kind: 'choice', choices: LOG_SCALE, testid: 'l1' },
  { section: 'regularisation', path: 'training.l2', label: 'L2', kind: 'choice', choices: LOG_SCALE, testid: 'l2' },
  { section: 'regularisation', path: 'training.clip', schema: false, label: 'Clip grads', kind: 'select',
    hint: 'Gradient clipping', options: ['off', 'norm', 'value'], testid: 'clip-mode',
    optionLabel: (v) => ({ off: 'Off', norm: 'By global norm', value: 'By value' })[v],
    get: clipMode,
    set: (mode, cfg) => {
      const at = clipThreshold(cfg) ?? DEFAULT_CLIP;
      return { training: { clip_norm: mode === 'norm' ? at : null, clip_value: mode === 'value' ? at : null } };
    } },
  { section: 'regularisation', path: 'training.clip_threshold', schema: 'training.clip_norm', label: 'Clip at',
    kind: 'number', testid: 'clip-threshold', when: (c) => clipMode(c) !== 'off',
    get: clipThreshold,
    set: (v, c) => ({ training: { [clipMode(c) === 'norm' ? 'clip_norm' : 'clip_value']: v } }) },
  { section: 'regularisation', path: 'training.early_stopping.enabled', label: 'Early stop',
    kind: 'check', testid: 'early-stopping', hint: 'Early stopping: stop when the validation loss stops improving' },
  { section: 'regularisation', path: 'training.early_stopping.patience', label: 'Patience',
    kind: 'number', testid: 'es-patience' },
  { section: 'regularisation', path: 'training.early_stopping.min_delta', label: 'Min delta',
    kind: 'number', testid: 'es-min-delta' },
  { section: 'regularisation', path: 'training.early_stopping.restore_best', label: 'Restore best',
    kind: 'check', testid: 'es-restore-best' },

  // Schedule
  { section: 'schedule', path: 'training.schedule.kind', label: 'Schedule', kind: 'select', testid: 'schedule' },
  ...[
    ['step_size', 'Step every'],
    ['gamma', 'Gamma'],
    ['period', 'Period'],
    ['min_lr', 'Min LR'],
    ['patience', 'Patience'],
    ['factor', 'Factor'],
    ['warmup_epochs', 'Warm-up'],
  ].map(([key, text]) => ({
    section: 'schedule', path: `training.schedule.${key}`, label: text, kind: 'number',
    testid: `schedule-${key.replace(/_/g, '-')}`,
  })),

  // Instruments and reproducibility
  { section: 'advanced', path: 'training.instruments', label: 'Layer stats',
    kind: 'check', testid: 'instruments', hint: 'Per-layer statistics every epoch (off: faster epochs, empty layer charts)' },
  { section: 'advanced', path: 'training.eval_every', label: 'Val every', kind: 'number',
    testid: 'eval-every', hint: 'Validation figures every this many epochs (training figures every epoch)' },
  { section: 'advanced', path: 'training.histogram_every', label: 'Histograms', kind: 'choice',
    choices: [0, 1, 2, 5, 10, 25, 50, 100],
    optionLabel: (v) => (v === 0 ? 'Off' : v === 1 ? 'Every epoch' : `Every ${v} epochs`),
    testid: 'histogram-every' },
  { section: 'advanced', path: 'model.dtype', label: 'Precision', kind: 'select', testid: 'dtype' },
  { section: 'advanced', path: 'training.seed', label: 'Training seed', kind: 'number', testid: 'training-seed' },
  { section: 'advanced', path: 'dataset.seed', label: 'Data seed', kind: 'number', testid: 'data-seed' },
];

/** Sidebar sections: [key, title, open by default]. */
export const SECTIONS = [
  ['training', 'Training', true],
  ['network', 'Network', true],
  ['data', 'Data', true],
  ['regularisation', 'Regularisation', false],
  ['schedule', 'Learning-rate schedule', false],
  ['advanced', 'Instruments & seeds', false],
];
