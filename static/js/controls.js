// The control panel: transport (play/pause, step, reset, keyboard), every config knob, the dataset
// picker. Controls send partial configs; what they show always comes from the server's echo.

import { getPath, partialAt } from './state.js';

const DEBOUNCE_MS = 150;

export const LABELS = {
  sgd: 'SGD', rmsprop: 'RMSProp', adagrad: 'Adagrad', adam: 'Adam', adamw: 'AdamW',
  linear: 'Linear', relu: 'ReLU', leaky_relu: 'Leaky ReLU', tanh: 'Tanh', sigmoid: 'Sigmoid',
  elu: 'ELU', gelu: 'GELU', softplus: 'Softplus', swish: 'Swish (SiLU)',
  zeros: 'Zeros', uniform: 'Uniform', normal: 'Normal', xavier: 'Xavier', he: 'He',
  lecun: 'LeCun', orthogonal: 'Orthogonal',
  constant: 'Constant', step: 'Step decay', exponential: 'Exponential', cosine: 'Cosine',
  plateau: 'Reduce on plateau',
  circle: 'Circle', xor: 'XOR', gaussian: 'Gaussian', spiral: 'Spiral', moons: 'Moons',
  checkerboard: 'Checkerboard', blobs: 'Blobs', plane: 'Plane', multi_gaussian: 'Multi-Gaussian',
  sine: 'Sine ripple', iris: 'Iris', wine: 'Wine', breast_cancer: 'Breast cancer',
  diabetes: 'Diabetes', auto: 'Auto', classification: 'Classification', regression: 'Regression',
  float32: 'float32', float64: 'float64',
};
export const label = (v) => LABELS[v] ?? String(v);

const DATASET_GROUPS = [
  ['2-D classification', ['circle', 'xor', 'gaussian', 'spiral', 'moons', 'checkerboard', 'blobs']],
  ['2-D regression', ['plane', 'multi_gaussian', 'sine']],
  ['Real data', ['iris', 'wine', 'breast_cancer', 'diabetes']],
];
export const GENERATED = new Set(DATASET_GROUPS[0][1].concat(DATASET_GROUPS[1][1]));
const MULTICLASS = new Set(['blobs', 'spiral']);

