// Per-unit maps: base64 uint8 decoding, the byte scale, colours on the boundary's diverging scale,
// the sprite layout, incoming weights and the health wording.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { diverging } from '../../static/js/colors.js';
import {
  MAP_STRENGTH, codeValue, decodeBase64, decodeUnits, fmt, healthText, incomingWeights, signed, spritePixels,
} from '../../static/js/unit-maps.js';

const b64 = (bytes) => Buffer.from(Uint8Array.from(bytes)).toString('base64');

function frame(res, shown, bytes) {
  return {
    planar: true, resolution: res, max_units: 32,
    layers: [{ name: 'dense0', activation: 'tanh', units: shown, shown, status: Array(shown).fill('ok'),
      inactive: Array(shown).fill(0), data_lo: Array(shown).fill(-1), data_hi: Array(shown).fill(1),
      plane_lo: Array(shown).fill(-1), plane_hi: Array(shown).fill(1), scale: Array(shown).fill([0, 1]), maps: b64(bytes) }],
  };
}

test('base64 decodes to the bytes the server encoded, and bad text to null', () => {
  const bytes = [0, 1, 127, 128, 254, 255, 42];
  assert.deepEqual([...decodeBase64(b64(bytes))], bytes);
  assert.equal(decodeBase64('not base64!'), null);
  assert.equal(decodeBase64(undefined), null);
});

test('codes map back onto the layer scale: 0 and 255 are the ends, 127.5 the centre', () => {
  assert.equal(codeValue(0, [0, 1]), -1);
  assert.equal(codeValue(255, [0, 1]), 1);
  assert.equal(codeValue(0, [0.5, 0.5]), 0);
  assert.ok(Math.abs(codeValue(128, [0, 2]) - 2 / 255) < 1e-12);
});

test('decodeUnits keeps well-formed layers and rejects a map of the wrong length', () => {
  const ok = decodeUnits(frame(2, 2, [0, 255, 128, 127, 10, 20, 30, 40]));
  assert.equal(ok.planar, true);
  assert.equal(ok.resolution, 2);
  assert.deepEqual([...ok.layers[0].maps], [0, 255, 128, 127, 10, 20, 30, 40]);
  assert.equal(decodeUnits(frame(2, 2, [0, 1, 2])), null);
  const oneScale = frame(2, 2, [0, 255, 128, 127, 10, 20, 30, 40]);
  oneScale.layers[0].scale = [[0, 1]]; // one scale for two units
  assert.equal(decodeUnits(oneScale), null);
  assert.equal(decodeUnits(null), null);
  assert.equal(decodeUnits({ layers: 'x' }), null);
  const tabular = decodeUnits({ planar: false, resolution: null, layers: [{ ...frame(2, 1, [0, 0, 0, 0]).layers[0], maps: null, scale: null }] });
  assert.equal(tabular.planar, false);
  assert.equal(tabular.layers[0].maps, null);
});

test('sprite pixels put unit j in its own square, coloured like the boundary scale', () => {
  // two units, 2×2 each: unit 0 all full orange (0), unit 1 rows [white-ish, full blue]
  const maps = Uint8Array.from([0, 0, 0, 0, 128, 128, 255, 255]);
  const px = spritePixels(maps, 2, 2);
  assert.equal(px.length, 4 * 2 * 4); // 4 wide, 2 high, RGBA
  const at = (x, y) => [...px.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 4)];
  const rgb = (t) => [...diverging(t, MAP_STRENGTH).map((v) => Math.round(v)), 255];
  assert.deepEqual(at(0, 0), rgb(-1));
  assert.deepEqual(at(1, 1), rgb(-1));
  assert.deepEqual(at(2, 0), rgb(0.5 / 127.5));
  assert.deepEqual(at(3, 1), rgb(1));
  // orange for negative, blue for positive: the same sides as the boundary and the edge colours
  assert.ok(at(0, 0)[0] > at(0, 0)[2] && at(3, 1)[2] > at(3, 1)[0]);
});

test('incoming weights come sorted by size with their sources named', () => {
  const entry = { shape: [3, 2], W: [[0.1, -2], [-0.5, 0.3], [1.5, 0]], b: [0.2, -0.7] };
  const w = incomingWeights(entry, 0, 1, ['x₁', 'x₂', 'x₁²'], 2);
  assert.deepEqual(w.items, [{ source: 'x₁', row: 0, w: -2 }, { source: 'x₂', row: 1, w: 0.3 }]);
  assert.equal(w.bias, -0.7);
  assert.equal(w.rest, 1);
  const deep = incomingWeights(entry, 2, 0, [], 8);
  assert.deepEqual(deep.items.map((i) => i.source), ['L2.3', 'L2.2', 'L2.1']);
  assert.equal(deep.rest, 0);
  assert.equal(incomingWeights(entry, 0, 5, []), null);
  // a layer cut at 64 rows in the snapshot still counts its real fan-in
  const cut = incomingWeights({ shape: [100, 1], W: Array.from({ length: 64 }, (_, i) => [i]), b: [0] }, 1, 0, []);
  assert.equal(cut.total, 100);
  assert.equal(cut.rest, 92);
});

test('health wording says what dead and saturated mean, with the share of points', () => {
  assert.match(healthText('dead', 'relu', 1).detail, /ReLU is inactive on every training point/);
  assert.equal(healthText('dead', 'relu', 1).label, 'dead');
  assert.match(healthText('saturated', 'tanh', 0.93).detail, /93% of the training points/);
  assert.equal(healthText('ok', 'relu', 0.4).label, 'active');
  assert.match(healthText('ok', 'relu', 0.4).detail, /inactive on 40%/);
});

test('numbers read well: 3 digits, real minus, no trailing zeros, signs on weights', () => {
  assert.equal(fmt(0.5), '0.5');
  assert.equal(fmt(100), '100');
  assert.equal(fmt(-1.23456), '−1.23');
  assert.equal(fmt(0.0001234), '1.23e−4');
  assert.equal(fmt(null), '—');
  assert.equal(signed(0.25), '+0.25');
  assert.equal(signed(-3), '−3');
});
