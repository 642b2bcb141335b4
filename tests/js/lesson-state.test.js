// The lessons' rules: text markup, which run a step needs, when training is over, answers; and
// that the page can point at exactly the names the server's lesson schema allows.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  entryPlan, layerColumn, layerLabel, parseMarkup, parseTarget, progressText, setupAt, stepIndex,
  stepPhase, trainCommands, trainStatus, verdict,
} from '../../static/js/lesson-state.js';
import { CONTROLS, VIEWS } from '../../static/js/lesson-targets.js';
import { readHash, setLesson, setSession, state } from '../../static/js/state.js';
import { python } from './schema-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('markup: paragraphs, bold, italic and code come out as text runs, HTML stays text', () => {
  assert.deepEqual(parseMarkup('One **two** *three* `four`.\n\nNext\nline'), [
    [{ text: 'One ', style: null }, { text: 'two', style: 'bold' }, { text: ' ', style: null },
      { text: 'three', style: 'italic' }, { text: ' ', style: null }, { text: 'four', style: 'code' },
      { text: '.', style: null }],
    [{ text: 'Next line', style: null }],
  ]);
  assert.deepEqual(parseMarkup('<b>x</b> a*b'), [[{ text: '<b>x</b> a*b', style: null }]]);
  assert.deepEqual(parseMarkup('**∂L/∂z = p − y**'), [[{ text: '∂L/∂z = p − y', style: 'bold' }]]);
});

const lesson = {
  steps: [
    { load: { preset: 'overfitting' } },
    { train_to_epoch: 10 },
    { configure: { training: { l2: 0.01 } } },
    { configure: { training: { l2: 0.02 } } },
    { load: { preset: 'overfitting', config: { training: { l2: 0.1 } } } },
    {},
  ],
};

test('a step needs the last load before it plus the live changes since', () => {
  assert.deepEqual(setupAt(lesson, 1).config, {});
  assert.equal(setupAt(lesson, 1).key, setupAt(lesson, 0).key);
  assert.deepEqual(setupAt(lesson, 3).config, { training: { l2: 0.02 } });
  assert.equal(setupAt(lesson, 3).base, 0);
  assert.deepEqual(setupAt(lesson, 5), { ...setupAt(lesson, 4), key: setupAt(lesson, 4).key });
  assert.notEqual(setupAt(lesson, 4).key, setupAt(lesson, 2).key);
});

test('entering a step keeps the run, changes it live, or starts a fresh one', () => {
  const at = (index) => ({ index, key: setupAt(lesson, index).key });
  assert.equal(entryPlan(lesson, 1, at(0)).kind, 'keep');
  assert.equal(entryPlan(lesson, 0, at(1)).kind, 'keep', 'back to a step with the same run');
  assert.deepEqual(entryPlan(lesson, 2, at(1)), { kind: 'configure', config: { training: { l2: 0.01 } }, setup: setupAt(lesson, 2) });
  // Back from a live change, a jump, or an unknown run: a fresh run with what the step needs.
  assert.deepEqual(entryPlan(lesson, 1, at(2)).request, { preset: 'overfitting' });
  assert.deepEqual(entryPlan(lesson, 3, at(1)).request, { preset: 'overfitting', config: { training: { l2: 0.02 } } });
  assert.deepEqual(entryPlan(lesson, 3, null).request, { preset: 'overfitting', config: { training: { l2: 0.02 } } });
  assert.deepEqual(entryPlan(lesson, 4, at(3)).request, { preset: 'overfitting', config: { training: { l2: 0.1 } } });
  assert.equal(entryPlan(lesson, 5, at(4)).kind, 'keep');
  const bare = { steps: [{ load: { config: { model: { layers: [] } } } }] };
  assert.deepEqual(entryPlan(bare, 0, null).request, { config: { model: { layers: [] } } });
});

test('training to an epoch is over when paused there, or when the run diverged or stopped first', () => {
  const t = (runState, epoch, started) => trainStatus({ runState, epoch, target: 20, started });
  assert.equal(t('paused', 20, false), 'reached', 'already there: nothing to train');
  assert.equal(t('paused', 25, false), 'reached');
  assert.equal(t('idle', 0, false), 'before');
  assert.equal(t('diverged', 8, false), 'before', 'an old divergence is not this run ending');
  assert.equal(t('diverged', 30, false), 'before', 'play restarts a diverged run from epoch 0');
  assert.equal(t('running', 5, true), 'running');
  assert.equal(t('paused', 20, true), 'reached');
  assert.equal(t('paused', 12, true), 'before', 'paused by hand short of the epoch');
  assert.equal(t('diverged', 7, true), 'ended');
  assert.equal(t('stopped', 250, true), 'ended');
  assert.deepEqual(trainCommands(60), [
    { type: 'configure', config: { training: { stop_at_epoch: 60 } } }, { type: 'play' },
  ]);
});

