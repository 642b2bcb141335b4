// The compact decoder against the server's own encoder: the same real frames, as JSON and as
// binary blocks (compact-fixtures.json, written by tests/js/compact_fixtures.py).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { decodeMessage } from '../../static/js/compact.js';

// Per-layer instruments keep 12 mantissa bits on the wire (app/training/compact_metrics.py).
const LAYER_TOLERANCE = 2 ** -12;
const CASES = JSON.parse(readFileSync(new URL('./compact-fixtures.json', import.meta.url), 'utf8'));

function bufferOf(b64) {
  const bytes = Buffer.from(b64, 'base64');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

/** Deep equality; numbers within a relative `tol` (0: exactly, though -0 equals 0). */
function same(actual, expected, tol, path = 'frame') {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: ${actual} is not a number`);
    const ok = tol ? Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)) : actual === expected;
    assert.ok(ok, `${path}: ${actual} != ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is not an array`);
    assert.equal(actual.length, expected.length, `${path}.length`);
    expected.forEach((v, i) => same(actual[i], v, tol, `${path}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path} keys`);
    for (const key of Object.keys(expected)) same(actual[key], expected[key], tol, `${path}.${key}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

for (const c of CASES) {
  test(`${c.name}: the binary message decodes to the JSON frame`, async () => {
    const frames = await decodeMessage(bufferOf(c.binary));
    assert.equal(frames.length, 1);
    // Metrics columns (and a hello's history) travel as float32, per-layer ones with 12 mantissa
    // bits; the rest comes back exactly.
    same(frames[0], c.json, c.json.type === 'metrics' || c.json.type === 'hello' ? LAYER_TOLERANCE : 0);
  });
}

test('packed metrics give back float32 scalars bit for bit, layer instruments to 12 bits, and nulls', async () => {
  const c = CASES.find((x) => x.name === 'regression metrics');
  const [frame] = await decodeMessage(bufferOf(c.binary));
  const f32 = (column) => column.map((v) => (v === null ? null : Math.fround(v)));
  for (const key of ['train_loss', 'train_acc', 'train_mae', 'lr']) assert.deepEqual(frame[key], f32(c.json[key]), key);
  const binary = CASES.find((x) => x.name === 'binary metrics');
  const [classified] = await decodeMessage(bufferOf(binary.binary));
  assert.ok(classified.train_mae.length === 12 && classified.train_mae.every((v) => v === null));
  same(frame.layers[1].weight_norm, c.json.layers[1].weight_norm, LAYER_TOLERANCE);
  assert.deepEqual(frame.epoch, c.json.epoch);
});

test('a hello carries its history, dataset and histograms back in place', async () => {
  const c = CASES.find((x) => x.name === 'hello');
  const [hello] = await decodeMessage(bufferOf(c.binary));
  assert.equal(hello.type, 'hello');
  assert.equal(hello.parts, undefined);
  assert.deepEqual(hello.history.epoch, c.json.history.epoch);
  assert.equal(hello.history.type, undefined);
  assert.equal(hello.dataset.type, 'dataset');
  assert.equal(hello.snapshot, null);
  assert.equal(hello.histograms.length, 1);
});

test('the compact message is much smaller than the JSON text', () => {
  for (const c of CASES.filter((x) => x.json.type === 'snapshot' || x.json.type === 'metrics')) {
    const json = JSON.stringify(c.json).length;
    const binary = Buffer.from(c.binary, 'base64').length;
    assert.ok(binary < json / 2, `${c.name}: ${binary} bytes vs ${json} of JSON`);
  }
});

test('consecutive metrics blocks of the same layers read as one frame', async () => {
  const [a, b] = CASES.filter((x) => x.json.type === 'metrics'); // binary, multiclass: 3 layers each
  const both = Buffer.concat([Buffer.from(a.binary, 'base64'), Buffer.from(b.binary, 'base64')]);
  const frames = await decodeMessage(both.buffer.slice(both.byteOffset, both.byteOffset + both.length));
  assert.equal(frames.length, 1);
  same(frames[0].epoch, [...a.json.epoch, ...b.json.epoch], 0);
  same(frames[0].layers[2].grad_norm, [...a.json.layers[2].grad_norm, ...b.json.layers[2].grad_norm], LAYER_TOLERANCE);
});

test('metrics blocks of other layers stay separate frames, in order', async () => {
  const [a, , b] = CASES.filter((x) => x.json.type === 'metrics'); // binary, multiclass, regression
  const bytesA = Buffer.from(a.binary, 'base64');
  const bytesB = Buffer.from(b.binary, 'base64');
  const both = Buffer.concat([bytesA, bytesB]);
  const frames = await decodeMessage(both.buffer.slice(both.byteOffset, both.byteOffset + both.length));
  assert.equal(frames.length, 2);
  same(frames[0], a.json, LAYER_TOLERANCE);
  same(frames[1], b.json, LAYER_TOLERANCE);
});

test('a truncated message rejects instead of returning half a frame', async () => {
  for (const cut of [40, 200]) {
    const bytes = Buffer.from(CASES[0].binary, 'base64').subarray(0, cut);
    await assert.rejects(decodeMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  }
});

test('corrupt deflated data rejects', async () => {
  const bytes = Buffer.from(CASES[0].binary, 'base64');
  bytes[bytes.length - 20] ^= 0xff;
  await assert.rejects(decodeMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
});
