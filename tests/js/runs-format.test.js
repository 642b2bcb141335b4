// The runs panel's text, the config diff and legend of compare, the selection limit, replay's checkpoint.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { alignRuns, allRegression, totalEpochs, valueAt } from '../../static/js/compare-data.js';
import {
  bestFigure, configDiff, legendText, nearestCheckpoint, networkLabel, optimiserLabel, pageText,
  toggleSelection, whenLabel,
} from '../../static/js/runs-format.js';

const layer = (units, activation = 'tanh', extra = {}) => ({ units, activation, batch_norm: false, dropout: 0, ...extra });
const config = (lr, extra = {}) => ({
  dataset: { name: 'spiral', features: ['x1', 'x2'], seed: 1 },
  model: { layers: [layer(8), layer(8)], init: 'xavier' },
  training: { optimizer: 'sgd', learning_rate: lr, batch_size: 10, histogram_every: 10, schedule: { kind: 'constant' }, ...extra },
});

test('a run reads as its network, optimiser and best figure', () => {
  assert.equal(networkLabel([2, 8, 8, 1], [layer(8), layer(8)]), '2-8-8-1 tanh');
  assert.equal(networkLabel([4, 16, 3], [layer(16, 'relu', { batch_norm: true, dropout: 0.2 })]), '4-16-3 relu BN dropout');
  assert.equal(networkLabel(null, [layer(8), layer(4, 'relu')]), '?-8-4-? tanh/relu', 'widths unknown: hidden only');
  assert.equal(networkLabel([4, 3], []), '4-3');
  assert.equal(optimiserLabel({ optimizer: 'adam', learning_rate: 0.001 }), 'Adam lr 0.001');
  assert.equal(bestFigure({ task: 'binary', best_val_acc: 0.9333, best_val_loss: 0.2 }), '93.3 % acc');
  assert.equal(bestFigure({ task: 'regression', best_val_acc: 0.8512, best_val_loss: 0.2 }), 'R² 0.851');
  assert.equal(bestFigure({ task: null, best_val_acc: null, best_val_loss: 0.25 }), 'loss 0.25');
  assert.equal(bestFigure({ task: 'binary', best_val_acc: null, best_val_loss: null }), '—');
});

test('ages read as minutes and hours, older runs as their date', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  assert.equal(whenLabel(now / 1000 - 20, now), 'just now');
  assert.equal(whenLabel(now / 1000 - 5 * 60, now), '5 min ago');
  assert.equal(whenLabel(now / 1000 - 3 * 3600 - 5, now), '3 h ago');
  assert.equal(whenLabel(now / 1000 - 3 * 86400, now), '2026-11-30');
});

test('the config diff puts the differing settings first and names them briefly', () => {
  const diff = configDiff([config(0.01), config(0.05, { batch_size: 32 })]);
  const differing = diff.filter((r) => r.differs);
  assert.deepEqual(differing.map((r) => [r.path, r.label, r.values]), [
    ['training.learning_rate', 'lr', ['0.01', '0.05']],
    ['training.batch_size', 'batch', ['10', '32']],
  ]);
  assert.equal(diff.length, new Set(diff.map((r) => r.path)).size, 'each setting once');
  const layers = diff.find((r) => r.path === 'model.layers');
  assert.deepEqual([layers.differs, layers.values[0]], [false, '8 tanh, 8 tanh']);
  assert.equal(diff.find((r) => r.path === 'training.optimizer').values[0], 'SGD');
  assert.ok(configDiff([config(0.01)]).every((r) => !r.differs), 'one run differs from nothing');
});

test('a setting missing from one config differs, and layers compare as a whole', () => {
  const deeper = config(0.01);
  deeper.model.layers = [layer(8), layer(8), layer(4, 'relu', { dropout: 0.5 })];
  const diff = configDiff([config(0.01), deeper, { ...config(0.01), extra: { knob: 1 } }]);
  const rows = Object.fromEntries(diff.map((r) => [r.path, r]));
  assert.deepEqual(rows['model.layers'].values.slice(0, 2), ['8 tanh, 8 tanh', '8 tanh, 8 tanh, 4 relu drop 0.5']);
  assert.deepEqual(rows['extra.knob'].values, ['none', 'none', '1']);
  assert.ok(rows['extra.knob'].differs);
});

