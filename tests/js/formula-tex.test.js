// Formula cards: the settings' current values appear in valid TeX, and the cards follow them.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import katex from 'katex';

import { formulaCards, optimizerCard, regularisationCards, scheduleCards } from '../../static/js/formula-tex.js';

const TRAINING = {
  learning_rate: 0.01, batch_size: 10, optimizer: 'sgd', momentum: 0.9, nesterov: false, beta1: 0.9,
  beta2: 0.999, eps: 1e-8, rho: 0.9, weight_decay: 0, l1: 0, l2: 0, clip_norm: null, clip_value: null,
  schedule: { kind: 'constant', step_size: 50, gamma: 0.5, warmup_epochs: 0, period: 500, min_lr: 0, patience: 10, factor: 0.5 },
};
const MODEL = { layers: [{ units: 8, activation: 'tanh', batch_norm: true, dropout: 0.2 }, { units: 4, activation: 'relu', batch_norm: false, dropout: 0 }] };
const valid = (tex) => katex.renderToString(tex, { throwOnError: true });

test('every card of every optimiser, schedule and task is valid TeX', () => {
  for (const optimizer of ['sgd', 'rmsprop', 'adagrad', 'adam', 'adamw']) {
    for (const kind of ['constant', 'step', 'exponential', 'cosine', 'plateau']) {
      for (const task of ['binary', 'multiclass', 'regression']) {
        const t = { ...TRAINING, optimizer, weight_decay: 0.01, l1: 1e-4, l2: 1e-3, clip_norm: 1, clip_value: 0.5,
          schedule: { ...TRAINING.schedule, kind, warmup_epochs: 3 } };
        const cards = formulaCards({ training: t, model: MODEL }, task);
        for (const list of Object.values(cards)) for (const c of list) assert.doesNotThrow(() => valid(c.tex), `${c.title}: ${c.tex}`);
      }
    }
  }
});

test('the optimiser card carries the current hyperparameters', () => {
  const sgd = optimizerCard(TRAINING);
  assert.equal(sgd.title, 'SGD with momentum');
  assert.match(sgd.tex, /\\eta = 0\.01/);
  assert.match(sgd.tex, /\\mu = 0\.9/);
  const adam = optimizerCard({ ...TRAINING, optimizer: 'adam', learning_rate: 0.003, beta2: 0.99 });
  assert.match(adam.tex, /\\eta = 0\.003/);
  assert.match(adam.tex, /\\beta_2 = 0\.99/);
  assert.doesNotMatch(adam.tex, /\\lambda/);
  assert.match(optimizerCard({ ...TRAINING, optimizer: 'adamw', weight_decay: 0.05 }).tex, /\\lambda = 0\.05/);
  assert.equal(optimizerCard({ ...TRAINING, momentum: 0 }).title, 'SGD');
});

test('layers, loss, regulariser, clipping and schedule follow the config', () => {
  const net = formulaCards({ training: TRAINING, model: MODEL }, 'multiclass').network;
  assert.match(net[0].title, /Softmax/);
  assert.equal(net.length, 3);
  assert.match(net[1].tex, /\\tanh y/);
  assert.match(net[1].tex, /BN/);
  assert.match(net[1].tex, /dropout/);
  assert.doesNotMatch(net[2].tex, /dropout|BN/);
  assert.deepEqual(regularisationCards(TRAINING).map((c) => c.title), ['No L1/L2 penalty', 'No gradient clipping']);
  const reg = regularisationCards({ ...TRAINING, l2: 0.001, clip_norm: 2 });
  assert.match(reg[0].tex, /0\.001/);
  assert.match(reg[1].tex, /\{2\}/);
  const cosine = scheduleCards({ ...TRAINING, schedule: { ...TRAINING.schedule, kind: 'cosine', period: 300 } });
  assert.match(cosine[0].tex, /T = 300/);
  assert.equal(cosine.length, 1);
});
