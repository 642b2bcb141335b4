// Marker labels from changes, and merging of markers that pile up.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { changeLabel, formatValue, layerPhrases, markerText, mergeMarkers, truncate } from '../../static/js/markers.js';

const lr = { path: 'training.learning_rate', old: 0.01, new: 0.3 };

test('a setting change reads like the issue asks: "lr 0.01 → 0.3", "Adam"', () => {
  assert.equal(changeLabel(lr), 'lr 0.01 → 0.3');
  assert.equal(changeLabel({ path: 'training.optimizer', old: 'sgd', new: 'adam' }), 'Adam');
  assert.equal(changeLabel({ path: 'training.clip_norm', old: null, new: 1 }), 'clip norm off → 1');
  assert.equal(changeLabel({ path: 'training.momentum', old: 0.9, new: 0.5 }), 'momentum 0.9 → 0.5');
  assert.equal(changeLabel({ path: 'training.l2', old: 0, new: 0.0001 }), 'L2 0 → 1e-4');
  assert.equal(formatValue(true), 'on');
  assert.equal(formatValue(2.5e-5), '2.5e-5');
});

test('network edits name what changed per layer', () => {
  const a = [{ units: 8, activation: 'tanh', batch_norm: false, dropout: 0 }];
  assert.deepEqual(layerPhrases(a, [...a, a[0]]), ['+ layer']);
  assert.deepEqual(layerPhrases([...a, a[0], a[0]], a), ['− 2 layers']);
  assert.deepEqual(layerPhrases(a, [{ ...a[0], units: 9, activation: 'relu' }]), ['L1 8 → 9 units', 'L1 tanh → relu']);
  assert.deepEqual(layerPhrases(a, [{ ...a[0], batch_norm: true, dropout: 0.2 }]), ['L1 batch norm on', 'L1 dropout 0 → 0.2']);
  assert.equal(changeLabel({ path: 'model.layers', old: a, new: [...a, a[0]] }), '+ layer');
});

test('a marker has a short label and a full hover text', () => {
  const fix = markerText({ epoch: 40, kind: 'configure', changes: [lr], fix: 'Lower the learning rate' });
  assert.equal(fix.short, 'fix: lr 0.01 → 0.3');
  assert.match(fix.full, /^Epoch 40\nFix applied: Lower the learning rate/);
  assert.match(fix.full, /training\.learning_rate: 0\.01 → 0\.3/);
  const edit = markerText({ epoch: 9, kind: 'architecture', changes: [{ path: 'model.layers', old: [], new: [{ units: 4 }] }], kept: 3, fresh: 13, dropped: 0 });
  assert.equal(edit.short, '+ layer');
  assert.match(edit.full, /history and the epoch count go on\. 3 weights kept, 13 new/);
  assert.equal(markerText({ epoch: 0, kind: 'reset', changes: [] }).short, 'reset');
  const diverged = markerText({ epoch: 7, kind: 'diverged', changes: [], reason: 'Diverged at epoch 7' });
  assert.equal(diverged.short, 'diverged');
  assert.match(diverged.full, /Diverged at epoch 7/);
  assert.equal(markerText({ epoch: 2, kind: 'stopped', changes: [] }).short, 'early stop');
  assert.equal(markerText({ epoch: 0, kind: 'restart', changes: [{ path: 'dataset.name', old: 'spiral', new: 'xor' }] }).short, 'data spiral → xor');
});

test('markers closer than the gap merge into one group labelled with the latest', () => {
  const ms = [
    { epoch: 100, kind: 'configure', changes: [lr] },
    { epoch: 10, kind: 'reset', changes: [] },
    { epoch: 101, kind: 'configure', changes: [{ path: 'training.optimizer', old: 'sgd', new: 'adam' }] },
    { epoch: 103, kind: 'stopped', changes: [] },
    { epoch: 200, kind: 'diverged', changes: [] },
  ];
  const groups = mergeMarkers(ms, (e) => e * 2, 30);
  assert.deepEqual(groups.map((g) => [g.epoch, g.markers.length]), [[10, 1], [100, 3], [200, 1]]);
  assert.equal(groups[1].short, 'early stop +2');
  assert.match(groups[1].full, /lr 0\.01 → 0\.3|learning_rate/);
  assert.equal(groups[1].full.split('\n\n').length, 3);
  assert.equal(mergeMarkers(ms, (e) => e * 100, 30).length, 5, 'far apart: one group each');
  assert.equal(mergeMarkers(ms, () => NaN, 30).length, 0, 'off the chart: none');
});

test('truncate keeps short labels and cuts long ones with an ellipsis', () => {
  assert.equal(truncate('lr 0.01 → 0.3', 20), 'lr 0.01 → 0.3');
  assert.equal(truncate('lr 0.01 → 0.3', 6), 'lr 0.…');
  assert.equal(truncate('abc', 1), '…');
});