test('a question is asked, then trained for, then revealed with the verdict', () => {
  const question = { choices: [{ text: 'A' }, { text: 'B', correct: true }] };
  const asked = { question, train_to_epoch: 10 };
  assert.equal(stepPhase(asked, { chosen: null, trained: false }), 'ask');
  assert.equal(stepPhase(asked, { chosen: 0, trained: false }), 'train');
  assert.equal(stepPhase(asked, { chosen: 0, trained: true }), 'reveal');
  assert.equal(stepPhase({ question }, { chosen: 1, trained: false }), 'reveal', 'no run: revealed at once');
  assert.equal(stepPhase({ train_to_epoch: 5 }, { chosen: null, trained: false }), 'train');
  assert.equal(stepPhase({}, { chosen: null, trained: false }), 'read');
  assert.deepEqual(verdict(question, 0), { correct: false, right: 1, answer: 'B' });
  assert.deepEqual(verdict(question, 1), { correct: true, right: 1, answer: 'B' });
});

test('progress, steps from a URL, targets and layers', () => {
  assert.equal(progressText(2, 7), 'Step 3 of 7');
  assert.equal(stepIndex('3', 7), 2);
  assert.equal(stepIndex('99', 7), 6);
  assert.equal(stepIndex('0', 7), 0);
  assert.equal(stepIndex(null, 7), 0);
  assert.equal(stepIndex('two', 7), 0);
  assert.deepEqual(parseTarget('view:train-loss'), { kind: 'view', name: 'train-loss' });
  assert.equal(layerColumn('input', 3), 0);
  assert.equal(layerColumn('2', 3), 2);
  assert.equal(layerColumn('output', 3), 4);
  assert.equal(layerColumn('4', 3), null);
  assert.equal(layerLabel('1'), 'hidden layer 1');
});

test('the hash holds the open lesson and its step, and reads back', () => {
  assert.deepEqual(readHash('#lesson=overfitting&step=3'), { lesson: 'overfitting', step: '3' });
  assert.deepEqual(readHash('#lesson=overfitting'), { lesson: 'overfitting', step: null });
  assert.deepEqual(readHash('#preset=overfitting'), { preset: 'overfitting' });
  setSession({ id: 's', token: 't' }, { a: 1 }, 'overfitting');
  setLesson({ id: 'overfitting', step: 2 });
  assert.deepEqual(state.lesson, { id: 'overfitting', step: 2 });
  setLesson(null);
  assert.equal(state.lesson, null);
});

// ---- the page knows exactly the server's vocabulary ----------------------------------------------
const DUMP = 'import json; from app.schemas.lessons import POINTABLE; print(json.dumps(POINTABLE))';
const pointable = JSON.parse(execFileSync(python(), ['-c', DUMP], { cwd: ROOT, encoding: 'utf8' }));

test('every view and control the schema allows has a place on the page, and no other', () => {
  assert.deepEqual(Object.keys(VIEWS).sort(), [...pointable.view].sort());
  assert.deepEqual(Object.keys(CONTROLS).sort(), [...pointable.control].sort());
  const page = readFileSync(`${ROOT}templates/index.html`, 'utf8');
  const scripts = readdirSync(`${ROOT}static/js`).map((f) => readFileSync(`${ROOT}static/js/${f}`, 'utf8')).join('\n');
  for (const spec of [...Object.values(VIEWS), ...Object.values(CONTROLS)]) {
    const named = page.includes(`data-testid="${spec.testid}"`) || scripts.includes(`'${spec.testid}'`);
    assert.ok(named, `no element has data-testid ${spec.testid}`);
  }
});

test('every chart the schema allows is a chart kind the page draws', () => {
  const kinds = readFileSync(`${ROOT}static/js/chart-kinds.js`, 'utf8');
  const body = kinds.slice(kinds.indexOf('export const KINDS = {'), kinds.indexOf('};', kinds.indexOf('export const KINDS')));
  const drawn = [...body.matchAll(/^\s{2}(\w+):/gm)].map((m) => m[1]);
  assert.ok(drawn.length >= 10, 'chart kinds found');
  for (const name of pointable.chart) assert.ok(drawn.includes(name), `chart ${name} is not drawn`);
});

test('in every shipped lesson a step points at charts of one tab only (the tab it shows)', () => {
  const kinds = readFileSync(`${ROOT}static/js/chart-kinds.js`, 'utf8');
  const tabs = [...kinds.matchAll(/\{ id: '(\w+)', title: '[^']*', kinds: \[([^\]]*)\] \}/g)]
    .map((m) => [...m[2].matchAll(/'(\w+)'/g)].map((k) => k[1]));
  assert.equal(tabs.length, 4, 'chart tabs found');
  const dir = `${ROOT}app/lessons`;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')).steps.forEach((step, i) => {
      const charts = (step.point_at ?? []).filter((t) => t.startsWith('chart:')).map((t) => t.slice(6));
      const homes = new Set(charts.map((c) => tabs.findIndex((kindsOfTab) => kindsOfTab.includes(c))));
      assert.ok(homes.size <= 1, `${file} step ${i + 1} points at charts on different tabs: ${charts}`);
    });
  }
});

test('a step after the one that opened the inspector works on the same sample, or a new one when opened there', async () => {
  const { inspectorNeed } = await import('../../static/js/lesson-state.js');
  const walk = { steps: [{ load: { config: {} } }, { inspect: 'random' }, {}, {}, { load: { preset: 'spiral' } }, {}] };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => inspectorNeed(walk, i)), [null, 'new', 'keep', 'keep', null, null]);
});
