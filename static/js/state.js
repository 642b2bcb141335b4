// Client state: the session, the server's config, and the URL hash that mirrors it. This module
// owns it: everyone reads `state`, which is read-only, and changes it through the setters below.
//
// The hash is `#preset=<id>` right after a preset is loaded, and `#config=<base64url JSON>` once
// the config has been changed, so copying the address bar reproduces the setup. While a lesson is
// open it is `#lesson=<id>&step=<n>` instead: the lesson step says which run to set up.

const current = {
  session: null, // {id, token}
  run: null, // the stored run the session records into (a resumed session keeps its run's id)
  config: null, // the server's config (from hello / config frames): the page's only copy
  dataset: null, // the last `dataset` frame
  model: null, // {layerNames, parameterCount} of the built network (from the last snapshot)
  presets: [], // [{id, title, description, config}] from GET /api/presets
  presetId: null, // set while the config is exactly a loaded preset
  uploads: new Map(), // upload_id -> {id, filename, rows, features, target, task, classes}
  lesson: null, // {id, step} (step 1-based) while a lesson is open
};

/** The client state, read-only: assigning to it throws; use the setters. */
export const state = Object.freeze(Object.defineProperties({}, Object.fromEntries(
  Object.keys(current).map((key) => [key, { get: () => current[key], enumerable: true }]),
)));

const SESSION_KEY = 'backprop-lab.session'; // sessionStorage: one tab, survives its reloads

/** A new session and what it starts from: its server config and the preset it loaded (or null). */
export function setSession(session, config, presetId = null) {
  current.session = { id: session.id, token: session.token };
  current.run = session.run ?? session.id;
  current.config = config ?? current.config;
  current.presetId = presetId;
  remember();
}

function remember() {
  try {
    const saved = { ...current.session, run: current.run, preset: current.presetId };
    globalThis.sessionStorage?.setItem(SESSION_KEY, JSON.stringify(saved));
  } catch {
    // storage disabled or full: a reload then starts a new session, as before
  }
}

/** The {id, token, run, preset} this tab last used (kept per tab, so a reload can reattach), or null. */
export function storedSession() {
  try {
    const saved = JSON.parse(globalThis.sessionStorage?.getItem(SESSION_KEY) ?? 'null');
    return saved && typeof saved.id === 'string' && typeof saved.token === 'string' ? saved : null;
  } catch {
    return null;
  }
}

/** The server's config; `edited` (a config frame after a change) means it is no longer the preset. */
export function setConfig(config, { edited = false } = {}) {
  current.config = config;
  if (edited && current.presetId !== null) {
    current.presetId = null;
    if (current.session) remember();
  }
}

/** The last dataset frame. */
export function setDataset(frame) {
  current.dataset = frame;
}

/** The built network as a snapshot describes it (`layer_names`, `parameter_count`). */
export function setModel(snapshot) {
  current.model = { layerNames: snapshot.layer_names.slice(), parameterCount: snapshot.parameter_count };
}

/** Forget the network (a rebuild is under way; the next snapshot describes the new one). */
export function clearModel() {
  current.model = null;
}

/** The presets the server offers. */
export function setPresets(list) {
  current.presets = list.slice();
}

/** The open lesson and its 1-based step (null: none), which the hash then shows. */
export function setLesson(lesson) {
  current.lesson = lesson ? { id: lesson.id, step: lesson.step } : null;
}

/** Remember an upload's description (by its id). */
export function addUpload(info) {
  current.uploads.set(info.id, info);
}

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** What the address bar asks for: {lesson, step}, {preset}, {config}, or {} (plus an error when unreadable). */
export function readHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '');
  if (!raw) return {};
  const params = new URLSearchParams(raw);
  const lesson = params.get('lesson');
  if (lesson) return { lesson, step: params.get('step') };
  const run = params.get('run');
  if (run) return { run }; // open a stored run: the live session if any tab has it, else resume it
  const preset = params.get('preset');
  if (preset) return { preset };
  const encoded = params.get('config');
  if (encoded) {
    for (const decode of [fromBase64Url, (t) => t]) {
      try {
        const config = JSON.parse(decode(encoded));
        if (config && typeof config === 'object' && !Array.isArray(config)) return { config };
      } catch {
        // try the next decoding
      }
    }
    return { error: 'The link’s #config= part could not be read; starting from the defaults.' };
  }
  return {};
}

/** Mirror the current setup in the hash without adding a history entry. */
export function writeHash() {
  let hash = '';
  if (state.lesson) {
    hash = `#lesson=${encodeURIComponent(state.lesson.id)}&step=${state.lesson.step}`;
  } else if (state.presetId) {
    hash = `#preset=${encodeURIComponent(state.presetId)}`;
  } else if (state.config) {
    hash = `#config=${toBase64Url(JSON.stringify(state.config))}`;
  }
  if (hash && hash !== location.hash) {
    history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }
}

/** The value at a dotted path of the config ('training.learning_rate'). */
export function getPath(obj, path) {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur == null) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A partial config holding one value at a dotted path: ('a.b', 1) -> {a: {b: 1}}. */
export function partialAt(path, value) {
  const keys = path.split('.');
  const out = {};
  let cur = out;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) cur[key] = value;
    else cur = cur[key] = {};
  });
  return out;
}

/** Deep-merge b into a copy of a: dicts merge, everything else (lists too) replaces. */
export function deepMerge(a, b) {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const isDict = value && typeof value === 'object' && !Array.isArray(value);
    const baseDict = out[key] && typeof out[key] === 'object' && !Array.isArray(out[key]);
    out[key] = isDict && baseDict ? deepMerge(out[key], value) : value;
  }
  return out;
}
