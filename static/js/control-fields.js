// The sidebar's field table: every config knob with its section, widget kind, range, test id and
// when it applies; the sections; the dataset groups. Data only (plus the clip threshold memory):
// field-widgets.js builds the widgets and controls.js lays them out.

import { getPath } from './state.js';

/** Dataset select groups: [title, names]. */
export const DATASET_GROUPS = [
  ['2-D classification', ['circle', 'xor', 'gaussian', 'spiral', 'moons', 'checkerboard', 'blobs']],
  ['2-D regression', ['plane', 'multi_gaussian', 'sine']],
  ['Real data', ['iris', 'wine', 'breast_cancer', 'diabetes']],
];
/** Datasets drawn by a generator (noise, samples and "new points" apply). */
export const GENERATED = new Set(DATASET_GROUPS[0][1].concat(DATASET_GROUPS[1][1]));
const MULTICLASS = new Set(['blobs', 'spiral']);

/** Which optimiser / schedule kinds each knob applies to (config-schema.js updates it from the schema). */
export const RELEVANT = {
  'training.momentum': ['sgd', 'rmsprop'],
  'training.nesterov': ['sgd'],
  'training.beta1': ['adam', 'adamw'],
  'training.beta2': ['adam', 'adamw'],
  'training.eps': ['adam', 'adamw'],
  'training.rho': ['rmsprop'],
  'training.weight_decay': ['adamw'],
  'training.schedule.step_size': ['step'],
  'training.schedule.gamma': ['step', 'exponential'],
  'training.schedule.warmup_epochs': ['constant', 'step', 'exponential', 'cosine', 'plateau'],
  'training.schedule.period': ['cosine'],
  'training.schedule.min_lr': ['cosine'],
  'training.schedule.patience': ['plateau'],
  'training.schedule.factor': ['plateau'],
};
const relevantTo = (path, key) => (cfg) =>
  (RELEVANT[path] || []).includes(getPath(cfg, key));

