// Client state: the session, a copy of the server's config, and the URL hash that mirrors it.
//
// The hash is `#preset=<id>` right after a preset is loaded, and `#config=<base64url JSON>` once
// the config has been changed, so copying the address bar reproduces the setup.

export const state = {
  session: null, // {id, token}
  config: null, // the server's config (from hello / config frames)
  runState: 'idle', // idle|running|paused|diverged|stopped
  wsState: 'connecting',
  epoch: 0,
  dataset: null, // the last `dataset` frame
  presets: [],
  presetId: null, // set while the config is exactly a loaded preset
  uploads: new Map(), // upload_id -> {id, filename, rows, features, target, task, classes}
};

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

/** What the address bar asks for: {preset}, {config}, or {} (plus an error when unreadable). */
export function readHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '');
  if (!raw) return {};
  const params = new URLSearchParams(raw);
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
  if (state.presetId) {
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
