// Wires the page: session start, websocket frames -> views (frames.js), controls -> commands,
// presets, datasets and uploads, page lifecycle. Start-up runs main() at the bottom.

import { api } from './api.js';
import { featureInfo, networkLimits, schemaAt } from './config-schema.js';
import { createControls } from './controls.js';
import { createDiagnosisCallout } from './diagnosis-callout.js';
import { installExportMenu } from './export-menu.js';
import { createFormulaCards } from './formula-cards.js';
import { createFrameHandler } from './frames.js';
import { createIndicators } from './indicators.js';
import { createInspector } from './inspector.js';
import { createLessons } from './lessons.js';
import { showStatus, statusKind, toast } from './notices.js';
import { loadPresets, showPresetNote, wirePresetPicker } from './presets.js';
import { installPresentation } from './presentation.js';
import { installRoom } from './room.js';
import { openRun } from './open-run.js';
import { offerResume } from './resume-offer.js';
import { installRunsPanel } from './runs-panel.js';
import { createSocket } from './socket.js';
import { createTabsNote } from './tabs-note.js';
import { createSharingNote } from './sharing-note.js';
import { $ } from './dom.js';
import { addUpload, readHash, setSession, state, storedSession, writeHash } from './state.js';
import { createUploadPanel } from './upload.js';
import { createViewSlots, loadViews } from './view-loader.js';

// ---- talking to the session ----------------------------------------------------------------------
const tabsNote = createTabsNote($('tabs-note'));
const sharingNote = createSharingNote($('sharing-note'));
let helloSession = null; // the session of the last hello: a new one starts with this tab alone

/** Pause the session this tab leaves, unless another tab still has it open (and watches it). */
function pauseIfAlone() {
  if (tabsNote.others() === 0) socket.send({ type: 'pause' });
}

function command(message) {
  if (room.blocks(message)) return; // watching the instructor's run: read-only
  if (!socket.send(message)) toast('Not connected to the training server — reconnecting…', 'warn', 3000);
}

function configure(partial, fix = null) {
  command(fix ? { type: 'configure', config: partial, fix: String(fix).slice(0, 120) } : { type: 'configure', config: partial });
}

const views = createViewSlots();
const controls = createControls({
  sidebar: document.getElementById('controls'),
  getConfig: () => state.config,
  onConfigure: configure,
  onCommand: command,
  onDatasetPick: pickDataset,
});
const indicators = createIndicators(controls);
const diagnoses = createDiagnosisCallout($('diagnoses'), { onFix: (partial, label) => configure(partial, label) });
const frameHandler = createFrameHandler({ views, controls, indicators, toast, diagnoses });
const inspector = createInspector(document.getElementById('app'), {
  command,
  views,
  runState: () => document.getElementById('app').dataset.runState,
});
const formulas = createFormulaCards(document.getElementById('controls'));
const lessons = createLessons({ listButton: $('lessons'), startSession, command, views, inspector, toast });
// The backprop inspector's frames go to its panel; it also hears of every run-state change.
// The formula cards follow every config and dataset the server sends.
function handleFrame(frame) {
  if (frame.type === 'hello' && frame.session !== helloSession) {
    helloSession = frame.session;
    tabsNote.reset();
  }
  if (frame.type === 'tabs') tabsNote.update(frame.count);
  if (frame.type === 'sharing') sharingNote.update(frame);
  if (frame.type === 'inspection') inspector.show(frame);
  else frameHandler(frame);
  if (frame.type === 'state' || frame.type === 'hello') {
    inspector.setRunState();
    sharingNote.setRunState(document.getElementById('app').dataset.runState);
  }
  if (['hello', 'config', 'dataset'].includes(frame.type)) formulas.update(state.config, state.dataset?.task);
  lessons.onFrame(frame);
}

const socket = createSocket({
  getSession: () => state.session,
  onFrame: handleFrame,
  onStatus: (status, info) => {
    indicators.setWsState(status);
    if (status === 'closed' && info && info.code && info.code !== 1000) {
      showStatus('Connection lost — reconnecting…', 'warn');
    } else if (status === 'open') {
      reattaching = null;
      if (statusKind() === 'warn') showStatus('');
    }
  },
  onSessionGone: async () => {
    if (reattaching) return resumeOrStartFresh(reattaching);
    // The server forgot us (restart, expiry): start a new session with the same setup.
    const body = state.config ? { config: state.config } : {};
    const reply = await api.createSession(body).catch(() => api.createSession({}));
    setSession(reply, reply.config);
    toast('The server restarted: started a new session with the same settings.', 'info', 5000);
    return true;
  },
  serverAlive: () => api.health().then(() => true, () => false),
});

// Room mode (serve --room): the instructor's panel, the attendees' watch mode.
const room = installRoom({ socket, handleFrame, indicators, toast, load: startSession });

// On load, the tab's stored session until its hello arrives: {run, request} (see main()).
let reattaching = null;

/** The reloaded tab's session is gone: offer its stored run, else a new session; true to connect. */
async function resumeOrStartFresh({ run, request }) {
  reattaching = null;
  showStatus(''); // not "connection lost": the server answered, the session is gone
  const resumed = await offerResume(run, toast); // the resumed session, or null: start fresh
  if (resumed) setSession(resumed, resumed.config);
  else await newSession(request);
  return true;
}

