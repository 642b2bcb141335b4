// The chart column store: appends by epoch, follows layer names, trims restarts.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createColumnStore } from '../../static/js/chart-columns.js';

const frame = (epochs, names = ['dense0', 'dense1']) => ({
  epoch: epochs,
  train_loss: epochs.map((e) => 1 / e),
  layers: names.map((name) => ({ name, grad_norm: epochs.map(() => 0.5) })),
});

function store() {
  const calls = { layers: 0, rewrite: 0 };
  const s = createColumnStore({ onLayers: () => (calls.layers += 1), onRewrite: () => (calls.rewrite += 1) });
  return { s, calls };
}

test('frames append column by column and name their layers', () => {
  const { s, calls } = store();
  s.clear(['dense0', 'dense1']);
  s.push(frame([1, 2]));
  s.push(frame([3]));
  assert.deepEqual(s.col('epoch'), [1, 2, 3]);
  assert.deepEqual(s.layerCol(1, 'grad_norm'), [0.5, 0.5, 0.5]);
  assert.equal(calls.layers, 0);
});

test('other layer names (from the server) replace the store\'s', () => {
  const { s, calls } = store();
  s.clear(['dense0', 'dense1']);
  s.push(frame([1], ['dense0', 'dense1', 'dense2']));
  assert.deepEqual(s.layerNames(), ['dense0', 'dense1', 'dense2']);
  assert.equal(calls.layers, 1);
});

test('a column that appears late is padded with nulls; restarted epochs drop the overlap', () => {
  const { s, calls } = store();
  s.clear(['dense0', 'dense1']);
  s.push(frame([1, 2]));
  s.push({ ...frame([3]), lr: [0.1] });
  assert.deepEqual(s.col('lr'), [null, null, 0.1]);
  s.push(frame([2]));
  assert.deepEqual(s.col('epoch'), [1, 2]);
  assert.equal(calls.rewrite, 1);
});

test('a network edit re-keys the layers: the output goes on, a new layer starts empty', () => {
  const { s, calls } = store();
  s.clear(['dense0', 'dense1']);
  s.push(frame([1, 2]));
  s.remapLayers(['dense0', 'dense1', 'dense2'], [0, null, 1]);
  assert.equal(calls.layers, 1);
  assert.deepEqual(s.layerNames(), ['dense0', 'dense1', 'dense2']);
  s.push({ ...frame([3], ['dense0', 'dense1', 'dense2']), layers: [0.1, 0.2, 0.3].map((g, i) => ({ name: `dense${i}`, grad_norm: [g] })) });
  assert.deepEqual(s.col('epoch'), [1, 2, 3]);
  assert.deepEqual(s.layerCol(1, 'grad_norm'), [null, null, 0.2], 'the new layer is empty before the edit');
  assert.deepEqual(s.layerCol(2, 'grad_norm'), [0.5, 0.5, 0.3], 'the output layer goes on');
  assert.equal(calls.layers, 1, 'the names already match: no second reset');
});
