// The demo cards' grouping: failures with their fixes, the learning-rate family, plain cards.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixLabel, groupPresets, watchLine } from '../../static/js/preset-cards.js';

const preset = (id, title, description = `${title}. More.`) => ({ id, title, description });

// The server's presets, in its order (app/training/presets.py), descriptions shortened.
const PRESETS = [
  preset('spiral', 'Spiral: the classic', 'Two interleaved spirals. Press play and watch the loss fall.'),
  preset('vanishing-gradients', 'Vanishing gradients', 'Eight sigmoid layers (σ = 0.1). Accuracy stays at chance. Watch the norms fan out.'),
  preset('vanishing-gradients-relu', 'Vanishing gradients, fixed with ReLU + He init'),
  preset('vanishing-gradients-batchnorm', 'Vanishing gradients, fixed with batch normalisation'),
  preset('exploding-gradients', 'Exploding gradients', 'Eight ReLU layers initialised 1.5× larger. The norm grows.'),
  preset('exploding-gradients-clipped', 'Exploding gradients, tamed by clipping'),
  preset('overfitting', 'Overfitting'),
  preset('overfitting-dropout', 'Overfitting, reduced with dropout'),
  preset('overfitting-l2', 'Overfitting, reduced with L2 regularisation'),
  preset('overfitting-early-stopping', 'Overfitting, cut short by early stopping'),
  preset('lr-too-high', 'Learning rate too high', 'Plain SGD with a learning rate of 5: every step overshoots.'),
  preset('lr-too-low', 'Learning rate too low', 'Plain SGD with a learning rate of 0.0001: tiny steps. Nothing is wrong.'),
  preset('lr-adam', 'Adam adapts the step size'),
  preset('lr-schedule', 'A schedule: warm up, then anneal'),
];

const ids = (list) => list.map((p) => p.id);

test('one card per failure family, in the order the server lists them', () => {
  assert.deepEqual(groupPresets(PRESETS).map((g) => g.key), ['spiral', 'vanishing', 'exploding', 'overfitting', 'lr']);
});

test('a fix is a preset whose id extends the failure\'s id', () => {
  const cards = Object.fromEntries(groupPresets(PRESETS).map((g) => [g.key, g]));
  assert.deepEqual(ids(cards.vanishing.problems), ['vanishing-gradients']);
  assert.deepEqual(ids(cards.vanishing.fixes), ['vanishing-gradients-relu', 'vanishing-gradients-batchnorm']);
  assert.deepEqual(ids(cards.exploding.fixes), ['exploding-gradients-clipped']);
  assert.deepEqual(ids(cards.overfitting.fixes), ['overfitting-dropout', 'overfitting-l2', 'overfitting-early-stopping']);
  assert.equal(cards.vanishing.title, 'Vanishing gradients');
});

test('fix buttons are labelled by what the fix does, not the repeated failure name', () => {
  const [, vanishing] = groupPresets(PRESETS);
  assert.deepEqual(vanishing.fixes.map((f) => f.label), ['Fixed with ReLU + He init', 'Fixed with batch normalisation']);
  assert.equal(vanishing.fixes[0].title, 'Vanishing gradients, fixed with ReLU + He init');
});

test('the learning-rate family: both lr-too-* are failures, Adam and the schedule their fixes', () => {
  const lr = groupPresets(PRESETS).at(-1);
  assert.equal(lr.title, 'Learning rate');
  assert.deepEqual(ids(lr.problems), ['lr-too-high', 'lr-too-low']);
  assert.deepEqual(lr.fixes.map((f) => [f.id, f.label]), [['lr-adam', 'Adam adapts the step size'], ['lr-schedule', 'A schedule: warm up, then anneal']]);
});

test('a preset with no family gets a plain card: one problem, no fixes', () => {
  const [spiral] = groupPresets(PRESETS);
  assert.deepEqual(ids(spiral.problems), ['spiral']);
  assert.deepEqual(spiral.fixes, []);
  assert.equal(spiral.title, 'Spiral: the classic');
});

test('a family with no root and no shared failure prefix lists every member as a plain demo', () => {
  const [card] = groupPresets([preset('xor-a', 'XOR a'), preset('xor-b', 'XOR b')]);
  assert.deepEqual(ids(card.problems), ['xor-a', 'xor-b']);
  assert.deepEqual(card.fixes, []);
});

test('every preset lands on exactly one card', () => {
  const seen = groupPresets(PRESETS).flatMap((g) => [...ids(g.problems), ...ids(g.fixes)]);
  assert.deepEqual(seen.sort(), ids(PRESETS).sort());
});

test('the watch line is the sentence that says what to watch, else the first, never shortened', () => {
  assert.equal(watchLine('Eight sigmoid layers (σ = 0.1). Accuracy stays at chance. Watch the norms fan out.'), 'Watch the norms fan out.');
  assert.equal(watchLine('Plain SGD with a learning rate of 0.0001: tiny steps. Nothing is wrong.'), 'Plain SGD with a learning rate of 0.0001: tiny steps.');
  const long = `${'word '.repeat(80)}end.`;
  assert.equal(watchLine(long), long);
});

test('a fix label keeps the whole title when it does not start with the failure\'s', () => {
  assert.equal(fixLabel('Adam adapts the step size', 'Learning rate too low'), 'Adam adapts the step size');
  assert.equal(fixLabel('Overfitting, cut short by early stopping', 'Overfitting'), 'Cut short by early stopping');
});
