// Layer styles: at least ten distinct colours, then dashes, and never the same style twice.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LAYER_COLORS, LAYER_COLORS_DARK, layerStyle } from '../../static/js/colors.js';

for (const dark of [false, true]) {
  test(`the first ten layers get ten different solid colours (${dark ? 'dark' : 'light'} theme)`, () => {
    const styles = Array.from({ length: 10 }, (_, i) => layerStyle(i, dark));
    assert.equal(new Set(styles.map((s) => s.color)).size, 10);
    for (const s of styles) assert.equal(s.dash, undefined);
  });

  test(`no two of 60 layers share colour and dash (${dark ? 'dark' : 'light'} theme)`, () => {
    const keys = Array.from({ length: 60 }, (_, i) => JSON.stringify(layerStyle(i, dark)));
    assert.equal(new Set(keys).size, 60);
  });
}

test('the palettes have no duplicate colours', () => {
  assert.equal(new Set(LAYER_COLORS).size, LAYER_COLORS.length);
  assert.equal(new Set(LAYER_COLORS_DARK).size, LAYER_COLORS_DARK.length);
});