test('a legend names each run with the settings it differs in, pacing left out', () => {
  const diff = configDiff([config(0.01), config(0.05, { histogram_every: 50 })]);
  assert.equal(legendText('slow', diff, 0), 'slow — lr 0.01');
  assert.equal(legendText('fast', diff, 1), 'fast — lr 0.05');
  assert.equal(legendText('alone', configDiff([config(0.01)]), 0), 'alone');
  const many = configDiff([config(0.01), config(0.05, { batch_size: 1, optimizer: 'adam', seed: 3, l2: 0.1 })]);
  assert.equal(legendText('b', many, 1), 'b — optimiser Adam, lr 0.05, batch 1, +2 more');
});

test('selection stops at the limit with a message and unselecting always works', () => {
  let picked = new Set();
  for (const id of ['a', 'b']) ({ selected: picked } = toggleSelection(picked, id, 2));
  const refused = toggleSelection(picked, 'c', 2);
  assert.equal(refused.selected, picked, 'unchanged');
  assert.equal(refused.error, 'Compare takes at most 2 runs: unselect one first.');
  const dropped = toggleSelection(picked, 'a', 2);
  assert.deepEqual([...dropped.selected], ['b']);
  assert.equal(dropped.error, null);
  assert.deepEqual([...picked], ['a', 'b'], 'the old set is not changed');
});

test('replay shows the last checkpoint at or before the epoch, the later one on a tie', () => {
  const points = [
    { segment: 0, epoch: 500, at: 500 }, { segment: 0, epoch: 700, at: 700 },
    { segment: 1, epoch: 0, at: 700 }, { segment: 1, epoch: 300, at: 1000 },
  ];
  assert.equal(nearestCheckpoint(points, 499), null);
  assert.equal(nearestCheckpoint(points, 500).epoch, 500);
  assert.equal(nearestCheckpoint(points, 699).epoch, 500);
  assert.deepEqual(nearestCheckpoint(points, 700), points[2]);
  assert.deepEqual(nearestCheckpoint(points, 10 ** 6), points[3]);
  assert.equal(nearestCheckpoint([], 10), null);
});

test('runs align on the union of their epochs, null where a run has no row', () => {
  const a = { columns: { epoch: [1, 2, 4], val_loss: [0.9, 0.8, 0.6], val_mae: [null, null, null] } };
  const b = { columns: { epoch: [2, 3], val_loss: [0.7, null], val_mae: [0.3, 0.2] } };
  assert.deepEqual(alignRuns([a, b], ['val_loss']), [[1, 2, 3, 4], [0.9, 0.8, null, 0.6], [null, 0.7, null, null]]);
  assert.deepEqual(alignRuns([a], ['val_loss', 'missing']), [[1, 2, 4], [0.9, 0.8, 0.6], [null, null, null]]);
  assert.equal(allRegression([a, b]), false);
  assert.equal(allRegression([b]), true);
  assert.equal(totalEpochs({ segments: [{ last: 173 }, { last: 90 }] }), 263);
  assert.equal(totalEpochs({ segments: [] }), 0);
  assert.equal(pageText(20, 5, 25), '21–25 of 25');
  assert.equal(pageText(0, 0, 0), 'No runs yet');
});

test('a hovered value is the run’s own at that epoch, else the one before, within its span', () => {
  assert.equal(valueAt([0.9, null, 0.7, null], 2), 0.7);
  assert.equal(valueAt([0.9, null, null, 0.7], 2), 0.9, 'between two samples: the one before');
  assert.equal(valueAt([0.9, null, 0.7, null], 3), null, 'past its last epoch: nothing');
  assert.equal(valueAt([null, null, 0.7], 1), null, 'before its first: nothing');
  assert.equal(valueAt([0, null, 1], 1), 0, 'zero is a value');
});
