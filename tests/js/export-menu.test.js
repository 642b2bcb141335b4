// The Export menu's pure parts: its entries, URLs and download names.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EXPORTS, attachmentName, exportUrl } from '../../static/js/export-menu.js';

test('every REST export format has a menu entry, plus the canvas', () => {
  assert.deepEqual(EXPORTS.map((e) => e.format), ['csv', 'json', 'npz', 'config', 'tensorboard', 'script', 'png', null]);
  for (const entry of EXPORTS) assert.ok(entry.label && entry.note);
});

test('the export URL escapes the run id and the format', () => {
  assert.equal(exportUrl('a b/c', 'csv'), '/api/runs/a%20b%2Fc/export?format=csv');
});

test('the file name comes from Content-Disposition, else the fallback', () => {
  assert.equal(attachmentName('attachment; filename="run-x.tensorboard.zip"', 'f'), 'run-x.tensorboard.zip');
  assert.equal(attachmentName("attachment; filename*=UTF-8''run%20x.py", 'f'), 'run x.py');
  assert.equal(attachmentName(null, 'run-x.csv'), 'run-x.csv');
});
