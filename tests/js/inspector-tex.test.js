// The backprop inspector's TeX: real numbers from `inspection` frames, every string valid KaTeX.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import katex from 'katex';

import { MAX_TERMS, buildSteps, fac, num, optimizerName, stepNote, sum } from '../../static/js/inspector-tex.js';

// Frames the server produced for small runs (regenerate with the engine when the frame changes).
const FRAMES = JSON.parse(readFileSync(new URL('./inspection-fixtures.json', import.meta.url), 'utf8'));

test('numbers: significant digits, powers of ten, parentheses for negative factors', () => {
  assert.equal(num(0.123456), '0.1235');
  assert.equal(num(-2.5e-7), '-2.5\\times 10^{-7}');
  assert.equal(num(0), '0');
  assert.equal(num(null), '\\text{NaN}');
  assert.equal(num(Infinity), '\\infty');
  assert.equal(fac(-0.5), '(-0.5)');
  assert.equal(fac(0.5), '0.5');
});

test('long sums are cut after MAX_TERMS terms and say how many are left', () => {
  const terms = Array.from({ length: MAX_TERMS + 3 }, (_, i) => String(i));
  assert.ok(sum(terms).endsWith('\\cdots_{(3\\text{ more})}'));
  assert.equal(sum(['1', '2']), '1 + 2');
});

for (const [name, frame] of Object.entries(FRAMES)) {
  test(`${name}: forward, loss, backward and update steps, every one valid TeX`, () => {
    const steps = buildSteps(frame);
    const n = frame.layers.length;
    const phases = steps.map((s) => s.phase);
    assert.equal(phases.filter((p) => p === 'loss').length, 1);
    assert.equal(phases.filter((p) => p === 'update').length, n);
    assert.ok(phases.indexOf('loss') > phases.lastIndexOf('forward'));
    assert.ok(phases.indexOf('backward') > phases.indexOf('loss'));
    for (const step of steps) {
      assert.ok(step.rows.length > 0, step.title);
      for (const tex of [step.general, ...step.rows.map((r) => r.tex)]) {
        assert.doesNotThrow(() => katex.renderToString(tex, { throwOnError: true }), `${step.title}: ${tex}`);
      }
    }
    // The engine's numbers are the ones substituted: the loss, a pre-activation, an update.
    const loss = steps.find((s) => s.phase === 'loss');
    assert.ok(loss.rows.some((r) => r.tex.includes(`= ${num(frame.loss, 6)}`)));
    const first = steps[0];
    assert.equal(first.rows.length, frame.layers[0].units);
    assert.ok(first.rows[0].tex.endsWith(`= ${num(frame.layers[0].z[0])}`));
    const update = steps.at(-1);
    assert.ok(update.rows[0].tex.endsWith(`= ${num(frame.layers[n - 1].update.b[0])}`));
  });
}

test('batch norm and dropout appear as their own steps', () => {
  const steps = buildSteps(FRAMES.binary_adam_bn_dropout);
  const titles = steps.map((s) => s.title);
  assert.ok(titles.includes('Layer 1: batch norm (running statistics)'));
  assert.ok(titles.includes('Layer 1: dropout (p = 0.3)'));
  assert.ok(!titles.includes('Layer 2: dropout (p = 0.3)'));
});

test('the optimiser and what changed the gradient are named', () => {
  assert.equal(optimizerName(FRAMES.multiclass_momentum.optimizer), 'SGD with momentum 0.9');
  assert.equal(optimizerName({ name: 'adam' }), 'Adam');
  assert.match(stepNote(FRAMES.regression_rmsprop_clip.step), /clipped to 0\.01/);
  assert.match(stepNote(FRAMES.multiclass_momentum.step), /L2/);
  assert.equal(stepNote(FRAMES.binary_adam_bn_dropout.step), null);
});
