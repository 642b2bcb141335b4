// Frames -> state and views: layer names and the parameter count come from the server.

import assert from 'node:assert/strict';
import { test } from 'node:test';

// readouts.js writes text into elements found by test id: a stand-in document records it.
const elements = new Map();
globalThis.document = {
  querySelector(selector) {
    if (!elements.has(selector)) elements.set(selector, { textContent: '', dataset: {} });
    return elements.get(selector);
  },
};
globalThis.location = { hash: '', pathname: '/', search: '' };
globalThis.history = { replaceState: (_, __, url) => (globalThis.location.hash = url.slice(url.indexOf('#'))) };
const text = (testid) => elements.get(`[data-testid="${testid}"]`)?.textContent;

const { createFrameHandler } = await import('../../static/js/frames.js');
const { state } = await import('../../static/js/state.js');

function harness() {
  const resets = [];
  const markers = [];
  const remaps = [];
  const ignore = () => {};
  const views = {
    charts: {
      reset: (h, { layerNames }) => resets.push(layerNames), append: ignore,
      setMarkers: (list) => markers.splice(0, markers.length, ...list),
      addMarker: (m) => markers.push(m),
      remapLayers: (names, sources) => remaps.push([names, sources]),
    },
    hist: { reset: ignore, add: ignore },
    net: { setModel: ignore, setWeights: ignore },
    boundary: { setDataset: ignore, setSnapshot: ignore },
    tiles: { set: ignore },
  };
  const indicators = { setEpoch: ignore, setRunState: ignore };
  const handle = createFrameHandler({ views, controls: { update: ignore }, indicators, toast: ignore });
  return { handle, resets, markers, remaps };
}

const layer = (units, batchNorm = false) => ({ units, activation: 'tanh', batch_norm: batchNorm, dropout: 0 });
const config = (layers) => ({ dataset: { features: ['x1', 'x2'] }, model: { layers }, training: {} });
const dataset = { type: 'dataset', name: 'spiral', task: 'binary', class_names: ['0', '1'], input_labels: ['x₁', 'x₂'],
  is_planar: true, train: { y: [] }, val: { y: [] } };
const snapshot = (names, count) => ({ type: 'snapshot', epoch: 0, weights: [], boundary: {}, layer_names: names, parameter_count: count });

test('the summary shows the parameter count the server computed (batch norm included)', () => {
  const { handle } = harness();
  handle({ type: 'hello', config: config([layer(8, true), layer(8, true)]), state: 'idle', dataset,
    history: { epoch: [], layers: [] }, snapshot: snapshot(['dense0', 'dense1', 'dense2'], 137) });
  assert.match(text('net-summary'), /^2 → 8 → 8 → 1 {2}· {2}137 parameters$/);
});

test('after a rebuild the charts take the layer names of the next snapshot, not guessed ones', () => {
  const { handle, resets } = harness();
  handle({ type: 'hello', config: config([layer(8)]), state: 'idle', dataset,
    history: { epoch: [], layers: [] }, snapshot: snapshot(['dense0', 'dense1'], 33) });
  handle({ type: 'config', rebuilt: true, config: config([layer(8), layer(4)]) });
  assert.equal(state.model, null);
  assert.match(text('net-summary'), /… parameters$/);
  assert.ok(!resets.some((names) => names.includes('dense2')), 'no names before the server sends them');
  handle(snapshot(['hidden_a', 'hidden_b', 'out'], 65));
  assert.deepEqual(resets.at(-1), ['hidden_a', 'hidden_b', 'out']);
  assert.match(text('net-summary'), /65 parameters$/);
});

test('markers come with the hello and live; a kept-history edit re-keys the charts, a reset empties them', () => {
  const { handle, resets, markers, remaps } = harness();
  const lr = { epoch: 3, kind: 'configure', changes: [] };
  handle({ type: 'hello', config: config([layer(8)]), state: 'idle', dataset, markers: [lr],
    history: { epoch: [1, 2, 3], layers: [{ name: 'dense0' }, { name: 'dense1' }] }, snapshot: snapshot(['dense0', 'dense1'], 33) });
  assert.deepEqual(markers, [lr]);
  const count = resets.length;
  handle({ type: 'config', rebuilt: true, kept_history: true, config: config([layer(8), layer(8)]),
    layer_names: ['dense0', 'dense1', 'dense2'], layer_sources: [0, null, 1] });
  handle({ type: 'marker', marker: { epoch: 3, kind: 'architecture', changes: [] } });
  handle(snapshot(['dense0', 'dense1', 'dense2'], 105));
  assert.deepEqual(remaps, [[['dense0', 'dense1', 'dense2'], [0, null, 1]]]);
  assert.equal(resets.length, count, 'the history stays');
  assert.equal(markers.length, 2);
  handle({ type: 'config', rebuilt: true, config: config([layer(8), layer(8)]) });
  assert.equal(resets.length, count + 1);
  assert.deepEqual(markers, [], 'a fresh start drops the old markers');
});
