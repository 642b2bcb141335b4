// Tiny DOM builders for the panels. Text always goes in as textContent, never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The element carrying `data-testid="<testid>"` (the page's one lookup helper), or null. */
export const $ = (testid, root = document) => root.querySelector(`[data-testid="${testid}"]`);

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** Create `<tag>` with attributes (`text` sets textContent, `testid` sets data-testid) and children. */
export const el = (tag, attrs = {}, ...children) => build(document.createElement(tag), attrs, children);

/** The same for an SVG element (`<line>`, `<circle>`, ...). */
export const svgEl = (tag, attrs = {}, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** An <option> for `value` (null becomes the empty value) showing `text`. */
export const toOption = (value, text) => el('option', { value: value === null ? '' : String(value), text });
