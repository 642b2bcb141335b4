// The Export menu of the top bar: the current run as every file GET /api/runs/{id}/export gives
// (metrics, weights, config, TensorBoard, a Python script, the boundary), plus "Save PNG" of the
// boundary canvas as drawn now. Downloads go through fetch so a refusal (no checkpoint yet, a
// server without a run store) becomes a toast rather than a saved error page.

import { el, svgEl } from './dom.js';

/** The menu's entries: format (null: the canvas), label, and what the file holds. */
export const EXPORTS = [
  { format: 'csv', label: 'Metrics (CSV)', note: 'one row per epoch, every instrument, events' },
  { format: 'json', label: 'Metrics (JSON)', note: 'records, events and histograms' },
  { format: 'npz', label: 'Weights (.npz)', note: 'named like parameters(), last checkpoint' },
  { format: 'config', label: 'Config (JSON)', note: 'for backprop-lab train --config' },
  { format: 'tensorboard', label: 'TensorBoard (zip)', note: 'unzip, then tensorboard --logdir' },
  { format: 'script', label: 'Python script', note: 'NumPy only: retrains the first epochs' },
  { format: 'png', label: 'Boundary PNG', note: 'at the last checkpoint, from the server' },
  { format: null, label: 'Save PNG', note: 'the boundary view as drawn now' },
];

/** The export URL of a run in a format. */
export const exportUrl = (runId, format) =>
  `/api/runs/${encodeURIComponent(runId)}/export?format=${encodeURIComponent(format)}`;

/** The file name of a Content-Disposition header, or `fallback`. */
export function attachmentName(header, fallback) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header || '');
  return m ? decodeURIComponent(m[1]) : fallback;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function download(runId, format, toast) {
  let response;
  try {
    response = await fetch(exportUrl(runId, format));
  } catch {
    toast('Cannot reach the Backprop Lab server — is it still running?');
    return null;
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const detail = typeof body?.detail === 'string' ? body.detail : `${response.status} ${response.statusText}`;
    toast(`Export as ${format} failed: ${detail}`);
    return null;
  }
  const name = attachmentName(response.headers.get('Content-Disposition'), `run-${runId}.${format}`);
  save(await response.blob(), name);
  return name;
}

function saveCanvas(canvas, runId, toast) {
  if (!canvas) {
    toast('There is no boundary view to save yet.');
    return Promise.resolve(null);
  }
  const name = `boundary-${runId || 'view'}.png`;
  return new Promise((resolve) => canvas.toBlob((blob) => {
    if (blob) save(blob, name);
    else toast('The boundary view could not be saved as PNG.');
    resolve(blob ? name : null);
  }, 'image/png'));
}

/**
 * Add the Export button and its menu to `host` (the top bar's view buttons). `getRun()` gives the
 * current run's id; `getCanvas()` the boundary canvas. The root's data-last-export names the last
 * file saved (for tests).
 */
export function installExportMenu(host, { getRun, getCanvas, toast }) {
  // A download glyph, and the word where the top bar has room for it (export-menu.css).
  const icon = svgEl('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', class: 'export-icon' },
    svgEl('path', { d: 'M12 4v11M7 10.5l5 5 5-5M5 19.5h14' }));
  const button = el('button', {
    type: 'button', class: 'mode-btn export-btn', testid: 'export', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-label': 'Export', title: 'Export: save this run as a file',
  }, icon, el('span', { class: 'export-text', text: 'Export' }));
  const menu = el('div', { class: 'export-menu', role: 'menu', testid: 'export-menu', hidden: true });
  for (const item of EXPORTS) {
    const entry = el('button', { type: 'button', role: 'menuitem', class: 'export-item', testid: `export-${item.format ?? 'canvas'}` },
      el('span', { class: 'export-label', text: item.label }), el('span', { class: 'export-note', text: item.note }));
    entry.addEventListener('click', () => pick(item.format));
    menu.append(entry);
  }
  const root = el('div', { class: 'export' }, button, menu);
  host.append(root);

  function open(show) {
    menu.hidden = !show;
    button.setAttribute('aria-expanded', String(show));
    if (show) menu.querySelector('button')?.focus();
  }
  async function pick(format) {
    open(false);
    const runId = getRun();
    if (format && !runId) {
      toast('No run to export yet: the session has not started.');
      return;
    }
    root.dataset.busy = format ?? 'canvas';
    const name = format ? await download(runId, format, toast) : await saveCanvas(getCanvas(), runId, toast);
    delete root.dataset.busy;
    if (name) root.dataset.lastExport = name;
  }
  button.addEventListener('click', () => open(menu.hidden));
  document.addEventListener('pointerdown', (event) => {
    if (!menu.hidden && !root.contains(event.target)) open(false);
  });
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !menu.hidden) {
      event.stopPropagation();
      open(false);
      button.focus();
    } else if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && !menu.hidden) {
      event.preventDefault();
      const items = [...menu.querySelectorAll('button')];
      const at = items.indexOf(document.activeElement);
      items[(at + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
    }
  });
  return root;
}
