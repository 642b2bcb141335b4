// KaTeX into an element, safe under the page's CSP: KaTeX builds its nodes and sets their styles
// through the CSSOM (allowed), but its error display writes a style attribute (refused), so a
// formula that does not parse is shown as its TeX source instead.
import katex from '../vendor/katex/katex.mjs';

/** Typeset `tex` into `node` (display mode if asked); unparsable TeX shows as plain text. */
export function typeset(node, tex, display = false) {
  try {
    katex.render(tex, node, { throwOnError: true, displayMode: display, output: 'html' });
  } catch {
    node.textContent = tex;
    node.classList.add('tex-error');
  }
  return node;
}