// Which optimiser / schedule each knob belongs to (the schema's descriptions override these).
const RELEVANT = {
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

// ---- number formatting ------------------------------------------------------------------------
export function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

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

// ---- the field table ----------------------------------------------------------------------------
const FIELDS = [
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

export const SECTIONS = [
  ['training', 'Training', true],
  ['network', 'Network', true],
  ['data', 'Data', true],
  ['regularisation', 'Regularisation', false],
  ['schedule', 'Learning-rate schedule', false],
  ['advanced', 'Instruments & seeds', false],
];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}
export { el };

const toOption = (value, text) => el('option', { value: value === null ? '' : String(value), text });

// ---- one field's widget -------------------------------------------------------------------------
function buildField(spec, send) {
  const id = `f-${spec.testid}`;
  const row = el('div', { class: `field field-${spec.kind}${spec.stacked ? ' stacked' : ''}`, 'data-path': spec.path });
  const lab = el('label', { for: spec.kind === 'log' || spec.kind === 'range' ? `${id}-input` : id, text: spec.label });
  if (spec.hint) lab.title = spec.hint;
  row.append(lab);
  const ctl = el('div', { class: 'field-control' });
  row.append(ctl);
  const field = { spec, row, pending: false, dragging: false };
  let timer = null;

  const commit = (value, immediate = false) => {
    field.pending = true;
    clearTimeout(timer);
    const go = () => {
      field.pending = false;
      send(spec, value);
    };
    if (immediate) go();
    else timer = setTimeout(go, DEBOUNCE_MS);
  };

  if (spec.kind === 'log' || spec.kind === 'range') {
    const isLog = spec.kind === 'log';
    const lo = isLog ? Math.log10(spec.min) : spec.min;
    const hi = isLog ? Math.log10(spec.max) : spec.max;
    const range = el('input', { type: 'range', id, min: isLog ? 0 : lo, max: isLog ? 1000 : hi,
      step: isLog ? 1 : spec.step, testid: `${spec.testid}-slider`, 'aria-label': spec.label });
    const num = el('input', { type: 'number', id: `${id}-input`, class: 'num', min: spec.min,
      max: spec.inputMax ?? spec.max, step: isLog ? 'any' : spec.step, testid: `${spec.testid}-input`,
      'aria-label': spec.label });
    const toSlider = (v) => (isLog ? Math.round(((Math.log10(v) - lo) / (hi - lo)) * 1000) : v);
    const fromSlider = (s) => {
      if (!isLog) return Number(s);
      return Number((10 ** (lo + (Number(s) / 1000) * (hi - lo))).toPrecision(2));
    };
    range.addEventListener('pointerdown', () => (field.dragging = true));
    window.addEventListener('pointerup', () => (field.dragging = false));
    range.addEventListener('input', () => {
      const v = fromSlider(range.value);
      num.value = fmt(v, 3);
      commit(v);
    });
    num.addEventListener('change', () => {
      const v = Number(num.value);
      const max = spec.inputMax ?? spec.max;
      if (num.value === '' || !Number.isFinite(v) || v < spec.min || v > max || (isLog && v <= 0)) {
        num.classList.add('invalid');
        num.title = `Expected a number from ${fmt(spec.min)} to ${fmt(max)}`;
        return;
      }
      num.classList.remove('invalid');
      num.title = '';
      range.value = toSlider(v);
      commit(v, true);
    });
    ctl.append(range, num);
    field.show = (v) => {
      if (v === null || v === undefined) return;
      if (!field.dragging && !field.pending) range.value = toSlider(v);
      if (document.activeElement !== num && !field.pending) num.value = fmt(v, 3);
      row.classList.toggle('mixed', false);
    };
    field.showMixed = () => row.classList.add('mixed');
    field.controls = [range, num];
  } else if (spec.kind === 'number') {
    const num = el('input', { type: 'number', id, class: 'num wide', min: spec.min, max: spec.max,
      step: spec.step, testid: spec.testid, 'aria-label': spec.label });
    num.addEventListener('change', () => {
      const v = Number(num.value);
      const intOnly = spec.step === 1;
      if (num.value === '' || !Number.isFinite(v) || v < spec.min || v > spec.max || (intOnly && !Number.isInteger(v))) {
        num.classList.add('invalid');
        num.title = `Expected ${intOnly ? 'a whole number' : 'a number'} from ${fmt(spec.min)} to ${fmt(spec.max)}`;
        return;
      }
      num.classList.remove('invalid');
      num.title = '';
      commit(v, true);
    });
    ctl.append(num);
    field.show = (v) => {
      if (document.activeElement === num || v === undefined) return;
      num.value = v === null ? '' : spec.step === 1 ? String(Math.round(v)) : fmt(v, 6);
    };
    field.controls = [num];
  } else if (spec.kind === 'select' || spec.kind === 'choice') {
    const sel = el('select', { id, testid: spec.testid, 'aria-label': spec.label });
    field.setOptions = (values) => {
      sel.replaceChildren(
        ...values.map((v) => toOption(v, spec.optionLabel ? spec.optionLabel(v) : spec.kind === 'choice' ? (v === 0 ? 'Off' : fmt(v)) : label(v))),
      );
      field.values = values;
    };
    field.setOptions(spec.options ?? spec.choices);
    const mixed = toOption('__mixed__', 'Mixed');
    mixed.disabled = true;
    sel.addEventListener('change', () => {
      const raw = sel.value;
      const match = field.values.find((v) => (v === null ? '' : String(v)) === raw);
      commit(match === undefined ? raw : match, true);
    });
    ctl.append(sel);
    field.show = (v) => {
      if (v === undefined) return;
      if (v === null && spec.get) {
        if (!mixed.isConnected) sel.append(mixed);
        sel.value = '__mixed__';
        return;
      }
      mixed.remove();
      const key = v === null ? '' : String(v);
      if (spec.kind === 'choice' && !field.values.some((x) => String(x) === key)) {
        // a value the list lacks (from a preset or a link): show it as it is
        field.setOptions([...field.values, v].sort((a, b) => a - b));
      }
      sel.value = key;
    };
    field.controls = [sel];
  } else if (spec.kind === 'check') {
    const box = el('input', { type: 'checkbox', id, testid: spec.testid, 'aria-label': spec.label });
    box.addEventListener('change', () => commit(box.checked, true));
    ctl.append(box);
    field.show = (v) => {
      box.indeterminate = v === null && Boolean(spec.get);
      if (v !== undefined && v !== null) box.checked = Boolean(v);
    };
    field.controls = [box];
  }
  return field;
}

// ---- schema: take enums and "which kinds" descriptions from /api/schema -------------------------
function resolve(schema, node) {
  let cur = node;
  for (let guard = 0; cur && guard < 10; guard += 1) {
    if (cur.$ref) {
      cur = cur.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], schema);
    } else if (cur.anyOf || cur.allOf) {
      const branches = (cur.anyOf || cur.allOf).filter((b) => b.type !== 'null');
      cur = branches.length === 1 ? { ...branches[0], description: cur.description ?? branches[0].description } : cur;
      if (cur.anyOf || cur.allOf) return cur;
    } else {
      return cur;
    }
  }
  return cur;
}
function schemaAt(schema, path) {
  let cur = resolve(schema, schema);
  for (const key of path.split('.')) {
    cur = resolve(schema, cur?.properties?.[key]);
    if (!cur) return null;
  }
  return cur;
}

