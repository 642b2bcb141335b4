// Chart decimation: bounded point count, spikes kept, incremental equals from scratch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createDecimator, decimateRange } from '../../static/js/chart-decimate.js';

const columns = (n) => [
  Array.from({ length: n }, (_, i) => i + 1),
  Array.from({ length: n }, (_, i) => Math.sin(i / 50) + (i === 777 ? 100 : 0)),
  Array.from({ length: n }, (_, i) => (i % 3 ? i : null)),
];

test('few points pass through unchanged', () => {
  const cols = columns(40);
  assert.deepEqual(decimateRange(cols, 0, 40, 100), cols);
});

test('many points become at most two per bucket, with the spike and the ends kept', () => {
  const cols = columns(100_000);
  const out = decimateRange(cols, 0, 100_000, 500);
  assert.ok(out[0].length <= 1000, `got ${out[0].length} points`);
  assert.equal(out[0][0], 1);
  assert.equal(out[0][out[0].length - 1], 100_000);
  assert.ok(Math.max(...out[1]) > 99);
  for (let i = 1; i < out[0].length; i++) assert.ok(out[0][i] > out[0][i - 1], 'x stays sorted');
});

test('the incremental decimator draws what a fresh one would, as the columns grow', () => {
  const full = columns(5000);
  const dec = createDecimator();
  for (const n of [1, 7, 300, 301, 2048, 2049, 4999, 5000]) {
    const cols = full.map((c) => c.slice(0, n));
    assert.deepEqual(dec.update(cols, 400).map((a) => a.slice()), decimateRange(cols, 0, n, 400), `at ${n}`);
  }
});

test('shorter columns (rewritten) start the decimator afresh', () => {
  const dec = createDecimator();
  dec.update(columns(3000), 100);
  const cols = columns(50);
  assert.deepEqual(dec.update(cols, 100).map((a) => a.slice()), cols);
});
