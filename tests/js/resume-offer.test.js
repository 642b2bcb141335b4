// Which stored runs the page offers to resume, and from which epoch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { resumableEpoch } from '../../static/js/resume-offer.js';

const run = (state, checkpoints) => ({ state, checkpoints });

test('an interrupted, paused or idle run resumes from its newest checkpoint', () => {
  const points = [{ segment: 0, epoch: 500 }, { segment: 1, epoch: 40 }, { segment: 1, epoch: 20 }];
  for (const state of ['interrupted', 'paused', 'idle']) assert.equal(resumableEpoch(run(state, points)), 40);
});

test('a run without a checkpoint, or stopped, running or diverged, is not offered', () => {
  assert.equal(resumableEpoch(run('interrupted', [])), null);
  assert.equal(resumableEpoch(run('paused', undefined)), null);
  for (const state of ['stopped', 'running', 'diverged']) {
    assert.equal(resumableEpoch(run(state, [{ segment: 0, epoch: 10 }])), null);
  }
  assert.equal(resumableEpoch(null), null);
});