// ---- layer-wide fields: one value applied to every hidden layer -------------------------------
const layers = (cfg) => cfg?.model?.layers ?? [];
function layerField(key) {
  return {
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

// ---- clipping: a mode select plus one threshold -----------------------------------------------
const clipMode = (cfg) => {
  const t = cfg?.training ?? {};
  if (t.clip_norm != null) return 'norm';
  if (t.clip_value != null) return 'value';
  return 'off';
};
let lastClip = 1;

/** Remember the config's clipping threshold, so switching the clip mode keeps it. */
export function rememberClip(cfg) {
  if (cfg.training.clip_norm != null) lastClip = cfg.training.clip_norm;
  else if (cfg.training.clip_value != null) lastClip = cfg.training.clip_value;
}

// ---- the field table ----------------------------------------------------------------------------
/** Every sidebar knob: where it lives in the config, its widget kind, and when it shows. */
export const FIELDS = [
  // Training
  { section: 'training', path: 'training.learning_rate', label: 'Learning rate', kind: 'log',
    min: 1e-5, max: 10, testid: 'lr', hint: 'Step size of each update (log scale)', stacked: true },
  { section: 'training', path: 'training.batch_size', label: 'Batch size', kind: 'choice',
    choices: [1, 2, 4, 8, 10, 16, 32, 64, 128, 256, 512, 1024], testid: 'batch-size' },
  { section: 'training', path: 'training.optimizer', label: 'Optimizer', kind: 'select',
    options: ['sgd', 'rmsprop', 'adagrad', 'adam', 'adamw'], testid: 'optimizer' },
  { section: 'training', path: 'training.momentum', label: 'Momentum', kind: 'range', min: 0,
    max: 0.99, step: 0.01, testid: 'momentum', when: relevantTo('training.momentum', 'training.optimizer') },
  { section: 'training', path: 'training.nesterov', label: 'Nesterov', kind: 'check',
    testid: 'nesterov', when: relevantTo('training.nesterov', 'training.optimizer') },
  { section: 'training', path: 'training.rho', label: 'Rho', kind: 'range', min: 0, max: 0.99,
    step: 0.01, testid: 'rho', when: relevantTo('training.rho', 'training.optimizer') },
  { section: 'training', path: 'training.beta1', label: 'Beta 1', kind: 'number', min: 0,
    max: 0.999, step: 0.01, testid: 'beta1', when: relevantTo('training.beta1', 'training.optimizer') },
  { section: 'training', path: 'training.beta2', label: 'Beta 2', kind: 'number', min: 0,
    max: 0.9999, step: 0.001, testid: 'beta2', when: relevantTo('training.beta2', 'training.optimizer') },
  { section: 'training', path: 'training.eps', label: 'Epsilon', kind: 'number', min: 1e-12,
    max: 1, step: 'any', testid: 'eps', when: relevantTo('training.eps', 'training.optimizer') },
  { section: 'training', path: 'training.weight_decay', label: 'Weight decay', kind: 'choice',
    choices: [0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.3], testid: 'weight-decay',
    when: relevantTo('training.weight_decay', 'training.optimizer') },

  // Network (every hidden layer; per-layer edits live in the network view)
  { section: 'network', path: 'model.activation', label: 'Activation', kind: 'select',
    options: ['linear', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'elu', 'gelu', 'softplus', 'swish'],
    testid: 'activation', hint: 'Sets every hidden layer', ...layerField('activation') },
  { section: 'network', path: 'model.init', label: 'Initializer', kind: 'select',
    options: ['zeros', 'uniform', 'normal', 'xavier', 'he', 'lecun', 'orthogonal'], testid: 'init' },
  { section: 'network', path: 'model.init_scale', label: 'Init scale', kind: 'log', min: 0.01,
    max: 100, testid: 'init-scale' },
  { section: 'network', path: 'model.batch_norm', label: 'Batch norm', kind: 'check',
    testid: 'batch-norm', hint: 'Every hidden layer', ...layerField('batch_norm') },
  { section: 'network', path: 'model.dropout', label: 'Dropout', kind: 'range', min: 0, max: 0.9,
    step: 0.05, testid: 'dropout', hint: 'Every hidden layer', ...layerField('dropout') },

  // Data
  { section: 'data', path: 'dataset.noise', label: 'Noise', kind: 'range', min: 0, max: 1,
    step: 0.01, testid: 'noise', when: (c) => GENERATED.has(c.dataset.name) },
  { section: 'data', path: 'dataset.samples', label: 'Samples', kind: 'range', min: 10, max: 2000,
    inputMax: 5000, step: 10, testid: 'samples', when: (c) => GENERATED.has(c.dataset.name) },
  { section: 'data', path: 'dataset.classes', label: 'Classes', kind: 'select',
    options: [null, 2, 3, 4, 5, 6], optionLabel: (v) => (v === null ? 'Default' : String(v)),
    testid: 'classes', when: (c) => MULTICLASS.has(c.dataset.name) },
  { section: 'data', path: 'dataset.val_fraction', label: 'Validation', kind: 'range', min: 0.05,
    max: 0.9, step: 0.05, testid: 'val-fraction', hint: 'Share of the points held out' },
  { section: 'data', path: 'dataset.task', label: 'Task', kind: 'select',
    options: ['auto', 'classification', 'regression'], testid: 'task',
    when: (c) => c.dataset.name === 'csv' },

  // Regularisation
  { section: 'regularisation', path: 'training.l1', label: 'L1', kind: 'choice',
    choices: [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1], testid: 'l1' },
  { section: 'regularisation', path: 'training.l2', label: 'L2', kind: 'choice',
    choices: [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1], testid: 'l2' },
  { section: 'regularisation', path: 'training.clip', label: 'Clip grads', kind: 'select', hint: 'Gradient clipping',
    options: ['off', 'norm', 'value'], testid: 'clip-mode',
    optionLabel: (v) => ({ off: 'Off', norm: 'By global norm', value: 'By value' })[v],
    get: clipMode,
    set: (mode) => ({ training: {
      clip_norm: mode === 'norm' ? lastClip : null, clip_value: mode === 'value' ? lastClip : null } }) },
  { section: 'regularisation', path: 'training.clip_threshold', label: 'Clip at', kind: 'number',
    min: 1e-6, max: 1e6, step: 'any', testid: 'clip-threshold', when: (c) => clipMode(c) !== 'off',
    get: (c) => c.training.clip_norm ?? c.training.clip_value,
    set: (v, c) => { lastClip = v; return { training: { [clipMode(c) === 'norm' ? 'clip_norm' : 'clip_value']: v } }; } },
  { section: 'regularisation', path: 'training.early_stopping.enabled', label: 'Early stop',
    kind: 'check', testid: 'early-stopping', hint: 'Early stopping: stop when the validation loss stops improving' },
  { section: 'regularisation', path: 'training.early_stopping.patience', label: 'Patience',
    kind: 'number', min: 1, max: 10000, step: 1, testid: 'es-patience',
    when: (c) => c.training.early_stopping.enabled },
  { section: 'regularisation', path: 'training.early_stopping.min_delta', label: 'Min delta',
    kind: 'number', min: 0, max: 10, step: 'any', testid: 'es-min-delta',
    when: (c) => c.training.early_stopping.enabled },
  { section: 'regularisation', path: 'training.early_stopping.restore_best', label: 'Restore best',
    kind: 'check', testid: 'es-restore-best', when: (c) => c.training.early_stopping.enabled },

  // Schedule
  { section: 'schedule', path: 'training.schedule.kind', label: 'Schedule', kind: 'select',
    options: ['constant', 'step', 'exponential', 'cosine', 'plateau'], testid: 'schedule' },
  ...[
    ['step_size', 'Step every', 1, 100000, 1],
    ['gamma', 'Gamma', 0.01, 1, 0.01],
    ['period', 'Period', 1, 1000000, 1],
    ['min_lr', 'Min LR', 0, 10, 'any'],
    ['patience', 'Patience', 1, 10000, 1],
    ['factor', 'Factor', 0.01, 0.99, 0.01],
    ['warmup_epochs', 'Warm-up', 0, 100000, 1],
  ].map(([key, text, min, max, step]) => ({
    section: 'schedule', path: `training.schedule.${key}`, label: text, kind: 'number', min, max,
    step, testid: `schedule-${key.replace(/_/g, '-')}`,
    when: relevantTo(`training.schedule.${key}`, 'training.schedule.kind'),
  })),

  // Instruments and reproducibility
  { section: 'advanced', path: 'training.histogram_every', label: 'Histograms', kind: 'select',
    options: [0, 1, 2, 5, 10, 25, 50, 100],
    optionLabel: (v) => (v === 0 ? 'Off' : v === 1 ? 'Every epoch' : `Every ${v} epochs`),
    testid: 'histogram-every' },
  { section: 'advanced', path: 'model.dtype', label: 'Precision', kind: 'select',
    options: ['float32', 'float64'], testid: 'dtype' },
  { section: 'advanced', path: 'training.seed', label: 'Training seed', kind: 'number', min: 0,
    max: 2147483647, step: 1, testid: 'training-seed' },
  { section: 'advanced', path: 'dataset.seed', label: 'Data seed', kind: 'number', min: 0,
    max: 2147483647, step: 1, testid: 'data-seed' },
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
