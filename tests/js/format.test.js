// Display text: compact numbers and the network summary line.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fmt, label, networkSummary } from '../../static/js/format.js';

test('the summary shows the server\'s parameter count, batch norm included', () => {
  // 2-8-8-1 with batch norm: 105 dense parameters + 2·(8 + 8) for gamma and beta = 137.
  assert.equal(networkSummary([2, 8, 8, 1], 137), '2 → 8 → 8 → 1  ·  137 parameters');
});

test('the summary waits for the count while a rebuild is under way', () => {
  assert.equal(networkSummary([2, 8, 1], null), '2 → 8 → 1  ·  … parameters');
});

test('runs of three or more equal hidden layers are compacted', () => {
  assert.equal(networkSummary([2, 12, 12, 12, 4, 1], 1234), '2 → 12 ×3 → 4 → 1  ·  1,234 parameters');
});

test('fmt: significant digits, exponents for tiny and huge values, dashes for missing', () => {
  assert.equal(fmt(0.123456), '0.123');
  assert.equal(fmt(1e-5), '1e-5');
  assert.equal(fmt(123456), '1.2e+5');
  assert.equal(fmt(null), '—');
  assert.equal(fmt(Number.NaN), '—');
  assert.equal(fmt(Infinity), '∞');
  assert.equal(fmt(0), '0');
});

test('label: human names, and the value itself when unnamed', () => {
  assert.equal(label('rmsprop'), 'RMSProp');
  assert.equal(label('something_new'), 'something_new');
});