async function startSession(request) {
  await newSession(request);
  socket.connect();
}

async function newSession(request) {
  const body = {}; // a lesson's run may be a preset changed by a config
  if (request.preset) body.preset = request.preset;
  if (request.config) body.config = request.config;
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
  if (state.session) pauseIfAlone();
  setSession(reply, reply.config, request.config ? null : request.preset ?? null);
  showPreset();
}

/** `#run=ID`: open that stored run here (its live session, shared, else resumed), else start fresh. */
async function openLinkedRun(runId) {
  let reply;
  try {
    reply = await openRun(runId);
  } catch (err) {
    toast(`The run in this link could not be opened (${err.message}); starting a new session.`);
    await startSession({});
    return;
  }
  if (state.session) pauseIfAlone();
  setSession(reply, reply.config);
  showPreset();
  socket.connect();
  toast(reply.shared ? `Opened the live run at epoch ${reply.epoch}: another tab has it open too.`
    : `Opened the run at epoch ${reply.epoch}: press play to continue it.`, 'info', 4000);
}

function showPreset() {
  showPresetNote(state.presetId);
  $('preset').value = state.presetId ?? '';
  writeHash();
}

// ---- datasets ------------------------------------------------------------------------------------------
let defaultTask = null; // the schema's default of dataset.task, known before any session starts

function rememberUpload(info) {
  addUpload(info);
  controls.setUploads([...state.uploads.values()]);
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
    if (item.id && !state.uploads.has(item.id)) addUpload(item);
  }
  controls.setUploads([...state.uploads.values()]);
}

function pickDataset(value) {
  if (value.startsWith('csv:')) {
    const id = value.slice(4);
    const up = state.uploads.get(id);
    configure({ dataset: { name: 'csv', upload_id: id, target: up?.target ?? null, task: up?.requestedTask ?? defaultTask } });
  } else {
    configure({ dataset: { name: value, upload_id: null, target: null, task: defaultTask } });
  }
}

// ---- set-up ----------------------------------------------------------------------------------------

$('inspect-open').addEventListener('click', () => inspector.open());

installPresentation({ presentButton: $('present'), themeButton: $('theme') });
installRunsPanel({
  button: $('runs'), overlay: $('runs-panel'), toast,
  currentSession: () => state.session && { ...state.session, run: state.run },
  openSession(reply) {
    if (state.session) pauseIfAlone(); // the run we leave stops training unseen
    setSession(reply, reply.config);
    showPreset();
    socket.connect();
  },
});
installExportMenu($('present').parentElement, { getRun: () => state.run, getCanvas: () => $('boundary-canvas'), toast });
wirePresetPicker((id) => startSession({ preset: id }).catch((err) => toast(err.message)));

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
  if (request.lesson) {
    lessons.open(request.lesson, request.step);
    return;
  }
  if (lessons.isOpen()) lessons.close();
  if (request.run) openLinkedRun(request.run);
  else startSession(request).catch((err) => toast(err.message));
});
window.addEventListener('pagehide', () => {
  pauseIfAlone(); // closed or reloaded: nobody watches it train (a reload reattaches)
  socket.close();
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted && state.session) socket.connect(); // back from the back/forward cache
});

// Tests and the curious can reach the live objects from the console.
window.backpropLab = { state, views, socket, controls, handleFrame, toast, inspector, lessons };

async function main() {
  indicators.setWsState('connecting');
  const request = readHash();
  if (request.error) toast(request.error, 'warn');
  const viewsReady = loadViews(views, { configure, command, toast });
  loadDatasets();
  try {
    // The knobs are built from the schema alone: no session (and no config to show) before it.
    const [schema] = await Promise.all([api.schema(), loadPresets(toast), viewsReady]);
    controls.applySchema(schema);
    views.net.setLimits(networkLimits(schema));
    views.tiles.setFeatures(featureInfo(schema));
    const task = schemaAt(schema, 'dataset.task');
    defaultTask = task.default;
    createUploadPanel(controls.uploadSlot, {
      tasks: task.enum,
      onUploaded(info) {
        rememberUpload(info);
        configure({ dataset: { name: 'csv', upload_id: info.id, target: info.target ?? null,
          task: info.requestedTask ?? defaultTask } });
      },
    });
    const saved = storedSession();
    if (request.lesson && (await lessons.open(request.lesson, request.step))) {
      // #lesson=ID&step=N: the lesson sets up the run its step needs
    } else if (request.run) {
      await openLinkedRun(request.run);
    } else if (saved) {
      // A reload: reattach to this tab's session, whose hello redraws its whole history. Its config
      // wins over the hash's (the hash may be older than the session's latest edits); the hello
      // rewrites the hash. If the session is gone, onSessionGone offers its run or starts fresh.
      reattaching = { run: saved.run ?? saved.id, request };
      setSession(saved, null, saved.preset ?? null);
      showPreset();
      socket.connect();
    } else {
      await startSession(request.lesson ? {} : request);
    }
  } catch (err) {
    indicators.setWsState('closed');
    showStatus(`Could not start a session: ${err.message}`, 'danger');
  }
}

main();
