// Wires the page: session start, websocket frames -> views, controls -> commands.

import { api } from './api.js';
import { createControls } from './controls.js';
import { fmt, label } from './format.js';
import { createSocket } from './socket.js';
import { deepMerge, readHash, state, writeHash } from './state.js';
import { createUploadPanel } from './upload.js';

const root = document.getElementById('app');
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

// ---- toasts and status ---------------------------------------------------------------------------
const toasts = $('toasts');
const sentence = (text) => String(text).charAt(0).toUpperCase() + String(text).slice(1);

function toast(text, kind = 'error', ms = 7000) {
  text = sentence(text);
  const last = toasts.lastElementChild;
  if (last && last.dataset.text === text) {
    last.dataset.count = String(Number(last.dataset.count || 1) + 1);
    return;
  }
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.dataset.text = text;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const body = document.createElement('span');
  body.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close-btn';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => item.remove());
  item.append(body, close);
  toasts.append(item);
  while (toasts.children.length > 4) toasts.firstElementChild.remove();
  if (ms) setTimeout(() => item.remove(), ms);
}

const statusEl = $('status');
function showStatus(text, kind = 'warn') {
  statusEl.hidden = !text;
  statusEl.textContent = text || '';
  statusEl.dataset.kind = kind;
}

const RUN_TEXT = { idle: 'Ready', running: 'Training', paused: 'Paused', diverged: 'Diverged', stopped: 'Stopped' };
const WS_TEXT = { connecting: 'Connecting', open: 'Live', closed: 'Offline' };

function setRunState(next, reason) {
  state.runState = next;
  root.dataset.runState = next;
  controls.setRunState(next);
  const pill = $('run-state');
  pill.dataset.state = next;
  pill.textContent = RUN_TEXT[next] ?? next;
  if (next === 'diverged') {
    showStatus(reason || 'Diverged: the loss is no longer finite — lower the learning rate or clip gradients.', 'danger');
  } else if (next === 'stopped') {
    showStatus(reason || 'Stopped early: the validation loss stopped improving.', 'info');
  } else if (reason && next === 'paused') {
    showStatus(reason, 'info');
  } else {
    showStatus('');
  }
}

function setWsState(next) {
  state.wsState = next;
  root.dataset.wsState = next;
  const pill = $('ws-state');
  pill.dataset.state = next;
  pill.querySelector('.ws-text').textContent = WS_TEXT[next] ?? next;
}

function setEpoch(n) {
  state.epoch = n;
  root.dataset.epoch = String(n);
  controls.setEpoch(n);
}

// ---- views (written as separate modules; a missing one must not take the page down) -------------
const noop = () => {};
const stub = new Proxy({}, { get: () => noop });
const views = { charts: stub, net: stub, boundary: stub, hist: stub, tiles: stub };

