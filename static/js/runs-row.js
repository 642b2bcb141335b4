// One row of the runs panel: tick box, name (renamed in place), dataset · network · optimiser,
// epochs, best validation figure, age, state, and the Open / Rename / Duplicate / Delete buttons
// (Delete asks first). What the actions do is the panel's (runs-panel.js).

import { el } from './dom.js';
import { label } from './format.js';
import { runsApi } from './runs-api.js';
import { bestFigure, networkLabel, optimiserLabel, stateLabel, whenLabel } from './runs-format.js';

const n = (x) => Number(x ?? 0).toLocaleString('en');

/** Edit `run`'s name in place of `name` (Enter or leaving saves, Esc cancels); then focus `after`. */
function renameInline(run, name, after, toast) {
  const input = el('input', { type: 'text', class: 'run-name-input', testid: 'run-name-input', maxlength: '200', 'aria-label': 'New name of the run' });
  input.value = run.name;
  let done = false;
  const finish = async (save) => {
    if (done) return;
    done = true;
    const text = input.value.trim();
    input.replaceWith(name);
    if (save && text && text !== run.name) {
      try {
        const renamed = await runsApi.rename(run.id, text);
        run.name = renamed.name;
        name.textContent = renamed.name;
      } catch (err) {
        toast(`Could not rename: ${err.message}`);
      }
    }
    after().focus();
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') finish(true);
    if (event.key === 'Escape') {
      event.stopPropagation(); // cancels the edit, not the panel
      finish(false);
    }
  });
  input.addEventListener('blur', () => finish(true));
  name.replaceWith(input);
  input.focus();
  input.select();
}

function openTitle(run, mine) {
  if (mine) return 'This tab shows it already';
  return run.live ? 'Open the live run here too: both tabs control it' : 'Continue it from its last checkpoint';
}

/**
 * The <tr> of `run` (`mine`: this tab's run, which cannot be deleted; `ticked`: picked to compare).
 * `onTick(id, box)`, `onOpen(run)`, `onDuplicate(run)`, `onDelete(run)` are the panel's; `toast` tells.
 */
export function runRow(run, mine, ticked, { onTick, onOpen, onDuplicate, onDelete, toast }) {
  const box = el('input', { type: 'checkbox', testid: 'run-select', 'aria-label': `Compare “${run.name}”` });
  box.checked = ticked;
  box.addEventListener('change', () => onTick(run.id, box));
  const name = el('span', { class: 'run-name', testid: 'run-name', text: run.name });
  const meta = [label(run.config.dataset.name), networkLabel(run.widths, run.config.model.layers), optimiserLabel(run.config.training)];
  const nameCell = el('td', { class: 'run-main' }, el('div', { class: 'run-name-line' }, name,
    mine ? el('span', { class: 'run-badge', text: 'this tab' }) : null),
  el('div', { class: 'run-meta', text: meta.join(' · ') }));
  const actions = el('td', { class: 'run-actions' });
  const tr = el('tr', { testid: 'run-row', 'data-run-id': run.id, 'data-state': run.state },
    el('td', { class: 'run-pick' }, box), nameCell,
    el('td', { class: 'run-epochs', text: n(run.epochs) }), el('td', { text: bestFigure(run) }),
    el('td', { text: whenLabel(run.created), title: new Date(run.created * 1000).toLocaleString() }),
    el('td', {}, el('span', { class: 'run-state', 'data-state': run.state, text: stateLabel(run.state) })), actions);
  const act = (text, testid, fn, title) => {
    const b = el('button', { type: 'button', class: 'btn small', testid, text, title, 'aria-label': `${text} “${run.name}”` });
    b.addEventListener('click', fn);
    return b;
  };
  const find = (testid) => actions.querySelector(`[data-testid="${testid}"]`);
  const buttons = () => {
    const del = act('Delete', 'run-delete', () => confirmDelete(), mine ? 'This tab trains it: open another run first' : 'Delete this run');
    del.disabled = mine;
    actions.replaceChildren(
      act('Open', 'run-open', () => onOpen(run), openTitle(run, mine)),
      act('Rename', 'run-rename', () => renameInline(run, name, () => find('run-rename'), toast), 'Rename'),
      act('Duplicate', 'run-duplicate', () => onDuplicate(run), 'A new run with the same settings'),
      del);
  };
  const confirmDelete = () => {
    const yes = act('Delete', 'run-delete-confirm', () => onDelete(run), 'Delete it and everything it recorded');
    yes.classList.add('danger');
    const no = act('Cancel', 'run-delete-cancel', () => { buttons(); find('run-delete').focus(); }, 'Keep it');
    actions.replaceChildren(el('span', { class: 'run-confirm', text: 'Delete for good?' }), yes, no);
    no.focus();
  };
  buttons();
  return tr;
}