// ---- the panel ----------------------------------------------------------------------------------
/**
 * @param {object} opts
 * @param {HTMLElement} opts.sidebar       where the field sections go
 * @param {() => object|null} opts.getConfig
 * @param {(partial: object) => void} opts.onConfigure
 * @param {(message: object) => void} opts.onCommand   play/pause/step/reset/regenerate
 * @param {(value: string) => void} opts.onDatasetPick  a value from the dataset select
 */
export function createControls({ sidebar, getConfig, onConfigure, onCommand, onDatasetPick }) {
  const q = (testid) => document.querySelector(`[data-testid="${testid}"]`);
  const playBtn = q('play');
  const stepBtn = q('step');
  const resetBtn = q('reset');
  const epochEl = q('epoch');
  const datasetSel = q('dataset');
  const regenBtns = document.querySelectorAll('[data-action="regenerate"]');
  let runState = 'idle';
  let config = null;

  const send = (spec, value) => {
    const cfg = getConfig();
    if (!cfg) return;
    onConfigure(spec.set ? spec.set(value, cfg) : partialAt(spec.path, value));
  };

  const sectionBodies = {};
  const saved = JSON.parse(localStorage.getItem('bpl.sections') || '{}');
  for (const [key, title, open] of SECTIONS) {
    const details = el('details', { class: 'section', 'data-section': key, testid: `section-${key}` });
    details.open = saved[key] ?? open;
    details.addEventListener('toggle', () => {
      saved[key] = details.open;
      localStorage.setItem('bpl.sections', JSON.stringify(saved));
    });
    const body = el('div', { class: 'fields' });
    details.append(el('summary', { text: title }), body);
    sidebar.append(details);
    sectionBodies[key] = body;
  }

  const fields = FIELDS.map((spec) => {
    const field = buildField(spec, send);
    sectionBodies[spec.section].append(field.row);
    return field;
  });

  // Data section extras: regenerate, plus a slot for the upload panel.
  const regen = el('button', { type: 'button', class: 'btn btn-secondary block', 'data-action': 'regenerate',
    testid: 'regenerate', title: 'Draw new points with a new seed; the weights stay' });
  regen.append(el('span', { text: '↻ New points' }));
  const regenRow = el('div', { class: 'field-actions' }, regen);
  sectionBodies.data.append(regenRow);
  const uploadSlot = el('div', { class: 'upload-slot' });
  sectionBodies.data.append(uploadSlot);

  for (const b of [regen, ...regenBtns]) b.addEventListener('click', () => onCommand({ type: 'regenerate' }));

  // ---- transport ----
  const togglePlay = () => onCommand({ type: runState === 'running' ? 'pause' : 'play' });
  const step = () => onCommand({ type: 'step', epochs: 1 });
  const reset = () => onCommand({ type: 'reset' });
  playBtn.addEventListener('click', togglePlay);
  stepBtn.addEventListener('click', step);
  resetBtn.addEventListener('click', reset);

  // Is this key meant for the focused element rather than for us? Text fields and selects take
  // every key; checkboxes and buttons take the space bar; a slider takes none of ours.
  const ownsKey = (target, key) => {
    if (!(target instanceof HTMLElement)) return false;
    if (target.isContentEditable || /^(SELECT|TEXTAREA)$/.test(target.tagName)) return true;
    if (target.tagName !== 'INPUT') return false;
    if (target.type === 'range') return false;
    if (/^(checkbox|radio|file|button|submit|reset)$/.test(target.type)) return key === ' ';
    return true;
  };
  // A select changed with the mouse gives the focus back to the page, so the shortcuts work again.
  let lastPointer = 0;
  let lastKey = 0;
  document.addEventListener('pointerdown', () => (lastPointer = performance.now()), true);
  document.addEventListener('keydown', () => (lastKey = performance.now()), true);
  document.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement && lastPointer > lastKey) event.target.blur();
  });
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const key = event.key.toLowerCase();
    if (ownsKey(event.target, key)) return;
    if (key === ' ' || event.code === 'Space') {
      event.preventDefault(); // also stops a focused button from being clicked by the space bar
      togglePlay();
    } else if (key === 's') {
      event.preventDefault();
      step();
    } else if (key === 'r') {
      event.preventDefault();
      reset();
    }
  });
  // A focused button is "clicked" on space keyup; our keydown already handled space.
  document.addEventListener('keyup', (event) => {
    if ((event.key === ' ' || event.code === 'Space') && event.target instanceof HTMLButtonElement) {
      event.preventDefault();
    }
  });

  // ---- dataset select ----
  datasetSel.addEventListener('change', () => onDatasetPick(datasetSel.value));

  let knownUploads = [];
  let availableNames = null;
  function setDatasetOptions(uploads = knownUploads, available = availableNames) {
    knownUploads = uploads;
    availableNames = available;
    const keep = datasetSel.value;
    const groups = DATASET_GROUPS.map(([title, names]) => {
      const g = el('optgroup', { label: title });
      for (const n of names) if (!available || available.has(n)) g.append(toOption(n, label(n)));
      return g;
    });
    const grouped = new Set(DATASET_GROUPS.flatMap(([, names]) => names).concat('csv'));
    const others = available ? [...available].filter((n) => !grouped.has(n)) : [];
    if (others.length) {
      const g = el('optgroup', { label: 'More' });
      for (const n of others) g.append(toOption(n, label(n)));
      groups.push(g);
    }
    if (uploads.length) {
      const g = el('optgroup', { label: 'Your uploads' });
      for (const u of uploads) {
        const name = u.filename || `Upload ${u.id}`;
        g.append(toOption(`csv:${u.id}`, u.target ? `${name} → ${u.target}` : name));
      }
      groups.push(g);
    }
    datasetSel.replaceChildren(...groups);
    if (keep) datasetSel.value = keep;
    if (config) showDataset(config);
  }

  function showDataset(cfg) {
    const d = cfg.dataset;
    const value = d.name === 'csv' ? `csv:${d.upload_id}` : d.name;
    if (![...datasetSel.options].some((o) => o.value === value)) {
      datasetSel.append(toOption(value, d.name === 'csv' ? 'Uploaded CSV' : label(d.name)));
    }
    datasetSel.value = value;
    const generated = GENERATED.has(d.name);
    for (const b of [regen, ...regenBtns]) b.disabled = !generated;
  }

  return {
    uploadSlot,
    /** Show the server's config. */
    update(cfg) {
      config = cfg;
      for (const f of fields) {
        const visible = f.spec.when ? Boolean(f.spec.when(cfg)) : true;
        f.row.hidden = !visible;
        const enabled = f.spec.enabled ? f.spec.enabled(cfg) : true;
        for (const c of f.controls) c.disabled = !enabled;
        const v = f.spec.get ? f.spec.get(cfg) : getPath(cfg, f.spec.path);
        if (v === null && f.spec.get && f.showMixed) f.showMixed();
        else f.show(v);
      }
      if (cfg.training.clip_norm != null) lastClip = cfg.training.clip_norm;
      else if (cfg.training.clip_value != null) lastClip = cfg.training.clip_value;
      showDataset(cfg);
    },
    setRunState(next) {
      runState = next;
      const running = next === 'running';
      playBtn.dataset.state = running ? 'running' : 'paused';
      playBtn.setAttribute('aria-label', running ? 'Pause (space)' : 'Play (space)');
      playBtn.title = running ? 'Pause (space)' : 'Play (space)';
      playBtn.classList.toggle('is-running', running);
    },
    setEpoch(n) {
      epochEl.textContent = Number(n).toLocaleString('en-US');
    },
    setDatasetOptions,
    /** Take option lists and knob relevance from the server's JSON Schema. */
    applySchema(schema) {
      for (const f of fields) {
        const node = schemaAt(schema, f.spec.path);
        if (node?.enum && f.spec.kind === 'select' && f.setOptions && !f.spec.optionLabel) {
          f.setOptions(node.enum);
        }
        const desc = node?.description;
        if (desc && RELEVANT[f.spec.path] && /^[a-z_]+(, [a-z_]+)*$|^all kinds$/.test(desc)) {
          RELEVANT[f.spec.path] = desc === 'all kinds'
            ? schemaAt(schema, 'training.schedule.kind')?.enum ?? RELEVANT[f.spec.path]
            : desc.split(', ');
        }
      }
      const names = schemaAt(schema, 'dataset.name')?.enum;
      if (names) setDatasetOptions(knownUploads, new Set(names));
      if (config) this.update(config);
    },
  };
}
