// The class wall's pure helpers: ranking, colours by setting, vote shares, choice patches.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choicePatch, colorScale, describePatch, extent, sortRuns, valFigure, voteShares } from '../../static/js/wall-model.js';

const run = (name, settings, figures = {}) => ({ name, settings, ...figures });

test('runs sort best validation accuracy first, then by loss, runs with no figure last', () => {
  const runs = [
    run('none', {}),
    run('low', {}, { val_acc: 0.6 }),
    run('loss', {}, { val_loss: 0.2 }),
    run('high', {}, { val_acc: 0.95 }),
  ];
  assert.deepEqual(sortRuns(runs, 'val').map((r) => r.name), ['high', 'low', 'loss', 'none']);
  assert.deepEqual(sortRuns(runs, 'name').map((r) => r.name), ['high', 'loss', 'low', 'none']);
  assert.deepEqual(sortRuns(runs, 'joined').map((r) => r.name), runs.map((r) => r.name));
  assert.equal(valFigure(runs[3]).text, '95%');
  assert.equal(valFigure(runs[0]).text, '—');
});

test('learning rates colour on a log scale: equal ratios, equal steps; the legend lists them', () => {
  const runs = [0.001, 0.01, 0.1].map((lr) => run(String(lr), { lr }));
  const scale = colorScale(runs, 'lr');
  const colours = runs.map(scale.colorOf);
  assert.equal(new Set(colours).size, 3);
  assert.deepEqual(scale.legend.map((l) => l.color), colours);
  assert.match(scale.legend[0].text, /Learning rate 0\.001/);
  assert.deepEqual(runs.map(scale.badgeOf), ['lr 0.001', 'lr 0.01', 'lr 0.1']); // on each card
});

test('categories get distinct colours and readable names', () => {
  const runs = [run('a', { optimizer: 'adam' }), run('b', { optimizer: 'sgd' }), run('c', { optimizer: 'adam' })];
  const scale = colorScale(runs, 'optimizer');
  assert.equal(scale.colorOf(runs[0]), scale.colorOf(runs[2]));
  assert.notEqual(scale.colorOf(runs[0]), scale.colorOf(runs[1]));
  assert.deepEqual(scale.legend.map((l) => l.text), ['Adam', 'SGD']);
  const depth = colorScale([run('d', { depth: 1 }), run('e', { depth: 3 })], 'depth');
  assert.deepEqual(depth.legend.map((l) => l.text), ['1 hidden layer', '3 hidden layers']);
  assert.equal(scale.badgeOf(runs[1]), 'SGD');
});

test('vote shares mark the leader and survive no votes', () => {
  assert.deepEqual(voteShares([1, 3, 0]).map((s) => [s.share, s.leading]), [[0.25, false], [0.75, true], [0, false]]);
  assert.deepEqual(voteShares([0, 0]).map((s) => s.leading), [false, false]);
});

test('a choice patch is typed from its setting and refuses bad text', () => {
  assert.deepEqual(choicePatch('training.learning_rate', ' 0.3 '), { training: { learning_rate: 0.3 } });
  assert.deepEqual(choicePatch('training.optimizer', 'adam'), { training: { optimizer: 'adam' } });
  assert.deepEqual(choicePatch('', 'ignored'), {});
  assert.throws(() => choicePatch('training.learning_rate', 'fast'), /must be a number/);
  assert.throws(() => choicePatch('training.batch_size', '2.5'), /whole number/);
  assert.throws(() => choicePatch('training.learning_rate', ''), /give the learning rate/);
  assert.equal(describePatch({ training: { learning_rate: 0.3, optimizer: 'adam' } }), 'learning rate 0.3, optimiser Adam');
});

test('extent skips missing values and, on a log scale, non-positive ones', () => {
  const [lo, hi] = extent([[1, null, 3], [NaN, 2]]);
  assert.ok(lo < 1 && hi > 3 && hi < 3.2);
  const [llo, lhi] = extent([[0, 0.01, 1]], { log: true });
  assert.ok(llo < -2 && llo > -2.2 && lhi > 0 && lhi < 0.2);
  assert.deepEqual(extent([[null]]), [0, 1]);
});

test('log ticks: decades over a wide range, denser round values within one decade', async () => {
  globalThis.window ??= {};
  const { logTicks } = await import('../../static/js/wall-draw.js');
  assert.deepEqual(logTicks(-3.2, 0.4), [0.001, 0.01, 0.1, 1]);
  assert.deepEqual(logTicks(Math.log10(0.44), Math.log10(0.74)), [0.5, 0.6, 0.7]);
  const narrow = logTicks(Math.log10(0.5), Math.log10(0.52));
  assert.ok(narrow.length >= 1 && narrow.every((v) => v >= 0.49 && v <= 0.53));
});
