import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sharingText } from '../../static/js/sharing-note.js';

test('says how the cores are shared once every core is busy', () => {
  assert.equal(
    sharingText({ type: 'sharing', running: 5, cores: 2, share: 0.4 }),
    'Sharing 2 cores with 4 other running sessions — about 40 % of full speed',
  );
  assert.equal(
    sharingText({ type: 'sharing', running: 2, cores: 1, share: 0.5 }),
    'Sharing 1 core with 1 other running session — about 50 % of full speed',
  );
});

test('says nothing while a core is free or the frame is odd', () => {
  assert.equal(sharingText({ type: 'sharing', running: 2, cores: 2, share: 1 }), '');
  assert.equal(sharingText({ type: 'sharing', running: 0, cores: 2, share: 1 }), '');
  assert.equal(sharingText(null), '');
  assert.equal(sharingText({ running: 'x', cores: 2 }), '');
});

test('falls back on cores / running when the share is missing', () => {
  assert.equal(
    sharingText({ running: 16, cores: 2 }),
    'Sharing 2 cores with 15 other running sessions — about 13 % of full speed',
  );
});
