// The "also open in N other tabs" note follows the session's `tabs` frames.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createTabsNote, tabsShort, tabsText } from '../../static/js/tabs-note.js';

test('tabsText counts the other tabs and says nothing when this one is alone', () => {
  assert.equal(tabsText(1), '');
  assert.equal(tabsText(0), '');
  assert.equal(tabsText('junk'), '');
  assert.equal(tabsText(2), 'Also open in 1 other tab');
  assert.equal(tabsText(4), 'Also open in 3 other tabs');
  assert.equal(tabsText(1002), 'Also open in 1,001 other tabs');
  assert.deepEqual([tabsShort(1), tabsShort(2), tabsShort(3)], ['', '+1 tab', '+2 tabs']);
});

test('the pill shows and hides with the count, and a new session starts alone', () => {
  const long = { textContent: 'x' };
  const short = { textContent: 'x' };
  const pill = { hidden: false, dataset: {}, title: '', querySelector: (s) => (s === '.tabs-long' ? long : short) };
  const note = createTabsNote(pill);
  assert.equal(pill.hidden, true);
  assert.equal(note.others(), 0);
  note.update(3);
  assert.deepEqual([pill.hidden, long.textContent, short.textContent, pill.dataset.count, note.others()],
    [false, 'Also open in 2 other tabs', '+2 tabs', '3', 2]);
  note.update(1);
  assert.equal(pill.hidden, true);
  note.update(2);
  note.reset();
  assert.deepEqual([pill.hidden, note.others()], [true, 0]);
  note.update(-5); // a bad count never makes this tab think it is not there
  assert.equal(note.others(), 0);
});
