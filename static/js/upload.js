// CSV upload panel (issue 4): pick a file, pick the target column, upload, train on it.
// The header is read in the browser so the target can be chosen before anything is sent; the
// server parses the file for real and its errors are shown next to the control.

import { api } from './api.js';
import { el } from './dom.js';
import { label } from './format.js';

const MAX_HEADER_BYTES = 64 * 1024;

/** Split one CSV line into cells, honouring double quotes. */
export function splitCsvLine(line) {
  const cells = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

async function readHeader(file) {
  const text = await file.slice(0, MAX_HEADER_BYTES).text();
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const cells = splitCsvLine(line).filter((c) => c !== '');
  return cells.length >= 2 ? cells : [];
}

/**
 * @param {HTMLElement} container
 * @param {object} opts
 * @param {string[]} opts.tasks  the tasks a CSV can be read as (the schema's dataset.task names)
 * @param {(upload: object) => void} opts.onUploaded  the server's reply plus {filename}
 */
export function createUploadPanel(container, { tasks, onUploaded }) {
  const fileInput = el('input', { type: 'file', accept: '.csv,text/csv', id: 'upload-file',
    class: 'visually-hidden', testid: 'upload-file' });
  const chooseBtn = el('label', { for: 'upload-file', class: 'btn btn-secondary file-btn', text: 'Choose CSV…' });
  const fileName = el('span', { class: 'file-name', testid: 'upload-filename', text: 'No file chosen' });
  const targetSel = el('select', { id: 'upload-target', testid: 'upload-target', 'aria-label': 'Target column' });
  const taskSel = el('select', { id: 'upload-task', testid: 'upload-task', 'aria-label': 'Task' },
    ...tasks.map((t) => el('option', { value: t, text: label(t) })));
  const submit = el('button', { type: 'button', class: 'btn btn-primary block', testid: 'upload-submit',
    text: 'Train on this file', disabled: true });
  const message = el('p', { class: 'upload-message', testid: 'upload-message', role: 'status', 'aria-live': 'polite' });

  const targetRow = el('div', { class: 'field' },
    el('label', { for: 'upload-target', text: 'Target' }), el('div', { class: 'field-control' }, targetSel));
  const taskRow = el('div', { class: 'field' },
    el('label', { for: 'upload-task', text: 'Task' }), el('div', { class: 'field-control' }, taskSel));

  const panel = el('div', { class: 'upload', testid: 'upload-panel' },
    el('div', { class: 'upload-title', text: 'Your own CSV' }),
    el('div', { class: 'file-row' }, fileInput, chooseBtn, fileName),
    targetRow, taskRow, submit, message);
  container.append(panel);

  let file = null;
  let busy = false;

  function say(text, kind = 'info') {
    message.textContent = text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
    message.dataset.kind = kind;
  }

  function refresh() {
    targetRow.hidden = !file;
    taskRow.hidden = !file;
    submit.hidden = !file;
    submit.disabled = !file || busy;
  }
  refresh();

  fileInput.addEventListener('change', async () => {
    file = fileInput.files && fileInput.files[0] ? fileInput.files[0] : null;
    fileName.textContent = file ? file.name : 'No file chosen';
    fileName.title = file ? file.name : '';
    say('');
    targetSel.replaceChildren();
    if (file) {
      let columns = [];
      try {
        columns = await readHeader(file);
      } catch {
        columns = [];
      }
      if (columns.length) {
        for (const c of columns) targetSel.append(el('option', { value: c, text: c }));
        targetSel.value = columns[columns.length - 1];
      } else {
        targetSel.append(el('option', { value: '', text: 'Last column' }));
      }
    }
    refresh();
  });

  submit.addEventListener('click', async () => {
    if (!file || busy) return;
    busy = true;
    refresh();
    say(`Uploading ${file.name}…`);
    try {
      const reply = await api.uploadDataset(file, { target: targetSel.value || null, task: taskSel.value });
      const info = { ...reply, filename: file.name, requestedTask: taskSel.value };
      const classes = Array.isArray(info.classes) ? info.classes.length : info.classes;
      const nFeatures = Array.isArray(info.features) ? info.features.length : info.features;
      say(
        `${info.rows} rows · ${nFeatures} features · target “${info.target}” · ` +
          (info.task === 'regression' ? 'regression' : `${classes} classes`) +
          (info.ignored?.length ? ` · ignored (not numeric): ${info.ignored.join(', ')}` : ''),
        'ok',
      );
      onUploaded(info);
    } catch (err) {
      say(err.message || String(err), 'error');
    } finally {
      busy = false;
      refresh();
    }
  });
}
