// EMA smoothing of chart curves (TensorBoard's debiased form).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { emaNext, emaSmooth, emaState } from '../../static/js/smoothing.js';

test('weight 0 leaves the curve as it is', () => {
  assert.deepEqual(emaSmooth([3, 1, 4, 1, 5], 0), [3, 1, 4, 1, 5]);
});

test('the first point is kept (debiased), later points move a fraction towards the new value', () => {
  const s = emaSmooth([1, 0, 0], 0.5);
  assert.equal(s[0], 1);
  // The running mean is 0.5, 0.25, 0.125, debiased by 1 - 0.5, 1 - 0.5², 1 - 0.5³.
  assert.ok(Math.abs(s[1] - 0.25 / 0.75) < 1e-12);
  assert.ok(Math.abs(s[2] - 0.125 / 0.875) < 1e-12);
});

test('a constant curve stays constant at any weight', () => {
  for (const w of [0.3, 0.9, 0.999]) for (const v of emaSmooth(Array(50).fill(2), w)) assert.ok(Math.abs(v - 2) < 1e-9);
});

test('smoothing lowers the spread of a noisy curve', () => {
  const noisy = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : -1));
  const s = emaSmooth(noisy, 0.9).slice(50);
  assert.ok(Math.max(...s.map(Math.abs)) < 0.2);
});

test('gaps (null, NaN) pass through and do not poison what follows', () => {
  const s = emaSmooth([1, null, NaN, 1], 0.6);
  assert.equal(s[1], null);
  assert.ok(Number.isNaN(s[2]));
  assert.equal(s[3], 1);
});

test('step by step equals the whole-curve form', () => {
  const values = [0.9, 0.5, 0.7, 0.2, 0.25, 0.1];
  const state = emaState();
  assert.deepEqual(values.map((v) => emaNext(state, v, 0.7)), emaSmooth(values, 0.7));
});
