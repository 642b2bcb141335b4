// Client state: one owner, read-only outside, changed through setters; the URL hash.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  addUpload, clearModel, deepMerge, getPath, partialAt, readHash, setConfig, setModel, setSession, state,
} from '../../static/js/state.js';

test('state is read-only: assigning to it throws', () => {
  assert.throws(() => { state.config = {}; }, TypeError);
  assert.throws(() => { state.newField = 1; }, TypeError);
});

test('a session starts from its config and preset; an edited config is no longer the preset', () => {
  setSession({ id: 's1', token: 't', extra: 1 }, { a: 1 }, 'overfitting');
  assert.deepEqual(state.session, { id: 's1', token: 't' });
  assert.equal(state.presetId, 'overfitting');
  setConfig({ a: 2 });
  assert.equal(state.presetId, 'overfitting');
  setConfig({ a: 3 }, { edited: true });
  assert.equal(state.presetId, null);
  assert.deepEqual(state.config, { a: 3 });
});

test('the model comes from a snapshot and is forgotten during a rebuild', () => {
  setModel({ layer_names: ['dense0', 'dense1'], parameter_count: 137 });
  assert.deepEqual(state.model, { layerNames: ['dense0', 'dense1'], parameterCount: 137 });
  clearModel();
  assert.equal(state.model, null);
});

test('uploads are kept by id', () => {
  addUpload({ id: 'u1', filename: 'a.csv' });
  assert.equal(state.uploads.get('u1').filename, 'a.csv');
});

test('readHash reads presets, base64url and plain configs, and reports garbage', () => {
  assert.deepEqual(readHash('#preset=lr-adam'), { preset: 'lr-adam' });
  const encoded = Buffer.from(JSON.stringify({ training: { learning_rate: 0.1 } })).toString('base64url');
  assert.deepEqual(readHash(`#config=${encoded}`), { config: { training: { learning_rate: 0.1 } } });
  assert.ok(readHash('#config=%%%').error);
  assert.deepEqual(readHash('#run=abc123'), { run: 'abc123' });
  assert.deepEqual(readHash(''), {});
});

test('paths and merges', () => {
  assert.deepEqual(partialAt('a.b.c', 1), { a: { b: { c: 1 } } });
  assert.equal(getPath({ a: { b: 2 } }, 'a.b'), 2);
  assert.equal(getPath(null, 'a.b'), undefined);
  assert.deepEqual(deepMerge({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] }), { a: { b: 1, c: 3 }, l: [2] });
});

test('a session keeps the run it records into: its own id, or the resumed run', () => {
  setSession({ id: 's2', token: 't' }, null);
  assert.equal(state.run, 's2');
  setSession({ id: 's3', token: 't', run: 's2' }, null);
  assert.deepEqual(state.session, { id: 's3', token: 't' });
  assert.equal(state.run, 's2');
});