async function loadViews() {
  const specs = [
    ['charts', './charts.js', (m) => m.createCharts($('charts'))],
    ['net', './network-view.js', (m) => m.createNetworkView($('network'), { onLayersChange: (layers) => configure({ model: { layers } }) })],
    ['boundary', './boundary.js', (m) => m.createBoundaryView($('boundary'), {
      onAddPoint: (x, y, lab) => command({ type: 'add_point', x, y, label: lab }),
      onRemovePoint: (x, y) => command({ type: 'remove_point', x, y }),
    })],
    ['hist', './histograms.js', (m) => m.createHistogramView($('histograms'))],
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

// ---- talking to the session ----------------------------------------------------------------------
function command(message) {
  if (!socket.send(message)) toast('Not connected to the training server — reconnecting…', 'warn', 3000);
}

function configure(partial) {
  command({ type: 'configure', config: partial });
}

const socket = createSocket({
  getSession: () => state.session,
  onFrame: handleFrame,
  onStatus: (status, info) => {
    setWsState(status);
    if (status === 'closed' && info && info.code && info.code !== 1000) {
      showStatus('Connection lost — reconnecting…', 'warn');
    } else if (status === 'open') {
      if (statusEl.dataset.kind === 'warn') showStatus('');
    }
  },
  onSessionGone: async () => {
    // The server forgot us (restart, expiry): start a new session with the same setup.
    const body = state.config ? { config: state.config } : {};
    const reply = await api.createSession(body).catch(() => api.createSession({}));
    state.session = { id: reply.id, token: reply.token };
    toast('The server restarted: started a new session with the same settings.', 'info', 5000);
    return true;
  },
  serverAlive: () => api.health().then(() => true, () => false),
});

async function startSession(request) {
  let body = {};
  if (request.preset) body = { preset: request.preset };
  else if (request.config) body = { config: request.config };
  let reply;
  try {
    reply = await api.createSession(body);
  } catch (err) {
    if (!Object.keys(body).length) throw err;
    const what = request.preset ? `Preset “${request.preset}”` : 'The settings in this link';
    toast(`${what} could not be used: ${err.message}. Starting from the defaults.`);
    request = {};
    reply = await api.createSession({});
  }
  // The session we leave would otherwise train on, unseen, until the server pauses it.
  if (state.session) socket.send({ type: 'pause' });
  state.session = { id: reply.id, token: reply.token };
  state.presetId = request.preset ?? null;
  state.config = reply.config ?? state.config;
  showPresetNote(state.presetId);
  $('preset').value = state.presetId ?? '';
  writeHash();
  socket.connect();
}

// ---- derived display ------------------------------------------------------------------------------
const last = (arr) => (Array.isArray(arr) && arr.length ? arr[arr.length - 1] : undefined);
const isRegression = () => (state.dataset?.task ?? '') === 'regression';

function nOutputs() {
  const d = state.dataset;
  if (!d || d.task === 'regression') return 1;
  const k = Array.isArray(d.class_names) ? d.class_names.length : 2;
  return k <= 2 ? 1 : k;
}

let layerNames = [];
function configLayerNames() {
  const n = (state.config?.model?.layers?.length ?? 0) + 1;
  return Array.from({ length: n }, (_, i) => `dense${i}`);
}
const namesOf = (frame) => (Array.isArray(frame?.layers) ? frame.layers.map((l) => l.name) : []);

function emptyHistory(names) {
  return {
    epoch: [], train_loss: [], val_loss: [], train_acc: [], val_acc: [], train_mae: [], val_mae: [],
    lr: [], grad_norm_global: [], grad_norm_clipped: [],
    layers: names.map((name) => ({ name, grad_norm: [], grad_norm_b: [], weight_norm: [], update_ratio: [],
      act_mean: [], act_std: [], dead_frac: [], saturated_frac: [] })),
  };
}

let chartTask = null;
function resetCharts(history) {
  const fromHistory = namesOf(history);
  layerNames = fromHistory.length ? fromHistory : configLayerNames();
  const h = history && Array.isArray(history.epoch) ? history : emptyHistory(layerNames);
  chartTask = state.dataset?.task ?? 'binary';
  views.charts.reset(h, { task: chartTask, layerNames });
  views.hist.reset(layerNames);
  setEpoch(last(h.epoch) ?? 0);
  showStats(h);
}

function showStats(frame) {
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

function showTaskLabels() {
  const reg = isRegression();
  document.querySelector('[data-metric-label="train"]').textContent = reg ? 'Train R²' : 'Train acc';
  document.querySelector('[data-metric-label="val"]').textContent = reg ? 'Val R²' : 'Val acc';
}

function showModel() {
  const cfg = state.config;
  if (!cfg) return;
  const d = state.dataset;
  const inputLabels = d?.input_labels ?? cfg.dataset.features;
  views.net.setModel(cfg.model, { inputLabels, nOutputs: nOutputs() });
  const hidden = cfg.model.layers.map((l) => l.units);
  const sizes = [inputLabels.length, ...hidden, nOutputs()];
  let params = 0;
  for (let i = 1; i < sizes.length; i += 1) params += sizes[i - 1] * sizes[i] + sizes[i];
  // Runs of three or more equal hidden layers read better as "12 ×8".
  const parts = [];
  for (let i = 0; i < hidden.length; ) {
    let j = i;
    while (j < hidden.length && hidden[j] === hidden[i]) j += 1;
    if (j - i >= 3) parts.push(`${hidden[i]} ×${j - i}`);
    else for (let k = i; k < j; k += 1) parts.push(String(hidden[k]));
    i = j;
  }
  const summary = $('net-summary');
  summary.textContent = `${[sizes[0], ...parts, sizes.at(-1)].join(' → ')}  ·  ${params.toLocaleString('en-US')} parameters`;
  summary.dataset.hidden = String(hidden.length);
  views.tiles.set(cfg.dataset.features, { enabled: Boolean(d?.is_planar ?? true) });
}

function showDataset(d) {
  state.dataset = d;
  views.boundary.setDataset(d);
  const nTrain = d.train?.y?.length ?? 0;
  const nVal = d.val?.y?.length ?? 0;
  const name = d.name === 'csv' ? state.uploads.get(state.config?.dataset?.upload_id)?.filename ?? 'Uploaded CSV' : label(d.name);
  const kind = d.task === 'regression' ? 'regression' : `${Math.max(2, d.class_names?.length ?? 2)} classes`;
  const info = $('dataset-info');
  info.textContent = `${name} · ${kind} · ${nTrain} train / ${nVal} val`;
  info.dataset.train = String(nTrain);
  info.dataset.val = String(nVal);
  showTaskLabels();
  showModel();
  // New data of another kind (the rebuild already emptied the history): retitle the charts.
  if (chartTask !== null && d.task !== chartTask) resetCharts(emptyHistory(layerNames));
}

// ---- frames -----------------------------------------------------------------------------------------
const runStateOf = (s) => (s && typeof s === 'object' ? s.state : s);

function handleFrame(frame) {
  switch (frame.type) {
    case 'hello': {
      state.config = frame.config;
      controls.update(frame.config);
      if (frame.dataset) showDataset(frame.dataset);
      showModel();
      resetCharts(frame.history);
      if (frame.snapshot) handleFrame(frame.snapshot);
      for (const h of frame.histograms ?? []) views.hist.add(h);
      setRunState(runStateOf(frame.state) ?? 'idle', frame.reason ?? frame.state?.reason);
      writeHash();
      break;
    }
    case 'metrics': {
      const names = namesOf(frame);
      if (names.length && names.join() !== layerNames.join()) resetCharts(emptyHistory(names));
      views.charts.append(frame);
      const epoch = last(frame.epoch);
      if (epoch !== undefined) setEpoch(epoch);
      showStats(frame);
      break;
    }
    case 'snapshot': {
      // After a rebuild the layer names are known from the weights before any metrics arrive.
      const names = namesOf({ layers: frame.weights });
      if (state.epoch === 0 && names.length && names.join() !== layerNames.join()) {
        resetCharts(emptyHistory(names));
      }
      if (frame.weights) views.net.setWeights(frame.weights);
      views.boundary.setSnapshot(frame);
      break;
    }
    case 'dataset':
      showDataset(frame);
      break;
    case 'histograms':
      views.hist.add(frame);
      break;
    case 'config': {
      state.config = frame.config;
      state.presetId = null;
      controls.update(frame.config);
      showModel();
      // A rebuild (or reset) starts a new history on the server: start the charts afresh too.
      if (frame.rebuilt) resetCharts(emptyHistory(configLayerNames()));
      writeHash();
      break;
    }
    case 'state':
      setRunState(frame.state, frame.reason);
      break;
    case 'error':
      if (frame.code === 'no_session') break; // the socket starts a new session on the 4404 close
      toast(frame.message || `Server error (${frame.code})`);
      break;
    default:
      break; // newer server, older page: ignore unknown frames
  }
}

// ---- presets ---------------------------------------------------------------------------------------
function showPresetNote(id) {
  const note = $('preset-note');
  const preset = state.presets.find((p) => p.id === id);
  note.hidden = !preset;
  if (!preset) return;
  note.querySelector('.preset-note-title').textContent = preset.title;
  const text = note.querySelector('.preset-note-text');
  text.textContent = preset.description;
  text.title = preset.description;
  text.classList.remove('expanded');
}

async function loadPresets() {
  try {
    state.presets = await api.presets();
  } catch (err) {
    toast(`Presets unavailable: ${err.message}`, 'warn');
    return;
  }
  const sel = $('preset');
  for (const p of state.presets) {
    const opt = document.createElement('option');
    opt.value = p.id;
    opt.textContent = p.title;
    opt.title = p.description;
    sel.append(opt);
  }
  sel.value = state.presetId ?? '';
  showPresetNote(state.presetId);
}

// ---- datasets ----------------------------------------------------------------------------------------
function rememberUpload(info) {
  state.uploads.set(info.id, info);
  controls.setDatasetOptions([...state.uploads.values()]);
}

async function loadDatasets() {
  let list;
  try {
    list = await api.datasets();
  } catch {
    return; // the select already lists the generators
  }
  // {builtin: [{name, ...}], uploads: [{id, filename, rows, features, target, task, classes}]}
  for (const item of list?.uploads ?? []) {
    if (item.id && !state.uploads.has(item.id)) state.uploads.set(item.id, item);
  }
  controls.setDatasetOptions([...state.uploads.values()]);
}

function pickDataset(value) {
  if (value.startsWith('csv:')) {
    const id = value.slice(4);
    const up = state.uploads.get(id);
    configure({ dataset: { name: 'csv', upload_id: id, target: up?.target ?? null, task: up?.requestedTask ?? 'auto' } });
  } else {
    configure({ dataset: { name: value, upload_id: null, target: null, task: 'auto' } });
  }
}

// ---- set-up ----------------------------------------------------------------------------------------
const controls = createControls({
  sidebar: document.getElementById('controls'),
  getConfig: () => state.config,
  onConfigure: configure,
  onCommand: command,
  onDatasetPick: pickDataset,
});

createUploadPanel(controls.uploadSlot, {
  onUploaded(info) {
    rememberUpload(info);
    configure({ dataset: { name: 'csv', upload_id: info.id, target: info.target ?? null, task: info.requestedTask ?? 'auto' } });
  },
});

controls.setDatasetOptions([]);

$('preset').addEventListener('change', (event) => {
  const id = event.target.value;
  if (id) startSession({ preset: id }).catch((err) => toast(err.message));
});
$('preset-note-close').addEventListener('click', () => ($('preset-note').hidden = true));
document.querySelector('.preset-note-text').addEventListener('click', (event) => event.currentTarget.classList.toggle('expanded'));

for (const tab of document.querySelectorAll('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tab')) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
  });
}

window.addEventListener('hashchange', () => {
  const request = readHash();
  if (request.error) toast(request.error, 'warn');
  startSession(request).catch((err) => toast(err.message));
});
window.addEventListener('pagehide', () => {
  socket.send({ type: 'pause' }); // a reload starts a new session; this one is abandoned
  socket.close();
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted && state.session) socket.connect(); // back from the back/forward cache
});

// Tests and the curious can reach the live objects from the console.
window.backpropLab = { state, views, socket, controls, handleFrame, toast };

async function main() {
  setWsState('connecting');
  const request = readHash();
  if (request.error) toast(request.error, 'warn');
  const viewsReady = loadViews();
  api.schema().then((schema) => controls.applySchema(schema), () => {});
  loadDatasets();
  await Promise.all([loadPresets(), viewsReady]);
  try {
    await startSession(request);
  } catch (err) {
    setWsState('closed');
    showStatus(`Could not start a session: ${err.message}`, 'danger');
  }
}

main();
