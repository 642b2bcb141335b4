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
