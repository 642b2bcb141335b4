// Tiny DOM builders for the panels. Text always goes in as textContent, never as HTML.

/** Create `<tag>` with attributes (`text` sets textContent, `testid` sets data-testid) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

/** An <option> for `value` (null becomes the empty value) showing `text`. */
export const toOption = (value, text) => el('option', { value: value === null ? '' : String(value), text });
